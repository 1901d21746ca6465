-- Performing one API call: finding the function, protecting the call,
-- turning a raised error into the message the API meant, and repeating a
-- call inside the driver (PROTOCOL.md §4, §7).
--
-- Kept apart from the wire (server.lua): nothing here reads or writes the
-- protocol, so the call semantics can be exercised without a harness.

local socket = require("socket")

local gettime = socket.gettime
local clock = os.clock
local load_chunk = loadstring or load
local unpack = unpack or table.unpack
local select, type, tostring, pcall, getmetatable, ipairs = select, type, tostring, pcall, getmetatable, ipairs
local find, gsub = string.find, string.gsub

local M = {}

local function pack(...)
  return { n = select("#", ...), ... }
end
M.pack = pack

-- Method calls ---------------------------------------------------------------

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[word] = true
end

local invokers = {}

--- A function (object, ...) performing `object:name(...)`.
-- Compiled as real Lua, once per name, so that calling a method the object
-- lacks raises the runtime's own message ("attempt to call a nil value
-- (method 'accept')" on 5.4, "attempt to call method 'accept' (a nil value)"
-- on 5.1 and LuaJIT): that message is observable API behaviour.
function M.method_invoker(name)
  local invoker = invokers[name]
  if invoker then
    return invoker
  end
  if find(name, "^[%a_][%w_]*$") and not KEYWORDS[name] then
    local chunk = load_chunk("return function(o, ...) return o:" .. name .. "(...) end", "=call")
    invoker = chunk()
  else
    invoker = function(object, ...)
      return object[name](object, ...)
    end
  end
  invokers[name] = invoker
  return invoker
end

-- Errors ---------------------------------------------------------------------

-- The positions Lua puts before a message raised from Lua code: a file
-- ("compat13b/tcp.lua:12: ", "...b/tcp.lua:12: "), the driver's method
-- invoker (chunk "=call": "call:1: "), a string chunk ('[string "x"]:1: ').
-- Only these are taken off: a message of the API's own that starts like
-- "localhost:8080: " is passed on whole.
local POSITIONS = { "^[^\n]-%.lua:%d+: ", "^call:%d+: ", '^%[string "[^\n]-"%]:%d+: ' }

--- The text of an error object that is not a string, as the standalone
-- interpreter (lua.c) reports it: a number as Lua writes it, an object with
-- a __tostring metamethod by its result, anything else "(error object is a
-- T value)". tostring's "table: 0x55..." would read as a message of that
-- text, and its address changes from run to run.
local function object_text(err)
  if type(err) == "number" then
    return tostring(err)
  end
  local meta = getmetatable(err)
  if type(meta) == "table" and meta.__tostring ~= nil then
    local ok, text = pcall(tostring, err)
    if ok and type(text) == "string" then
      return text
    end
  end
  return "(error object is a " .. type(err) .. " value)"
end

--- The message a protected call reports, without the "file:line: " prefix
-- Lua adds to errors raised with a position: the API's own text is what a
-- scenario matches. An error with a position inside a .lua file is a bug in
-- the layer, not API behaviour, so it is also written to stderr.
local function error_message(err)
  local message = type(err) == "string" and err or object_text(err)
  if find(message, POSITIONS[1]) then
    io.stderr:write("driver: error inside the layer: ", message, "\n")
  end
  for _, position in ipairs(POSITIONS) do
    local stripped, count = gsub(message, position, "", 1)
    if count > 0 then
      return stripped
    end
  end
  return message
end
M.error_message = error_message

-- The results of pcall as true, values (packed, n set) or false, message.
local function settle(ok, ...)
  if ok then
    return true, { n = select("#", ...), ... }
  end
  return false, error_message((...))
end

--- Call fn(args[1..n]) protected: true, results (packed) or false, message.
function M.invoke(fn, arguments, n)
  return settle(pcall(fn, unpack(arguments, 1, n)))
end

-- Repetition -----------------------------------------------------------------

--- The wall and CPU seconds of a loop started at `started`, `started_cpu`
-- (gettime(), os.clock()), less what its `digests` (a list, maybe empty)
-- spent hashing inside it, so both leave out the same work; never below 0.
function M.loop_times(started, started_cpu, digests)
  local elapsed, cpu = gettime() - started, clock() - started_cpu
  for j = 1, #digests do
    elapsed, cpu = elapsed - digests[j].paused, cpu - digests[j].paused_cpu
  end
  return elapsed < 0 and 0 or elapsed, cpu < 0 and 0 or cpu
end

--- Repeat fn(args) up to `times` times (PROTOCOL.md §7). With `stop`, end
-- after the first repetition whose stop-th value is not nil. Returns
-- true, last values, summary {done, bytes, elapsed, cpu} or false, message
-- (a repetition raised). `bytes` counts value 1 of every repetition where
-- it was a string; `elapsed` is measured here, around the loop only, and
-- `cpu` is the process's CPU time over the same span. With a `digest`
-- (lsdriver.digest) those same strings are added to it, and the time it
-- spent hashing (`paused`, `paused_cpu`) is part of neither.
function M.repeat_call(fn, arguments, n, times, stop, digest)
  local bytes, done, values = 0, 0, { n = 0 }
  local started, started_cpu = gettime(), clock()
  while done < times do
    local ok, result = M.invoke(fn, arguments, n)
    if not ok then
      return false, result
    end
    values = result
    done = done + 1
    local first = values[1]
    if type(first) == "string" then
      bytes = bytes + #first
      if digest then
        digest:add(first)
      end
    end
    if stop and values[stop] ~= nil then
      break
    end
  end
  local elapsed, cpu = M.loop_times(started, started_cpu, { digest })
  return true, values, { done = done, bytes = bytes, elapsed = elapsed, cpu = cpu }
end

return M
