-- The SMTP/FTP control connection: LuaSocket 3's socket.tp connection with
-- 1.3b's reading of replies (spec §13.2).
--
-- A reply starts with a line whose first three characters are digits; the
-- fourth is the separator, and "-" means more lines follow until one starts
-- with the same digits and a space. The reply text is every line joined
-- with "\n". socket.tp reads replies the same way except for what it
-- refuses: a first line that is not three digits and a separator is a
-- failure whose message is that line, as in 1.3b (socket.tp would say
-- "invalid server reply"), and a reply may not grow past MAX_REPLY bytes.
--
-- Failures come back as nil, message, and a third value `true` when the
-- connection itself failed ("closed", "timeout"): after a refused reply the
-- client still says QUIT, after a dead connection it only closes.

local socket = require("socket")
local tp = require("socket.tp")
local netaddr = require("compat13b.netaddr")

local match, sub, concat = string.match, string.sub, table.concat
local tonumber, pcall = tonumber, pcall

local M = {}

M.MAX_REPLY = 65536

--- A control connection to host:port with `wait` seconds per wait, or nil,
-- the 1.3b connect message.
function M.connect(host, port, wait)
  local conn, err = tp.connect(host, port, wait, socket.tcp)
  if not conn then
    return nil, netaddr.connect_message(err)
  end
  return conn
end

--- The next reply: code, text, or nil, message, network_failed.
function M.reply(conn)
  local control = conn:getcontrol()
  local line, err = control:receive("*l")
  if not line then
    return nil, err, true
  end
  local code, separator = match(line, "^(%d%d%d)(.)")
  if not code then
    return nil, line
  end
  local lines, size = { line }, #line
  if separator == "-" then
    local last = code .. " "
    repeat
      line, err = control:receive("*l")
      if not line then
        return nil, err, true
      end
      size = size + #line + 1
      if size > M.MAX_REPLY then
        return nil, "reply too long"
      end
      lines[#lines + 1] = line
    until sub(line, 1, 4) == last
  end
  return tonumber(code), concat(lines, "\n")
end

--- The next reply if its code is one of `codes` (a set): code, text; else
-- nil, the reply's text (or the failure), network_failed.
function M.expect(conn, codes)
  local code, text, dead = M.reply(conn)
  if not code then
    return nil, text, dead
  end
  if not codes[code] then
    return nil, text
  end
  return code, text
end

--- Send one line (CRLF added); nil, or nil, message, true.
function M.send_line(conn, line)
  local ok, err = conn:getcontrol():send(line .. "\r\n")
  if not ok then
    return nil, err, true
  end
  return true
end

--- Send `line` and expect a reply in `codes` (see expect).
function M.command(conn, line, codes)
  local sent, err, dead = M.send_line(conn, line)
  if not sent then
    return nil, err, dead
  end
  return M.expect(conn, codes)
end

--- Say QUIT and read the answer, whatever it is; never fails.
function M.quit(conn)
  pcall(function()
    if M.send_line(conn, "QUIT") then
      M.reply(conn)
    end
  end)
end

--- Set of reply codes from a list.
function M.codes(...)
  local set = {}
  for _, code in ipairs({ ... }) do
    set[code] = true
  end
  return set
end

return M
