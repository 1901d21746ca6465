-- TCP client and server sockets: connect, bind and their methods (spec §5).
--
-- A client socket owns one read buffer (patterns.lua) for its whole life,
-- so bytes read ahead for one pattern serve later patterns and later calls,
-- and `select` can see them. Raw bytes come from LuaSocket 3's
-- `receive(n)` on a non-blocking socket: it returns what is there (as its
-- "partial" result with a "timeout") or reports "closed"; the waiting in
-- between follows 1.3b's limits (core.lua). Sends use LuaSocket 3's
-- `send(data, i)` and resume from the last byte it accepted.

local socket = require("socket")
local args = require("compat13b.args")
local core = require("compat13b.core")
local netaddr = require("compat13b.netaddr")
local patterns = require("compat13b.patterns")

local gettime = socket.gettime
local select, floor = select, math.floor
local unpack = unpack or table.unpack

local M = {}

-- Bytes asked of LuaSocket 3 per read: large enough that "*a" and big counts
-- run near the speed of plain reads; lines are cut out of it afterwards.
local CHUNK = 65536
local MAX_BACKLOG = 2 ^ 31 - 1

local Client, Server = {}, {}

local function new_client(sock)
  local object, st = core.new_object("tcp-client", M.CLIENT, sock)
  st.buf, st.pos = "", 1
  return object
end

-- Reading -----------------------------------------------------------------

-- Read once into the buffer. nil when bytes arrived, else why none will:
-- "timeout" (the limits ran out) or "closed" (peer closed, or any failed
-- read, as in 1.3b).
local function fill(st, started)
  local sock = st.sock
  while true do
    local data, err, partial = sock:receive(CHUNK)
    data = data or partial
    if data and data ~= "" then
      patterns.feed(st, data)
      return nil
    end
    if err ~= "timeout" then
      return "closed"
    end
    if core.wait(st, true, started) then
      return "timeout"
    end
  end
end

local function receive_patterns(st, count, ...)
  local started = gettime()
  local results, err = {}, nil
  local list = { ... }
  if count == 0 then
    count, list = 1, { "*l" }
  end
  for index = 1, count do
    local reader = patterns.reader(list[index], true)
    local value = reader.step(reader, st)
    while value == nil do
      err = fill(st, started)
      if err then
        value, err = reader.finish(reader, err)
        break
      end
      value = reader.step(reader, st)
    end
    results[index] = value
    if err then
      break
    end
  end
  results[count + 1] = err
  return unpack(results, 1, count + 1)
end

