-- Lua values <-> their protocol form (drivers/PROTOCOL.md §2), and the
-- handle table.
--
-- Strings, numbers, booleans and nil map to JSON directly. A table becomes
-- {"table": {"array": [...], "hash": [[k, v], ...]}}. A socket object (as
-- the candidate's `kind_of` recognises it) becomes {"handle": N, "kind": K};
-- the same object always gets the same N, which is what lets the harness
-- compare sockets coming back from select with the ones it holds. Anything
-- else that cannot be written out (a function, a userdata) is also given a
-- handle, of kind "unknown" and with its Lua "type", so that it stays an
-- opaque reference the harness does not take for a socket.
--
-- Functions arrive as {"function": NAME}; the caller supplies the maker that
-- turns such a name into a callable (the callback round trip). A
-- {"local-callback": {...}} object (PROTOCOL.md §7.1) goes to the same maker
-- as its second argument: the driver builds that callback itself.

local json = require("lsdriver.json")

local quote, number = json.quote, json.number
local concat = table.concat
local type, pairs, rawget, tostring, error, floor = type, pairs, rawget, tostring, error, math.floor

local M = {}

local MAX_DEPTH = 64

-- Handles ------------------------------------------------------------------

local Handles = {}
Handles.__index = Handles

--- A handle table; `kind_of(value)` names a socket's kind, or returns nil.
function M.handles(kind_of)
  return setmetatable({ by_object = {}, by_number = {}, kinds = {}, next = 1, kind_of = kind_of }, Handles)
end

--- The handle number and kind for an object, registering it if new.
function Handles:number_of(object)
  local number = self.by_object[object]
  if number == nil then
    number = self.next
    self.next = number + 1
    self.by_object[object] = number
    self.by_number[number] = object
    self.kinds[number] = self.kind_of(object) or "unknown"
  end
  return number, self.kinds[number]
end

--- The object behind a handle number, or nil.
function Handles:object(number)
  return self.by_number[number]
end

--- Forget a handle; returns the object it named (or nil).
function Handles:forget(number)
  local object = self.by_number[number]
  if object ~= nil then
    self.by_number[number] = nil
    self.by_object[object] = nil
    self.kinds[number] = nil
  end
  return object
end

--- Every live handle number.
function Handles:numbers()
  local list = {}
  for handle in pairs(self.by_number) do
    list[#list + 1] = handle
  end
  return list
end

-- Encoding -----------------------------------------------------------------

local encode

local function encode_handle(object, handles)
  local handle, kind = handles:number_of(object)
  if handles.kind_of(object) == nil then
    -- No socket (a function, a userdata, a coroutine): its Lua type goes with it, so that the
    -- harness does not take it for a socket of unknown kind (PROTOCOL.md section 2).
    return '{"handle":' .. handle .. ',"kind":"unknown","type":' .. quote(type(object)) .. "}"
  end
  return '{"handle":' .. handle .. ',"kind":' .. quote(kind) .. "}"
end

local function encode_table(value, handles, depth)
  if depth > MAX_DEPTH then
    error("table nested too deeply (or a cycle) in a returned value", 0)
  end
  local array, length = {}, 0
  while rawget(value, length + 1) ~= nil do
    length = length + 1
    array[length] = encode(rawget(value, length), handles, depth + 1)
  end
  local hash, pairs_count = {}, 0
  for key, item in pairs(value) do
    local key_type = type(key)
    local in_array = key_type == "number" and key >= 1 and key <= length and key == floor(key)
    if not in_array then
      -- A socket (or any object) as a key goes out as its handle, as the harness reads it: dropped,
      -- a select result indexed by socket too (LuaSocket 3's) looked like 1.3b's plain array.
      if key_type == "table" and not handles.kind_of(key) then
        error("a table used as a table key cannot be written out (PROTOCOL.md section 2)", 0)
      end
      pairs_count = pairs_count + 1
      hash[pairs_count] = "[" .. encode(key, handles, depth + 1) .. "," .. encode(item, handles, depth + 1) .. "]"
    end
  end
  return '{"table":{"array":[' .. concat(array, ",") .. '],"hash":[' .. concat(hash, ",") .. "]}}"
end

function encode(value, handles, depth)
  local kind = type(value)
  if kind == "string" then
    return quote(value)
  elseif kind == "number" then
    return number(value)
  elseif kind == "nil" then
    return "null"
  elseif kind == "boolean" then
    return value and "true" or "false"
  elseif kind == "table" and not handles.kind_of(value) then
    return encode_table(value, handles, depth or 0)
  end
  return encode_handle(value, handles)
end

--- The JSON text of one Lua value.
M.encode = encode

--- The JSON array of values 1..n of a list (holes become null).
function M.encode_list(list, n, handles)
  local parts = {}
  for index = 1, n do
    parts[index] = encode(list[index], handles, 0)
  end
  return "[" .. concat(parts, ",") .. "]"
end

-- Decoding -----------------------------------------------------------------

local decode

local function decode_table(shape, handles, make_function, depth)
  if depth > MAX_DEPTH or type(shape) ~= "table" then
    error("protocol: bad table value", 0)
  end
  local result = {}
  local array, hash = shape.array or { n = 0 }, shape.hash or { n = 0 }
  for index = 1, array.n or 0 do
    result[index] = decode(array[index], handles, make_function, depth + 1)
  end
  for index = 1, hash.n or 0 do
    local entry = hash[index]
    if type(entry) ~= "table" or entry.n ~= 2 or entry[1] == nil then
      error("protocol: a table's hash entries must be [key, value] pairs with a non-null key", 0)
    end
    local key = decode(entry[1], handles, make_function, depth + 1)
    result[key] = decode(entry[2], handles, make_function, depth + 1)
  end
  return result
end

function decode(data, handles, make_function, depth)
  if type(data) ~= "table" then
    return data -- nil, boolean, number, string
  end
  if data.table ~= nil then
    return decode_table(data.table, handles, make_function, depth or 0)
  elseif data.handle ~= nil then
    local object = handles:object(data.handle)
    if object == nil then
      error("protocol: unknown handle " .. tostring(data.handle), 0)
    end
    return object
  elseif data["function"] ~= nil then
    return make_function(data["function"])
  elseif data["local-callback"] ~= nil then
    local spec = data["local-callback"]
    return make_function(type(spec) == "table" and spec.name or nil, spec)
  end
  error("protocol: not a value: an object without table, handle or function", 0)
end

--- The Lua value of one decoded protocol value.
M.decode = decode

return M
