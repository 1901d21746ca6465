-- Addresses, name resolution and the 1.3b failure messages (spec §2, §3.2).
--
-- Two jobs, both tables rather than code:
--
-- * An address that parses as IPv4 in the permissive BSD inet_aton syntax
--   ("127.1", octal and hex parts) is used as it is; anything else is a host
--   name for the system resolver, and every address it returns is tried in
--   order. LuaSocket 3 resolves with getaddrinfo and would also try IPv6;
--   1.3b is IPv4 only, so the parsing and the lookup are done here.
-- * LuaSocket 3 reports OS failures with its own words ("permission
--   denied") or the C library's strerror text ("Cannot assign requested
--   address"). Callers of 1.3b compare against the 2001 strings, spelling
--   mistakes included ("address not availabe"), so each operation has a
--   table from LuaSocket 3's message to the 1.3b one.

local socket = require("socket")

local dns = socket.dns
local find, match, sub, format = string.find, string.match, string.sub, string.format
local tonumber = tonumber

local M = {}

M.HOST_NOT_FOUND = "host not found"
M.UNKNOWN_ERROR = "unknown error"
M.LISTEN_ERROR = "listen error"

M.RESOLVER_MESSAGES = {
  ["host not found"] = "host not found",
  ["Unknown host"] = "host not found",
  ["Host name lookup failure"] = "name server unavailable, try again later",
  ["Unknown server error"] = "name server error",
  ["No address associated with name"] = "unable to resolve host name",
}

M.CREATE_MESSAGES = {
  ["permission denied"] = "access denied",
  ["Too many open files"] = "descriptor table is full",
  ["Too many open files in system"] = "too many open files",
  ["No buffer space available"] = "insuffucient buffer space",
  ["Cannot allocate memory"] = "insuffucient buffer space",
}

M.BIND_MESSAGES = {
  ["Bad file descriptor"] = "invalid descriptor",
  ["Invalid argument"] = "socket already bound",
  ["permission denied"] = "access denied",
  ["Socket operation on non-socket"] = "not a socket descriptor",
  ["address already in use"] = "address already in use",
  ["Cannot assign requested address"] = "address unavailable",
  ["Cannot allocate memory"] = "out of memory",
}

M.CONNECT_MESSAGES = {
  ["Bad file descriptor"] = "invalid descriptor",
  ["Socket operation on non-socket"] = "not a socket descriptor",
  ["Cannot assign requested address"] = "address not availabe",
  ["timeout"] = "connection timed out",
  ["connection refused"] = "connection refused",
  ["permission denied"] = "access denied",
  ["Operation not permitted"] = "access denied",
  ["Network is unreachable"] = "network is unreachable",
  ["address already in use"] = "address already in use",
}

-- LuaSocket 3's getaddrinfo messages (its own words for the EAI_* codes).
M.GAI_MESSAGES = {
  ["host or service not provided, or not known"] = "host not found",
  ["temporary failure in name resolution"] = "name server unavailable, try again later",
  ["non-recoverable failure in name resolution"] = "name server error",
  ["no address associated with hostname"] = "unable to resolve host name",
}

--- The 1.3b message for a failed connect made by LuaSocket 3's own
-- protocol code (which resolves names with getaddrinfo).
function M.connect_message(luasocket3_message)
  return M.GAI_MESSAGES[luasocket3_message] or M.message(M.CONNECT_MESSAGES, luasocket3_message)
end

--- The 1.3b message for a LuaSocket 3 failure message, from one table.
function M.message(table13b, luasocket3_message)
  return table13b[luasocket3_message] or M.UNKNOWN_ERROR
end

-- One inet_aton part: decimal, octal (leading 0) or hex (0x); nil if invalid.
local function part_value(text)
  if find(text, "^0[xX]%x*$") then
    return tonumber(sub(text, 3), 16) or 0
  elseif find(text, "^0[0-7]*$") then
    return tonumber(text, 8)
  elseif find(text, "^[1-9]%d*$") then
    return tonumber(text)
  end
  return nil
end

--- The dotted form of an IPv4 literal in inet_aton syntax, or nil.
-- "127.1" -> "127.0.0.1"; "0x7f.1" -> "127.0.0.1"; like inet_aton, text
-- after the first whitespace character is ignored.
function M.parse_ip(text)
  text = match(text, "^[^ \t\n\v\f\r]*")
  if text == "" or find(text, "[^%w.]") then
    return nil
  end
  local parts = {}
  for piece in (text .. "."):gmatch("([^.]*)%.") do
    local value = part_value(piece)
    if value == nil then
      return nil
    end
    parts[#parts + 1] = value
  end
  if #parts == 0 or #parts > 4 then
    return nil
  end
  -- The last part fills the bytes the earlier ones leave.
  local last_room = 256 ^ (5 - #parts)
  for i = 1, #parts - 1 do
    if parts[i] > 255 then
      return nil
    end
  end
  if parts[#parts] >= last_room then
    return nil
  end
  local address = 0
  for i = 1, #parts - 1 do
    address = address * 256 + parts[i]
  end
  address = address * last_room + parts[#parts]
  local d = address % 256
  local c = (address - d) / 256 % 256
  local b = (address - d - c * 256) / 65536 % 256
  local a = (address - d - c * 256 - b * 65536) / 16777216
  return format("%d.%d.%d.%d", a, b, c, d)
end

--- Forward lookup of a host name: (resolved table) or (nil, 1.3b message).
function M.lookup_name(name)
  if find(name, "\0", 1, true) then
    return nil, M.HOST_NOT_FOUND -- C strings end at the NUL; no such host
  end
  local first, resolved = dns.toip(name)
  if not first then
    return nil, M.RESOLVER_MESSAGES[resolved] or M.UNKNOWN_ERROR
  end
  return resolved
end

--- Addresses to try for `address` (a list of dotted IPs), or (nil, message).
function M.resolve(address)
  local ip = M.parse_ip(address)
  if ip then
    return { ip }
  end
  local resolved, message = M.lookup_name(address)
  if not resolved then
    return nil, message
  end
  if type(resolved.ip) ~= "table" or resolved.ip[1] == nil then
    return nil, M.HOST_NOT_FOUND
  end
  return resolved.ip
end

return M
