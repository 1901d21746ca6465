-- UDP sockets: udpsocket and its methods (spec §8).
--
-- Built on LuaSocket 3's socket.udp4() (IPv4, created at once: its plain
-- socket.udp() defers the OS socket until first use, which would make
-- getsockname fail on a fresh socket). What the layer adds: 1.3b's return
-- conventions (sends return nil, not a byte count; failures are "timeout" or
-- "refused"), its raised misuse errors ("sendto on connected socket"...),
-- its limits, its options table, and a datagram size up to 65,535 bytes
-- (LuaSocket 3 reads 8,192 unless asked for more).

local socket = require("socket")
local args = require("compat13b.args")
local core = require("compat13b.core")
local netaddr = require("compat13b.netaddr")

local gettime = socket.gettime
local type, pairs, pcall, error = type, pairs, pcall, error

local M = {}

local MAX_DATAGRAM = 65535

local Udp = {}

-- Addresses -----------------------------------------------------------------

--- u:getsockname(): local ip, port; a single nil while the socket is unbound.
function Udp.getsockname(self)
  local st = core.open_state(self)
  local ip, port = st.sock:getsockname()
  port = tonumber(port)
  if not ip or port == 0 then
    return nil
  end
  return ip, port
end

--- u:getpeername(): the peer's ip, port; a single nil before setpeername.
function Udp.getpeername(self)
  local st = core.open_state(self)
  if not st.connected then
    return nil -- LuaSocket 3 offers getpeername on connected objects only
  end
  local ip, port = st.sock:getpeername()
  if not ip then
    return nil
  end
  return ip, tonumber(port)
end

-- Try `action(ip, port)` on every address; nil on success, else the message.
local function try_addresses(targets, port, action, messages)
  local message = netaddr.UNKNOWN_ERROR
  for _, ip in ipairs(targets) do
    local ok, err = action(ip, port)
    if ok then
      return nil
    end
    message = netaddr.message(messages, err)
  end
  return message
end

--- u:setsockname(address, port): bind locally; nil, or a message. "*" is
-- every interface; a failure leaves the socket usable.
function Udp.setsockname(self, ...)
  local st = core.open_state(self) -- before the arguments, as 1.3b found its socket first
  local count = args.count(...)
  local address, port_value = ...
  local host = args.check_text(address, count >= 1)
  local port = args.check_port(port_value, count >= 2)
  if st.connected then
    -- Connecting bound the socket implicitly; the OS would refuse a bind
    -- with EINVAL, and LuaSocket 3 offers setsockname on unconnected
    -- objects only.
    return "socket already bound"
  end
  local targets, message = { "0.0.0.0" }, nil
  if host ~= "*" then
    targets, message = netaddr.resolve(host)
    if not targets then
      return message
    end
  end
  local sock = st.sock
  return try_addresses(targets, port, function(ip, p)
    sock:setoption("reuseaddr", true)
    return sock:setsockname(ip, p)
  end, netaddr.BIND_MESSAGES)
end

