-- The protocol loop of a driver (drivers/PROTOCOL.md): hello, then one
-- request line at a time from stdin, one answer line per request on stdout.
--
-- A `candidate` table describes what is served:
--   name, version, capabilities   the hello's fields
--   api                           global functions by name
--   kind_of(value)                a socket object's kind, or nil
--   close(object)                 close a socket object quietly
--
-- stdout carries protocol lines only, each flushed at once (one write per
-- message: stdout is fully buffered and flushed after each line). Anything
-- the harness sends that this page does not allow is a protocol error: the
-- driver says why on stderr and exits with status 2, which the harness
-- reports as a CRASH of that one scenario.

local json = require("lsdriver.json")
local values = require("lsdriver.values")
local calls = require("lsdriver.calls")
local digest = require("lsdriver.digest")
local localcb = require("lsdriver.localcb")
local sequence = require("lsdriver.sequence")

local quote = json.quote
local concat = table.concat
local stdin, stdout, stderr = io.stdin, io.stdout, io.stderr
local type, tostring, pcall = type, tostring, pcall

local M = {}

local function die(message)
  stderr:write("driver: ", message, "\n")
  stderr:flush()
  os.exit(2)
end

local function send_line(text)
  stdout:write(text, "\n")
  stdout:flush()
end

local function read_message()
  local line = stdin:read("*l")
  if line == nil then
    return nil
  end
  local ok, message = pcall(json.decode, line)
  if not ok then
    die("protocol: " .. tostring(message))
  end
  if type(message) ~= "table" or type(message.type) ~= "string" then
    die("protocol: a message must be a JSON object with a \"type\"")
  end
  return message
end

local Session = {}
Session.__index = Session

--- Serve `candidate` until bye or end of input; never returns.
function M.serve(candidate)
  stdout:setvbuf("full")
  local session = setmetatable({
    candidate = candidate,
    handles = values.handles(candidate.kind_of),
    call_id = nil, -- the call in progress, for callbacks
    callbacks = 0,
  }, Session)
  send_line('{"type":"hello","protocol":1,"name":' .. quote(candidate.name) .. ',"version":'
    .. quote(candidate.version) .. ',"capabilities":[' .. session:quoted_list(candidate.capabilities) .. "]}")
  while true do
    local message = read_message()
    if message == nil then
      session:close_all()
      os.exit(0)
    end
    local handler = Session["on_" .. message.type]
    if handler == nil then
      die("protocol: unexpected message type " .. quote(message.type))
    end
    handler(session, message)
  end
end

function Session:quoted_list(list)
  local parts = {}
  for index, item in ipairs(list) do
    parts[index] = quote(item)
  end
  return concat(parts, ",")
end

