-- Callbacks the driver builds and runs itself (drivers/PROTOCOL.md §7.1,
-- capability "local-callbacks").
--
-- A call may carry {"local-callback": {"name": N, "kind": ...}} instead of
-- {"function": N}: the harness asks the driver to do the callback's job
-- here, so a stream does not cross the protocol chunk by chunk. Each
-- function behaves exactly as the harness's own callback for the same
-- declaration (harness/callbacks.py):
--
--   receive   receive_cb(chunk, err) returns 1; every string chunk is
--             counted and hashed (SHA-256) as it arrives, on the clock, as
--             the harness's in-process callbacks do;
--   send      send_cb() returns the next `chunk` bytes of `pattern`
--             repeated (the pattern carrying on across chunks, as
--             harness.callbacks.generated_chunks cuts them) and `total`,
--             then "" and `total` once `size` bytes were served.
--
-- Both keep the number of calls, the bytes and the first and last call's
-- arguments; `report` writes that account as the answer's "callbacks" field.
-- SHA-256 comes from luaossl; without it `available` is false and the driver
-- does not claim the capability.

local json = require("lsdriver.json")

local quote, number = json.quote, json.number
local concat = table.concat
local byte, format, gsub, rep, sub = string.byte, string.format, string.gsub, string.rep, string.sub
local ceil, min = math.ceil, math.min
local select, type, error, tostring = select, type, error, tostring

local found, openssl_digest = pcall(require, "openssl.digest")

local M = { available = found and require("lsdriver.digest").available }

local function hex(raw)
  return (gsub(raw, ".", function(c)
    return format("%02x", byte(c))
  end))
end

local function fail(name, why)
  error("protocol: local callback " .. quote(tostring(name)) .. ": " .. why, 0)
end

local function is_count(value)
  return type(value) == "number" and value >= 0 and value == math.floor(value)
end

local Registry = {}
Registry.__index = Registry

--- The local callbacks of one call: `make` builds them, `report` accounts for them.
function M.registry()
  return setmetatable({ names = {}, accounts = {}, functions = {} }, Registry)
end

local function note_call(account, ...)
  account.calls = account.calls + 1
  local args = { n = select("#", ...), ... }
  if account.first == nil then
    account.first = args
  end
  account.last = args
end

local function receiver(account)
  local hash = openssl_digest.new("sha256")
  account.hash = hash
  return function(...)
    note_call(account, ...)
    local chunk = ...
    if type(chunk) == "string" then
      account.bytes = account.bytes + #chunk
      hash:update(chunk)
    end
    return 1
  end
end

local function sender(account, spec)
  local pattern, size, chunk, total = spec.pattern, spec.size, spec.chunk, spec.total
  if type(pattern) ~= "string" or pattern == "" or not is_count(size) or not is_count(chunk) or chunk < 1
      or type(total) ~= "number" then
    fail(spec.name, "a send callback needs a pattern, a size, a chunk > 0 and a total")
  end
  local length = #pattern
  local block = rep(pattern, ceil(chunk / length) + 1) -- holds any chunk-sized window of the pattern
  local offset = 0
  return function(...)
    note_call(account, ...)
    local piece = min(chunk, size - offset)
    if piece <= 0 then
      return "", total
    end
    local start = offset % length
    offset = offset + piece
    account.bytes = account.bytes + piece
    return sub(block, start + 1, start + piece), total
  end
end

--- The function standing for one local-callback object; a name passed twice
-- in one call is one callback.
function Registry:make(spec)
  if type(spec) ~= "table" or type(spec.name) ~= "string" then
    error("protocol: a local-callback object needs a name", 0)
  end
  if self.functions[spec.name] then
    return self.functions[spec.name]
  end
  local account = { calls = 0, bytes = 0 }
  local make
  if spec.kind == "receive" then
    if not M.available then
      fail(spec.name, "a receive callback needs SHA-256 (luaossl), which this driver lacks")
    end
    make = receiver
  elseif spec.kind == "send" then
    make = sender
  else
    fail(spec.name, "unknown kind " .. quote(tostring(spec.kind)))
  end
  local fn = make(account, spec)
  self.names[#self.names + 1] = spec.name
  self.accounts[spec.name] = account
  self.functions[spec.name] = fn
  return fn
end

--- The "callbacks" object of the answer (JSON text), or nil when the call had none.
-- `encode_list(list, n)` writes an argument list as a JSON array.
function Registry:report(encode_list)
  if #self.names == 0 then
    return nil
  end
  local parts = {}
  for index, name in ipairs(self.names) do
    local account = self.accounts[name]
    local fields = { '"calls":' .. number(account.calls), '"bytes":' .. number(account.bytes) }
    if account.hash ~= nil then
      fields[#fields + 1] = '"sha256":"' .. hex(account.hash:final()) .. '"'
    end
    if account.calls > 0 then
      fields[#fields + 1] = '"first":' .. encode_list(account.first, account.first.n)
      fields[#fields + 1] = '"last":' .. encode_list(account.last, account.last.n)
    end
    parts[index] = quote(name) .. ":{" .. concat(fields, ",") .. "}"
  end
  return "{" .. concat(parts, ",") .. "}"
end

return M