--- u:setpeername(address, port): fix the peer; nil, or a message. Afterwards
-- send/receive must be used and the OS drops datagrams from other sources.
function Udp.setpeername(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local address, port_value = ...
  local host = args.check_text(address, count >= 1)
  local port = args.check_port(port_value, count >= 2)
  local targets, message = netaddr.resolve(host) -- "*" is a host name here
  if not targets then
    return message
  end
  local sock = st.sock
  message = try_addresses(targets, port, function(ip, p)
    return sock:setpeername(ip, p)
  end, netaddr.CONNECT_MESSAGES)
  if message == nil then
    st.connected = true
  end
  return message
end

-- Sending -------------------------------------------------------------------

-- Run a LuaSocket 3 send until it is accepted: nil, "timeout" or "refused".
local function send_with(st, operation)
  local started = gettime()
  while true do
    local sent, err = operation()
    if sent then
      return nil
    end
    if err ~= "timeout" then
      return "refused"
    end
    if core.wait(st, false, started) then
      return "timeout"
    end
  end
end

--- u:sendto(data, ip, port): nil, "timeout" or "refused". `ip` must be an IP
-- address; an unbound socket gets an ephemeral port on 0.0.0.0.
function Udp.sendto(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local data_value, ip_value, port_value = ...
  local data = args.check_data(data_value, count >= 1)
  local ip_text = args.check_text(ip_value, count >= 2)
  local port = args.check_port(port_value, count >= 3)
  if st.connected then
    args.raise("sendto on connected socket")
  end
  local ip = netaddr.parse_ip(ip_text)
  if ip == nil then
    args.raise("invalid ip address")
  end
  local sock = st.sock
  return send_with(st, function() return sock:sendto(data, ip, port) end)
end

--- u:send(data) to the peer set by setpeername; results as sendto.
function Udp.send(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local data = args.check_data((...), count >= 1)
  if not st.connected then
    args.raise("send on unconnected socket")
  end
  local sock = st.sock
  return send_with(st, function() return sock:send(data) end)
end

-- Receiving -----------------------------------------------------------------

-- The size asked for: absent or negative -> the maximum; capped there.
local function datagram_size(count, value)
  if count == 0 then
    return MAX_DATAGRAM
  end
  local size = args.truncate(args.check_number(value, true))
  if size < 0 or size > MAX_DATAGRAM then
    return MAX_DATAGRAM
  end
  return size
end

-- Receive one datagram within the limits; `from` adds the sender.
local function receive_datagram(st, size, from)
  local sock, started = st.sock, gettime()
  -- A zero size still reads, and so discards, one datagram.
  local wanted = size > 0 and size or 1
  while true do
    local data, ip, port
    if from then
      data, ip, port = sock:receivefrom(wanted)
    else
      data, ip = sock:receive(wanted)
    end
    if data then
      if size == 0 then
        data = ""
      end
      if from then
        return data, ip, tonumber(port)
      end
      return data
    end
    if ip ~= "timeout" then
      return nil, "refused"
    end
    if core.wait(st, true, started) then
      return nil, "timeout"
    end
  end
end

--- u:receive([n]): one datagram, at most n bytes (default: the maximum);
-- the rest of it is discarded. data, or nil, "timeout" / "refused".
function Udp.receive(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local size = datagram_size(count, (...))
  return receive_datagram(st, size, false)
end

--- u:receivefrom([n]): like receive, plus the sender's ip and port.
function Udp.receivefrom(self, ...)
  local st = core.open_state(self)
  local count = args.count(...)
  local size = datagram_size(count, (...))
  if st.connected then
    args.raise("receivefrom on connected socket")
  end
  return receive_datagram(st, size, true)
end

M.UDP = core.class(Udp)

-- Options -------------------------------------------------------------------

-- 1.3b name -> LuaSocket 3 option name. LuaSocket 3 offers "broadcast" and
-- "dontroute" on UDP objects but "keepalive" and "linger" only on TCP ones;
-- those two are set through a TCP object lent the UDP descriptor.
local FLAG_OPTIONS = { SO_KEEPALIVE = "keepalive", SO_DONTROUTE = "dontroute", SO_BROADCAST = "broadcast" }
local VIA_TCP = { keepalive = true, linger = true }

-- Each helper returns nil when all went well, or the spec's message for the
-- first bad option, which udpsocket returns with nil (the manual: "In case of
-- error, the function returns nil and an error message").
local function set_option(sock, name, value)
  local ok, done
  if VIA_TCP[name] then
    local helper = socket.tcp4()
    local own = helper:getfd()
    helper:setfd(sock:getfd())
    ok, done = pcall(helper.setoption, helper, name, value)
    helper:setfd(own)
    helper:close()
  else
    ok, done = pcall(sock.setoption, sock, name, value)
  end
  if not ok or not done then
    return "error setting option"
  end
end

local function apply_options(sock, options)
  for key, value in pairs(options) do
    local flag = type(key) == "string" and FLAG_OPTIONS[key]
    local problem
    if flag then
      local number = args.to_number(value)
      if number == nil then
        return "invalid " .. key .. " value"
      end
      problem = set_option(sock, flag, args.truncate(number) ~= 0)
    elseif key == "SO_LINGER" then
      if type(value) ~= "table" then
        return "invalid SO_LINGER value"
      end
      local on = args.to_number(value.l_onoff)
      if on == nil then
        return "invalid SO_LINGER (l_onoff) value"
      end
      local seconds = args.to_number(value.l_linger)
      if seconds == nil then
        return "invalid SO_LINGER (l_linger) value"
      end
      problem = set_option(sock, "linger", { on = args.truncate(on) ~= 0, timeout = args.truncate(seconds) })
    else
      problem = "error setting option"
    end
    if problem then
      return problem
    end
  end
end

--- udpsocket([options]): a new, unbound UDP socket, or nil, message.
-- An OS failure and a bad option (wrong value, unknown name, OS refusal) are
-- returned; an options argument that is not a table raises "invalid options".
function M.udpsocket(...)
  local count = args.count(...)
  local options = ...
  if count >= 1 and type(options) ~= "table" then
    args.raise("invalid options")
  end
  local sock, err = socket.udp4()
  if not sock then
    return nil, netaddr.message(netaddr.CREATE_MESSAGES, err)
  end
  if count >= 1 then
    local problem = apply_options(sock, options)
    if problem then
      sock:close()
      return nil, problem
    end
  end
  return (core.new_object("udp", M.UDP, sock))
end

return M
