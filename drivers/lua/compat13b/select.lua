-- select(readset, writeset [, timeout]) over 1.3b socket objects (spec §7).
--
-- Readiness comes from one LuaSocket 3 socket.select over the underlying
-- objects, except that a TCP client whose read buffer (ours, or LuaSocket
-- 3's own) already holds bytes is readable at once, which also makes the OS
-- wait a zero-length poll for the others.
--
-- The result tables are plain arrays of the very objects the caller listed
-- (LuaSocket 3's also index them by object, which 1.3b's did not): sockets
-- with buffered data first, in the order listed (once per listing), then
-- the rest in ascending descriptor order, each once. `err` is "timeout"
-- whenever nothing was ready and a finite timeout expired, zero included.

local socket = require("socket")
local args = require("compat13b.args")
local core = require("compat13b.core")
local patterns = require("compat13b.patterns")

local sock_select = socket.select
local pairs, ipairs, type, sort = pairs, ipairs, type, table.sort

local M = {}

-- The open socket objects among a set's values, in traversal order.
local function sockets_of(set, present)
  local found = {}
  if not present or set == nil then
    return found
  end
  if type(set) ~= "table" then
    args.raise("expected table or nil")
  end
  for _, value in pairs(set) do
    local st = core.state(value)
    if st and not st.closed then
      found[#found + 1] = value
    end
  end
  return found
end

local function has_buffered(st)
  if st.kind ~= "tcp-client" then
    return false
  end
  return patterns.available(st) > 0 or st.sock:dirty()
end

local function by_descriptor(a, b)
  return core.state(a).sock:getfd() < core.state(b).sock:getfd()
end

-- The listed objects (each once) whose LuaSocket 3 object is in `ready`.
local function ready_objects(listed, ready)
  local result, seen = {}, {}
  if ready == nil then
    return result
  end
  local is_ready = {}
  for _, sock in ipairs(ready) do
    is_ready[sock] = true
  end
  for _, object in ipairs(listed) do
    if not seen[object] and is_ready[core.state(object).sock] then
      seen[object] = true
      result[#result + 1] = object
    end
  end
  sort(result, by_descriptor)
  return result
end

--- select(readset, writeset [, timeout]): readable, writable, err.
-- A missing, nil or negative timeout waits for ever, even with both sets
-- empty; a finite one with both sets empty is the manual's portable sleep.
function M.select(...)
  local count = args.count(...)
  local readset, writeset, timeout_value = ...
  local readers = sockets_of(readset, count >= 1)
  local writers = sockets_of(writeset, count >= 2)
  local seconds = core.seconds(timeout_value, count >= 3)

  local buffered, pending_readers, waiting, listed = {}, {}, {}, {}
  for _, object in ipairs(readers) do
    local st = core.state(object)
    if has_buffered(st) then
      buffered[#buffered + 1] = object
    else
      pending_readers[#pending_readers + 1] = object
      if not listed[st.sock] then
        listed[st.sock] = true
        waiting[#waiting + 1] = st.sock
      end
    end
  end
  local writing, seen = {}, {}
  for _, object in ipairs(writers) do
    local sock = core.state(object).sock
    if not seen[sock] then
      seen[sock] = true
      writing[#writing + 1] = sock
    end
  end

  local wait = seconds
  if #buffered > 0 then
    wait = 0
  end
  local readable_socks, writable_socks = sock_select(waiting, writing, wait)

  local readable = {}
  for index, object in ipairs(buffered) do
    readable[index] = object
  end
  for _, object in ipairs(ready_objects(pending_readers, readable_socks)) do
    readable[#readable + 1] = object
  end
  local writable = ready_objects(writers, writable_socks)
  if #readable == 0 and #writable == 0 and seconds ~= nil then
    return readable, writable, "timeout"
  end
  return readable, writable, nil
end

return M
