-- The manual's HTTP functions over LuaSocket 3's HTTP module (spec §14).
--
--   http_request(method, url [, req_hdrs, req_body, stay]) -> body, headers, status_line, err
--   http_get(url [, req_hdrs, stay]), http_post(url, req_body [, req_hdrs, stay])
--   http_requestindirect(method, url, resp_body_cb [, req_hdrs, req_body_cb, stay])
--       -> headers, status_line, err
--   http_getindirect(url, resp_body_cb [, req_hdrs, stay])
--   http_postindirect(url, resp_body_cb, req_body_cb [, req_hdrs, stay])
--
-- LuaSocket 3 does the wire work: socket.http's connection object
-- (http.open, sendrequestline, sendbody, receiveheaders), socket.url for
-- parsing and resolving URLs, mime for the Basic credentials; the body
-- sources are in transfer.lua. Its high-level http.request is not used, because
-- its choices are not 1.3b's: it sends "LuaSocket 3.x" as user-agent, lets a
-- caller replace "connection: close", follows 303 and 307 too, and drops the
-- status line and headers when the body fails. Here, following the manual
-- (and the project's reference where the manual is silent):
--
-- * request: the method upper-cased; "host" (with the port unless 80),
--   "user-agent: LuaSocket 1.3b HTTP 1.1" (both replaceable by the caller),
--   the caller's headers lower-cased, "connection: close" always, a
--   "content-length" for any body, "authorization: Basic ..." from URL
--   credentials; control characters in the URL, a header or the method are
--   refused before connecting;
-- * redirects: 301/302 answers to GET/HEAD, unless `stay` is set or the body
--   comes from a send callback; relative locations resolved; at most 5 hops,
--   no loops; credentials only to the first server;
-- * answers: the whole status line; 1xx interim answers skipped; 4xx/5xx
--   are answers, not errors; on failure whatever was retrieved, nil for the
--   rest, and the message.

local socket = require("socket")
local http = require("socket.http")
local ltn12 = require("ltn12")
local mime = require("mime")
local args = require("compat13b.args")
local callbacks = require("compat13b.callbacks")
local netaddr = require("compat13b.netaddr")
local transfer = require("compat13b.transfer")
local urls = require("compat13b.urls")

local find, lower, upper, match, gsub = string.find, string.lower, string.upper, string.match, string.gsub
local type, pairs, tostring, tonumber = type, pairs, tostring, tonumber
local _

local M = {}

M.USER_AGENT = "LuaSocket 1.3b HTTP 1.1"
M.WAIT = 60
M.MAX_REDIRECTS = 5
M.MAX_INTERIM = 10

local DEFAULT_PORT = 80
local TOKEN = "^[%w!#%$%%&'%*%+%.%^_`|~%-]+$"
-- Headers that belong to the server the caller named, not to a redirect target.
local ORIGIN_BOUND = { authorization = true, ["proxy-authorization"] = true, cookie = true, host = true }

-- URLs ----------------------------------------------------------------------------

local function parse_url(text)
  return urls.parse(text, "http", DEFAULT_PORT, { path = "/" })
end

local target_of, origin_of = urls.http_target, urls.origin

local function credentials_of(parsed)
  if parsed.user and parsed.password then
    return "Basic " .. mime.b64(parsed.user .. ":" .. parsed.password)
  end
  return nil
end

-- Request head ------------------------------------------------------------------

-- The caller's headers as a lower-cased table, or nil, message. A table that
-- is not one, or a name that is not text, is misuse and raises.
local function caller_headers(value, present)
  local headers = {}
  if not present or value == nil then
    return headers
  end
  if type(value) ~= "table" then
    args.raise("table expected for req_hdrs, got " .. type(value))
  end
  for name, item in pairs(value) do
    if type(name) ~= "string" then
      args.raise("string expected for header name, got " .. type(name))
    end
    item = args.check_text(item, true)
    if find(name .. item, "[%z\1-\8\10-\31\127]") then
      return nil, "invalid character in header"
    end
    if not find(name, TOKEN) then
      return nil, "invalid header name"
    end
    headers[lower(name)] = item
  end
  return headers
end

local function request_headers(parsed, caller, same_origin, credentials, length)
  local host = parsed.host
  if parsed.portnum ~= DEFAULT_PORT then
    host = host .. ":" .. parsed.portnum
  end
  local headers = { host = host, ["user-agent"] = M.USER_AGENT }
  for name, value in pairs(caller) do
    if same_origin or not ORIGIN_BOUND[name] then
      headers[name] = value
    end
  end
  headers["content-length"], headers["transfer-encoding"] = nil, nil
  if credentials and same_origin then
    headers.authorization = credentials
  end
  headers.connection = "close"
  if length then
    headers["content-length"] = tostring(length)
  end
  return headers
end

-- One exchange ----------------------------------------------------------------------

-- Read the status line; the code and the line, or nil, message.
local function read_status(conn)
  local line, err = conn:receive("*l")
  if not line then
    return nil, err
  end
  local code = match(line, "^HTTP/%d+%.%d+ (%d%d%d)$") or match(line, "^HTTP/%d+%.%d+ (%d%d%d) ")
  if not code then
    return nil, "invalid status line"
  end
  return tonumber(code), line
end

local function has_body(method, code)
  return method ~= "HEAD" and code ~= 204 and code ~= 304 and not (code >= 100 and code < 200)
end

-- The header block, names as given (lower case): LuaSocket 3's sendheaders
-- would write them in its canonical capitalisation, 1.3b did not.
local function send_headers(h, headers)
  local lines = {}
  for name, value in pairs(headers) do
    lines[#lines + 1] = name .. ": " .. value .. "\r\n"
  end
  lines[#lines + 1] = "\r\n"
  h.try(h.c:send(table.concat(lines)))
end

-- Send the request and read the head. Fills `progress` (code, status,
-- headers); returns nil or the failure message.
local function exchange(h, method, parsed, headers, body, progress)
  h:sendrequestline(method, target_of(parsed))
  send_headers(h, headers)
  if body then
    h:sendbody(headers, body.pump)
  end
  local conn = h.c
  local code, status = read_status(conn)
  if not code then
    return status
  end
  local interim = 0
  while code >= 100 and code < 200 do
    interim = interim + 1
    if interim > M.MAX_INTERIM then
      return "too many interim responses"
    end
    h:receiveheaders()
    code, status = read_status(conn)
    if not code then
      return status
    end
  end
  progress.code, progress.status = code, status
  progress.headers = h:receiveheaders()
  return nil
end

-- Follow-up URL for a redirect answer, or nil when it is the answer itself.
local function redirect_target(state, method, progress)
  local location = progress.headers and progress.headers.location
  if state.stay or not state.replayable or (method ~= "GET" and method ~= "HEAD")
      or (progress.code ~= 301 and progress.code ~= 302) or not location then
    return nil
  end
  local resolved = urls.absolute(state.current.text, (gsub(location, "^[ \t]+", "")))
  local parsed, message = parse_url(resolved)
  if not parsed then
    return nil, message
  end
  parsed.user, parsed.password = nil, nil -- a server cannot choose the credentials
  local identity = origin_of(parsed) .. target_of(parsed)
  if state.seen[identity] then
    return nil, "redirect loop"
  end
  state.hops = state.hops + 1
  if state.hops > M.MAX_REDIRECTS then
    return nil, "too many redirects"
  end
  state.seen[identity] = true
  return parsed
end

-- The whole request, redirects included. `sink` receives the body (ltn12);
-- returns progress {code, status, headers, body_started} and the error.
local function perform(method_text, url_text, header_arg, header_present, body_source, stay, sink)
  local progress = {}
  local method = upper(method_text)
  if not find(method, TOKEN) then
    return progress, "invalid method"
  end
  local parsed, message = parse_url(url_text)
  if not parsed then
    return progress, message
  end
  local caller
  caller, message = caller_headers(header_arg, header_present)
  if not caller then
    return progress, message
  end
  local state = {
    stay = stay, replayable = body_source == nil or body_source.replayable, current = parsed, hops = 0,
    seen = { [origin_of(parsed) .. target_of(parsed)] = true }, origin = origin_of(parsed),
  }
  local credentials = credentials_of(parsed)
  while true do
    progress = {}
    local ok, h = transfer.attempt(http.open, parsed.host, parsed.portnum, socket.tcp)
    if not ok then
      return progress, netaddr.connect_message(h)
    end
    local length
    if body_source then
      length, message = body_source.start()
      if not length then
        h:close()
        return progress, message
      end
    end
    local headers = request_headers(parsed, caller, origin_of(parsed) == state.origin, credentials, length)
    _, message = transfer.attempt(exchange, h, method, parsed, headers, body_source, progress)
    if message then
      h:close()
      return progress, message
    end
    local next_url
    next_url, message = redirect_target(state, method, progress)
    if message then
      h:close()
      return progress, message
    end
    if not next_url then
      progress.body_started = true
      if has_body(method, progress.code) then
        _, message = transfer.attempt(transfer.receive_body, h.c, progress.headers, sink)
        h:close()
        if message then
          return progress, message
        end
      else
        h:close()
        local ended, problem = sink(nil)
        if not ended then
          return progress, problem
        end
      end
      return progress, nil
    end
    h:close()
    parsed, state.current = next_url, next_url
  end
end

-- Public functions ----------------------------------------------------------------------

local function with_block_size(fn, ...)
  local saved = socket.BLOCKSIZE
  socket.BLOCKSIZE = transfer.HTTP_BLOCK
  local results = { pcall(fn, ...) }
  socket.BLOCKSIZE = saved
  if not results[1] then
    error(results[2], 0)
  end
  return (unpack or table.unpack)(results, 2, 5)
end

local function direct(method, url_text, header_arg, header_present, data, stay)
  local parts = {}
  local source = data and callbacks.string_source(data)
  if source then
    source.replayable = true
  end
  local progress, err = with_block_size(perform, method, url_text, header_arg, header_present, source, stay,
    callbacks.collector(parts))
  local body = progress.body_started and table.concat(parts) or nil
  return body, progress.headers, progress.status, err
end

local function indirect(method, url_text, receive_cb, header_arg, header_present, send_cb, stay)
  local sink, state = callbacks.receive_sink(receive_cb)
  local source = send_cb and callbacks.send_source(send_cb)
  local progress, err = with_block_size(perform, method, url_text, header_arg, header_present, source, stay,
    sink)
  if err then
    err = callbacks.finish(state, err)
  elseif state.error then
    err = state.error
  end
  return progress.headers, progress.status, err
end

local function is_set(value)
  return value ~= nil and value ~= false
end

function M.http_request(...)
  local n = args.count(...)
  local method, address, headers, body, stay = ...
  method, address = args.check_text(method, n >= 1), args.check_text(address, n >= 2)
  local data = body ~= nil and args.check_data(body, true) or nil
  return direct(method, address, headers, n >= 3, data, is_set(stay))
end

function M.http_get(...)
  local n = args.count(...)
  local address, headers, stay = ...
  return direct("GET", args.check_text(address, n >= 1), headers, n >= 2, nil, is_set(stay))
end

function M.http_post(...)
  local n = args.count(...)
  local address, body, headers, stay = ...
  local data = body ~= nil and args.check_data(body, true) or nil
  return direct("POST", args.check_text(address, n >= 1), headers, n >= 3, data, is_set(stay))
end

function M.http_requestindirect(...)
  local n = args.count(...)
  local method, address, receive_cb, headers, send_cb, stay = ...
  method, address = args.check_text(method, n >= 1), args.check_text(address, n >= 2)
  callbacks.check_callable(receive_cb, n >= 3)
  if send_cb ~= nil then
    callbacks.check_callable(send_cb, true)
  end
  return indirect(method, address, receive_cb, headers, n >= 4, send_cb, is_set(stay))
end

function M.http_getindirect(...)
  local n = args.count(...)
  local address, receive_cb, headers, stay = ...
  address = args.check_text(address, n >= 1)
  callbacks.check_callable(receive_cb, n >= 2)
  return indirect("GET", address, receive_cb, headers, n >= 3, nil, is_set(stay))
end

function M.http_postindirect(...)
  local n = args.count(...)
  local address, receive_cb, send_cb, headers, stay = ...
  address = args.check_text(address, n >= 1)
  callbacks.check_callable(receive_cb, n >= 2)
  callbacks.check_callable(send_cb, n >= 3)
  return indirect("POST", address, receive_cb, headers, n >= 4, send_cb, is_set(stay))
end

return M
