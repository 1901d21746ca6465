-- The manual's FTP functions (spec §15) over LuaSocket 3's control connection
-- (socket.tp, read as control.lua does) and LuaSocket 3 TCP data sockets.
--
--   ftp_get(url [, type])                -> data, or nil, err
--   ftp_put(url, data [, type])          -> nil, or err
--   ftp_getindirect(url, receive_cb [, type]) -> nil, or err
--   ftp_putindirect(url, send_cb [, type])    -> nil, or err
--
-- LuaSocket 3's socket.ftp get/put are not used: they send the whole path
-- with RETR (1.3b changed directory first), connect the data socket to
-- whatever host a PASV reply names, and report a 2xx answer to RETR as file
-- data. The dialogue here:
--
--   (greeting) 220, or 120 then 220; USER 230, or 331 then PASS 230/202;
--   CWD <dir> 250/200 when the URL has a directory part; TYPE I|A 200;
--   PASV 227 (the data connection goes to the control connection's peer,
--   at the port named); RETR <name> | NLST | STOR <name> 125/150; the data;
--   226/250; QUIT (read, not judged)
--
-- The URL: user "anonymous", password "anonymous@anonymous.org" unless it
-- names a user (then its password, or "" if the server asks); the path, one
-- leading "/" removed, is a directory and a file name, and a path ending in
-- "/" asks for a listing (NLST). Type "a" (default) or "b"; "i" is binary
-- too; anything else raises. Data moves in 4096-byte blocks, each wait
-- limited to 60 s. After a failure the data connection is closed, the
-- transfer's answer read when one is due, and QUIT said.

local socket = require("socket")
local args = require("compat13b.args")
local callbacks = require("compat13b.callbacks")
local control = require("compat13b.control")
local netaddr = require("compat13b.netaddr")
local urls = require("compat13b.urls")

local find, match, sub = string.find, string.match, string.sub
local tonumber, type = tonumber, type

local M = {}

M.PORT = 21
M.WAIT = 60
M.BLOCK = 4096
M.ANONYMOUS_USER = "anonymous"
M.ANONYMOUS_PASSWORD = "anonymous@anonymous.org"

local CODES = {
  greeting_wait = control.codes(120), ready = control.codes(220), logged_in = control.codes(230),
  needs_password = 331, password_ok = control.codes(230, 202), cwd_ok = control.codes(250, 200),
  type_ok = control.codes(200), pasv_ok = control.codes(227), starts = control.codes(125, 150),
  done = control.codes(226, 250),
}
local TYPES = { a = false, b = true, i = true }

-- Planning ------------------------------------------------------------------------

-- What a URL asks for: host, port, user, password, directory, name (nil: a
-- listing), or nil, message.
local function plan(url_text, upload)
  local parsed, message = urls.parse(url_text, "ftp", M.PORT, nil)
  if not parsed then
    return nil, message
  end
  local path = urls.raw_path(parsed)
  if path == nil then
    return nil, "invalid URL: no path"
  end
  path = path:gsub("^/", "", 1)
  local directory, name
  if path == "" or sub(path, -1) == "/" then
    if upload then
      return nil, "invalid path"
    end
    directory = sub(path, 1, -2)
  else
    directory, name = match(path, "^(.*)/([^/]*)$")
    if not directory then
      directory, name = "", path
    end
  end
  local user, password = M.ANONYMOUS_USER, M.ANONYMOUS_PASSWORD
  if parsed.user then
    user, password = parsed.user, parsed.password or ""
  end
  for _, argument in ipairs({ user, password, directory, name or "" }) do
    if find(argument, "%c") then
      return nil, "invalid character in FTP path"
    end
  end
  return {
    host = parsed.host, port = parsed.portnum, user = user, password = password,
    directory = directory ~= "" and directory or nil, name = name,
  }
end

-- A session ------------------------------------------------------------------------

-- Each step: true, or nil, message, network_failed.

local function login(session)
  local conn, p = session.conn, session.plan
  local code, text, dead = control.reply(conn)
  if code and CODES.greeting_wait[code] then
    code, text, dead = control.reply(conn)
  end
  if not code then
    return nil, text, dead
  end
  if not CODES.ready[code] then
    return nil, text
  end
  local sent
  sent, text, dead = control.send_line(conn, "USER " .. p.user)
  if not sent then
    return nil, text, dead
  end
  code, text, dead = control.reply(conn)
  if code == CODES.needs_password then
    return control.command(conn, "PASS " .. p.password, CODES.password_ok)
  elseif not code then
    return nil, text, dead
  elseif not CODES.logged_in[code] then
    return nil, text
  end
  return true
end

