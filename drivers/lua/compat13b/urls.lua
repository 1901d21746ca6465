-- URLs for the protocol clients: socket.url's parser with 1.3b's rules
-- around it (manual: [scheme://][user[:password]@]host[:port][/path]).
--
-- What is added to socket.url.parse: the scheme is only a leading
-- "name://" (socket.url would read "127.0.0.1:8080/x" as scheme
-- "127.0.0.1"), and must be the client's own or absent; a URL holding a
-- control character (a CR or LF would smuggle a command or header line) is
-- refused before anything is sent; the host must be there and the port be
-- 1-65535; user and password are percent-decoded, and refused like the
-- URL if they then hold a control character.

local url = require("socket.url")

local find, lower, match = string.find, string.lower, string.match
local tonumber = tonumber

local M = {}

M.BAD_CHARACTER = "invalid character in URL"
M.BAD_SCHEME = "unsupported URL scheme"
M.NO_HOST = "invalid URL: no host"
M.BAD_PORT = "invalid URL: bad port"

--- Parse `text` for `scheme` ("http" or "ftp"): socket.url's table plus
-- `portnum` (a number, `default_port` when absent) and `text` (the URL with
-- its scheme), or nil, message. `defaults` go to socket.url.parse.
function M.parse(text, scheme, default_port, defaults)
  if find(text, "%c") then
    return nil, M.BAD_CHARACTER
  end
  local given = match(text, "^(%a[%w+.-]*)://")
  if given and lower(given) ~= scheme then
    return nil, M.BAD_SCHEME
  end
  if not given then
    text = scheme .. "://" .. text
  end
  local parsed = url.parse(text, defaults)
  if not parsed or not parsed.host or parsed.host == "" then
    return nil, M.NO_HOST
  end
  local port = default_port
  if parsed.port and parsed.port ~= "" then
    port = find(parsed.port, "^%d+$") and tonumber(parsed.port)
    if not port or port < 1 or port > 65535 then
      return nil, M.BAD_PORT
    end
  end
  -- decoded, user and password are checked again: "%0D%0A" is a line break
  -- once it reaches USER or PASS
  if parsed.user then
    parsed.user = url.unescape(parsed.user)
    if find(parsed.user, "%c") then
      return nil, M.BAD_CHARACTER
    end
  end
  if parsed.password then
    parsed.password = url.unescape(parsed.password)
    if find(parsed.password, "%c") then
      return nil, M.BAD_CHARACTER
    end
  end
  parsed.portnum = port
  parsed.text = text
  return parsed
end

--- "host:port" in lower case, what identifies a server.
function M.origin(parsed)
  return lower(parsed.host) .. ":" .. parsed.portnum
end

--- The HTTP request target: path, params and query, no fragment
-- (socket.url.build re-escapes what a path segment may not hold raw).
function M.http_target(parsed)
  return url.build({ path = parsed.path, params = parsed.params, query = parsed.query })
end

--- The path as written, with any ";params" and "?query" socket.url split
-- off (FTP sends paths verbatim); nil when the URL has no path.
function M.raw_path(parsed)
  if parsed.path == nil then
    return nil
  end
  local path = parsed.path
  if parsed.params then
    path = path .. ";" .. parsed.params
  end
  if parsed.query then
    path = path .. "?" .. parsed.query
  end
  return path
end

--- An absolute URL for `location` seen while fetching `base_text`.
function M.absolute(base_text, location)
  return url.absolute(base_text, location)
end

return M