--- sock:receive([p1, ..., pN]): one value per pattern, then the error code
-- (nil, "timeout" or "closed"). No pattern means "*l". A failed pattern
-- returns what it collected; the patterns after it give nil unexamined.
function Client.receive(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  -- Fast paths: the answer is already buffered.
  if count == 0 then
    local line = patterns.next_line(st, true)
    if line then
      return line, nil
    end
  elseif count == 1 then
    local pattern = ...
    if type(pattern) == "number" then
      if pattern >= 1 and pattern == floor(pattern) and patterns.available(st) >= pattern then
        return patterns.take(st, pattern), nil
      end
    else
      local is_line, strip_cr = patterns.line_pattern(pattern)
      if is_line then
        local line = patterns.next_line(st, strip_cr)
        if line then
          return line, nil
        end
      end
    end
  end
  return receive_patterns(st, count, ...)
end

-- Sending -----------------------------------------------------------------

-- Send all of `data`; returns (bytes sent, nil) or (bytes sent, error).
local function send_all(st, data, started)
  local sock, length, sent = st.sock, #data, 0
  while sent < length do
    local last, err, partial_last = sock:send(data, sent + 1)
    if last then
      sent = floor(last)
    else
      sent = floor(partial_last or sent)
      if err ~= "timeout" then
        return sent, "closed" -- every failed write counts as a closed connection
      end
      if core.wait(st, false, started) then
        return sent, "timeout"
      end
    end
  end
  return sent, nil
end

--- sock:send(s1 [, ..., sN]): (error, bytes accepted). Strings go out in
-- order, in full; after a failure the rest are not tried. A bad argument
-- raises when it is reached, after the earlier ones were sent.
function Client.send(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local total = 0
  if count == 0 then
    return nil, 0
  end
  local started = gettime()
  for index = 1, count do
    local data = args.check_data((select(index, ...)), true)
    local sent, err = send_all(st, data, started)
    total = total + sent
    if err then
      return err, total
    end
  end
  return nil, total
end

--- sock:getpeername(): the peer's ip, port, or a single nil.
function Client.getpeername(self)
  local st = core.open_state(self)
  local ip, port = st.sock:getpeername()
  if not ip then
    return nil
  end
  return ip, tonumber(port)
end

-- Server ------------------------------------------------------------------

--- server:accept(): a new client socket, or nil, "timeout". The new socket
-- starts with no limits, whatever the server's.
function Server.accept(self)
  local st = core.open_state(self)
  local started = gettime()
  while true do
    local client, err = st.sock:accept()
    if client then
      return new_client(client)
    end
    if err == "timeout" then
      if core.wait(st, true, started) then
        return nil, "timeout"
      end
    elseif err ~= "closed" then -- "closed": one aborted handshake; try again
      return nil, netaddr.message(netaddr.CREATE_MESSAGES, err)
    end
  end
end

M.CLIENT = core.class(Client)
M.SERVER = core.class(Server)

-- Creators ----------------------------------------------------------------

--- connect(address, port): a connected client socket, or nil, message.
-- Every address of a host name is tried in turn. No timeout: the manual
-- offers no way to set one before the socket exists.
function M.connect(...)
  local count = args.count(...)
  local address, port_value = ...
  local host = args.check_text(address, count >= 1)
  local port = args.check_port(port_value, count >= 2)
  local targets, message = netaddr.resolve(host)
  if not targets then
    return nil, message
  end
  message = netaddr.UNKNOWN_ERROR
  for _, ip in ipairs(targets) do
    local sock, err = socket.tcp4()
    if not sock then
      return nil, netaddr.message(netaddr.CREATE_MESSAGES, err)
    end
    local ok
    ok, err = sock:connect(ip, port)
    -- LuaSocket 3 confirms a connection with a zero-byte recv, which reports
    -- "closed" when the peer accepted and reset it at once. The connection
    -- was made, as 1.3b's blocking connect would have said; the reset shows
    -- up on the next send or receive.
    if ok or err == "closed" then
      return new_client(sock)
    end
    sock:close()
    message = netaddr.message(netaddr.CONNECT_MESSAGES, err)
  end
  return nil, message
end

--- bind(address, port [, backlog]): a listening server socket, or nil,
-- message. "*" binds every interface; the backlog defaults to 1.
function M.bind(...)
  local count = args.count(...)
  local address, port_value, backlog_value = ...
  local host = args.check_text(address, count >= 1)
  local port = args.check_port(port_value, count >= 2)
  local backlog = 1
  if count >= 3 then
    backlog = args.truncate(args.check_number(backlog_value, true))
    backlog = backlog < 0 and 0 or backlog > MAX_BACKLOG and MAX_BACKLOG or backlog
  end
  local targets, message
  if host == "*" then
    targets = { "0.0.0.0" }
  else
    targets, message = netaddr.resolve(host)
    if not targets then
      return nil, message
    end
  end
  message = netaddr.UNKNOWN_ERROR
  for _, ip in ipairs(targets) do
    local sock, err = socket.tcp4()
    if not sock then
      return nil, netaddr.message(netaddr.CREATE_MESSAGES, err)
    end
    sock:setoption("reuseaddr", true)
    local ok
    ok, err = sock:bind(ip, port)
    if ok then
      if not sock:listen(backlog) then
        sock:close()
        return nil, netaddr.LISTEN_ERROR
      end
      return (core.new_object("tcp-server", M.SERVER, sock))
    end
    sock:close()
    message = netaddr.message(netaddr.BIND_MESSAGES, err)
  end
  return nil, message
end

return M