local function open_data(session)
  local conn, p = session.conn, session.plan
  local ok, text, dead
  if p.directory then
    ok, text, dead = control.command(conn, "CWD " .. p.directory, CODES.cwd_ok)
    if not ok then
      return nil, text, dead
    end
  end
  ok, text, dead = control.command(conn, p.binary and "TYPE I" or "TYPE A", CODES.type_ok)
  if not ok then
    return nil, text, dead
  end
  ok, text, dead = control.command(conn, "PASV", CODES.pasv_ok)
  if not ok then
    return nil, text, dead
  end
  local numbers = { match(text, "(%d+),(%d+),(%d+),(%d+),(%d+),(%d+)") }
  for index = 1, 6 do
    numbers[index] = tonumber(numbers[index])
    if not numbers[index] or numbers[index] > 255 then
      return nil, "invalid PASV reply"
    end
  end
  local port = numbers[5] * 256 + numbers[6]
  if port == 0 then
    return nil, "invalid PASV reply"
  end
  -- The control connection's peer, never the host the reply names: a server
  -- must not be able to aim the client at a third machine.
  local peer = conn:getcontrol():getpeername() or p.host
  local data, err = socket.tcp()
  if not data then
    return nil, netaddr.message(netaddr.CREATE_MESSAGES, err)
  end
  data:settimeout(M.WAIT)
  local connected
  connected, err = data:connect(peer, port)
  if not connected then
    data:close()
    return nil, netaddr.connect_message(err)
  end
  session.data = data
  return true
end

local function start(session, upload)
  local p = session.plan
  local verb = upload and ("STOR " .. p.name) or (p.name and "RETR " .. p.name or "NLST")
  local ok, text, dead = control.command(session.conn, verb, CODES.starts)
  if not ok then
    return nil, text, dead
  end
  session.reply_due = true
  return true
end

local function download(session, sink)
  local data = session.data
  while true do
    local block, err, partial = data:receive(M.BLOCK)
    block = block or partial
    if block and block ~= "" then
      local ok, problem = sink(block)
      if not ok then
        return nil, problem
      end
    end
    if err == "closed" then
      return true
    elseif err then
      return nil, err
    end
  end
end

local function upload(session, source)
  local total, problem = source.start()
  if not total then
    return nil, problem
  end
  while true do
    local chunk, err = source.pump()
    if chunk == nil then
      if err then
        return nil, err
      end
      return true
    end
    local sent
    sent, err = session.data:send(chunk)
    if not sent then
      return nil, err
    end
  end
end

local function finish(session)
  session.data:close()
  session.data = nil
  session.reply_due = false
  return control.expect(session.conn, CODES.done)
end

-- Orderly end: after a failure, the interrupted transfer's answer; QUIT; close.
local function close(session, failed, dead)
  if session.data then
    session.data:close()
  end
  if not dead then
    if failed and session.reply_due then
      local _, _, gone = control.reply(session.conn)
      dead = gone
    end
    if not dead then
      control.quit(session.conn)
    end
  end
  session.conn:close()
end

-- One transfer; nil, or the error. `sink` (ltn12-style, download) or
-- `source` (callbacks.lua's, upload).
local function transfer(url_text, binary, sink, source)
  local p, problem = plan(url_text, source ~= nil)
  if not p then
    return problem
  end
  p.binary = binary
  local conn, err = control.connect(p.host, p.port, M.WAIT)
  if not conn then
    return err
  end
  local session = { conn = conn, plan = p }
  local ok, dead
  for _, step in ipairs({ login, open_data, function(s) return start(s, source ~= nil) end,
    function(s) if source then return upload(s, source) end return download(s, sink) end, finish }) do
    ok, err, dead = step(session)
    if not ok then
      close(session, true, dead)
      return err or "closed"
    end
  end
  close(session, false, false)
  return nil
end

-- Public functions ------------------------------------------------------------------

local function transfer_type(value, present)
  if not present or value == nil then
    return false
  end
  local binary = TYPES[args.check_text(value, true)] -- exact: "B" is no type
  if binary == nil then
    args.raise("invalid transfer type (expected 'a' or 'b')")
  end
  return binary
end

function M.ftp_get(...)
  local n = args.count(...)
  local address, kind = ...
  address = args.check_text(address, n >= 1)
  local parts = {}
  local err = transfer(address, transfer_type(kind, n >= 2), callbacks.collector(parts), nil)
  if err then
    return nil, err
  end
  return table.concat(parts)
end

function M.ftp_put(...)
  local n = args.count(...)
  local address, data, kind = ...
  address = args.check_text(address, n >= 1)
  data = args.check_data(data, n >= 2)
  return transfer(address, transfer_type(kind, n >= 3), nil, callbacks.string_source(data))
end

function M.ftp_getindirect(...)
  local n = args.count(...)
  local address, receive_cb, kind = ...
  address = args.check_text(address, n >= 1)
  callbacks.check_callable(receive_cb, n >= 2)
  local sink, state = callbacks.receive_sink(receive_cb)
  local err = transfer(address, transfer_type(kind, n >= 3), sink, nil)
  if err then
    return callbacks.finish(state, err)
  end
  local ended, problem = sink(nil) -- the final "": the server confirmed the transfer
  if not ended then
    return problem
  end
  return nil
end

function M.ftp_putindirect(...)
  local n = args.count(...)
  local address, send_cb, kind = ...
  address = args.check_text(address, n >= 1)
  callbacks.check_callable(send_cb, n >= 2)
  return transfer(address, transfer_type(kind, n >= 3), nil, callbacks.send_source(send_cb))
end

return M