function Session:encode_values(list)
  return values.encode_list(list, list.n or #list, self.handles)
end

-- Callbacks ------------------------------------------------------------------

-- A Lua function standing for the harness-side callback `name`: each call
-- is a callback round trip within the call in progress (PROTOCOL.md §6).
function Session:callback(name)
  return function(...)
    local id = self.call_id
    self.callbacks = self.callbacks + 1
    local cb = self.callbacks
    local arguments = calls.pack(...)
    -- Encoded under pcall: a failure raised here would reach the candidate as the callback's
    -- error, and the harness would see it as the API call raising.
    local encoded_ok, encoded = pcall(self.encode_values, self, arguments)
    if not encoded_ok then
      die("callback " .. name .. ": " .. tostring(encoded))
    end
    send_line('{"type":"callback","id":' .. tostring(id) .. ',"cb":' .. cb .. ',"function":' .. quote(name)
      .. ',"args":' .. encoded .. "}")
    local reply = read_message()
    if reply == nil then
      os.exit(0) -- the harness went away mid-call
    end
    if reply.id ~= id or reply.cb ~= cb then
      die("protocol: callback answer for id " .. tostring(reply.id) .. " cb " .. tostring(reply.cb)
        .. ", expected id " .. tostring(id) .. " cb " .. cb)
    end
    if reply.type == "callback-error" then
      error(tostring(reply.message), 0)
    elseif reply.type ~= "callback-return" then
      die("protocol: expected callback-return or callback-error, got " .. quote(reply.type))
    end
    local list = reply.values or { n = 0 }
    local results = { n = list.n or 0 }
    for index = 1, results.n do
      results[index] = values.decode(list[index], self.handles, function(other) return self:callback(other) end)
    end
    return (unpack or table.unpack)(results, 1, results.n)
  end
end

-- Requests -------------------------------------------------------------------

-- The answer's "callbacks" field (PROTOCOL.md §7.1), or "" when the call
-- had no local callbacks.
function Session:local_report()
  local report = self.locals and self.locals:report(function(list, n)
    return values.encode_list(list, n, self.handles)
  end)
  self.locals = nil
  return report and (',"callbacks":' .. report) or ""
end

function Session:answer_error(id, message)
  send_line('{"type":"error","id":' .. tostring(id) .. ',"message":' .. quote(message) .. self:local_report()
    .. "}")
end

-- The function to call and its full argument list, or nil (unimplemented).
function Session:prepare(message)
  local name = message["function"]
  if type(name) ~= "string" then
    die("protocol: a call needs a \"function\" name")
  end
  local locals = localcb.registry()
  self.locals = locals
  local make_function = function(cb_name, spec)
    if spec ~= nil then
      return locals:make(spec) -- a local-callback object (PROTOCOL.md §7.1)
    end
    return self:callback(cb_name)
  end
  local list = message.args or { n = 0 }
  local n = list.n or 0
  local method = message.style == "method"
  local offset = method and 1 or 0
  local arguments = {}
  local ok, problem = pcall(function()
    if method then
      arguments[1] = values.decode(message.target, self.handles, make_function)
    end
    for index = 1, n do
      arguments[index + offset] = values.decode(list[index], self.handles, make_function)
    end
  end)
  if not ok then
    die(tostring(problem)) -- a value PROTOCOL.md does not allow, or a handle never issued
  end
  if method then
    return calls.method_invoker(name), arguments, n + 1
  end
  local fn = self.candidate.api[name]
  if fn == nil then
    return nil
  end
  return fn, arguments, n
end

function Session:on_call(message)
  local id = message.id
  local fn, arguments, n = self:prepare(message)
  if fn == nil then
    return send_line('{"type":"unimplemented","id":' .. tostring(id) .. ',"function":'
      .. quote(message["function"]) .. "}")
  end
  self.call_id, self.callbacks = id, 0
  local times = message["repeat"]
  if times ~= nil then
    return self:repeat_call(message, fn, arguments, n, times)
  end
  local ok, result = calls.invoke(fn, arguments, n)
  self.call_id = nil
  if not ok then
    return self:answer_error(id, result)
  end
  send_line('{"type":"return","id":' .. tostring(id) .. ',"values":' .. self:encode_values(result)
    .. self:local_report() .. "}")
end

function Session:repeat_call(message, fn, arguments, n, times)
  local id = message.id
  if type(times) ~= "number" or times < 1 then
    return self:answer_error(id, "repeat must be a positive number")
  end
  local stop = message.stop
  if stop ~= nil and (type(stop) ~= "number" or stop < 1) then
    return self:answer_error(id, "stop must be a positive number")
  end
  local discard = message.discard or "none"
  local accumulator = nil
  if discard == "digest" then
    if not digest.available then
      return self:answer_error(id, 'discard "digest" not supported')
    end
    accumulator = digest.new()
  elseif discard ~= "none" and discard ~= "count" then
    return self:answer_error(id, "unknown discard " .. quote(tostring(discard)))
  end
  local ok, result, summary = calls.repeat_call(fn, arguments, n, times, stop, accumulator)
  self.call_id = nil
  if not ok then
    return self:answer_error(id, result)
  end
  if discard ~= "none" and type(result[1]) == "string" then
    result[1] = nil
  end
  local sha256 = ""
  if accumulator then -- the last batch is hashed here, after the loop's clock stopped
    sha256 = ',"sha256":"' .. accumulator:hexdigest() .. '"'
  end
  send_line('{"type":"return","id":' .. tostring(id) .. ',"values":' .. self:encode_values(result)
    .. ',"repeat":{"done":' .. summary.done .. ',"bytes":' .. json.number(summary.bytes)
    .. ',"elapsed":' .. json.number(summary.elapsed) .. ',"cpu":' .. json.number(summary.cpu) .. sha256 .. "}"
    .. self:local_report() .. "}")
end

-- Whether the hello claimed `capability`.
function Session:claims(capability)
  for _, item in ipairs(self.candidate.capabilities) do
    if item == capability then
      return true
    end
  end
  return false
end

-- A sequence (PROTOCOL.md §7.2): every call prepared first, so that a
-- missing global is answered before anything runs; then the loop.
function Session:on_sequence(message)
  local id = message.id
  local list, rounds, discard = message.calls, message.rounds, message.discard or "none"
  if type(list) ~= "table" or (list.n or 0) < 1 then
    return self:answer_error(id, "a sequence needs a non-empty list of calls")
  end
  if type(rounds) ~= "number" or rounds < 1 then
    return self:answer_error(id, "rounds must be a positive number")
  end
  if discard == "digest" and not self:claims("digest") then
    return self:answer_error(id, 'discard "digest" not supported')
  elseif discard ~= "none" and discard ~= "digest" then
    return self:answer_error(id, "unknown discard " .. quote(tostring(discard)))
  end
  local steps = {}
  for j = 1, list.n do
    local call = list[j]
    if type(call) ~= "table" then
      die("protocol: every call of a sequence must be an object")
    end
    local fn, arguments, n = self:prepare(call)
    if fn == nil then
      return send_line('{"type":"unimplemented","id":' .. tostring(id) .. ',"function":'
        .. quote(call["function"]) .. "}")
    end
    steps[j] = { fn = fn, arguments = arguments, n = n, name = call["function"] }
  end
  self.call_id, self.callbacks = id, 0
  local ok, results, elapsed, cpu = sequence.run(steps, rounds, discard == "digest")
  self.call_id = nil
  if not ok then
    return self:answer_error(id, results)
  end
  local parts = {}
  for j = 1, #results do
    local result = results[j]
    parts[j] = '{"values":' .. self:encode_values(result.values) .. ',"bytes":' .. json.number(result.bytes)
      .. (result.sha256 and (',"sha256":"' .. result.sha256 .. '"') or "") .. "}"
  end
  send_line('{"type":"return","id":' .. tostring(id) .. ',"sequence":{"rounds":' .. json.number(rounds)
    .. ',"elapsed":' .. json.number(elapsed) .. ',"cpu":' .. json.number(cpu) .. ',"results":['
    .. concat(parts, ",") .. "]}}")
end

function Session:close_all()
  for _, handle in ipairs(self.handles:numbers()) do
    local object = self.handles:forget(handle)
    pcall(self.candidate.close, object)
  end
end

function Session:on_release(message)
  local list = message.handles or { n = 0 }
  for index = 1, list.n or 0 do
    local object = self.handles:forget(list[index])
    if object ~= nil then
      pcall(self.candidate.close, object)
    end
  end
  send_line('{"type":"released","id":' .. tostring(message.id) .. "}")
end

function Session:on_bye(message)
  self:close_all()
  send_line('{"type":"bye","id":' .. tostring(message.id) .. "}")
  os.exit(0)
end

return M
