-- SHA-256 of what a timed loop produced, computed off that loop's clock
-- (PROTOCOL.md §7, discard "digest").
--
-- Hashing costs about as much as a fast receive, so a digest updated inside
-- the loop would measure the hash as much as the implementation. Strings
-- are kept in a small batch (about 1 MiB or 1024 strings) and hashed when it
-- fills up and at the end; the time spent hashing is added to `paused`, which
-- the loop subtracts from its elapsed time (and the CPU time it spent,
-- `paused_cpu`, from the loop's CPU time). The harness's in-process adapter
-- does the same (harness/adapters/offclock.py).
--
-- SHA-256 comes from luaossl (Debian: lua-luaossl). Without it `available`
-- is false and the driver does not claim the "digest" capability.

local socket = require("socket")

local gettime = socket.gettime
local clock = os.clock
local format, byte, gsub = string.format, string.byte, string.gsub

local FLUSH_BYTES = 1024 * 1024
local FLUSH_COUNT = 1024

local found, openssl_digest = pcall(require, "openssl.digest")

local M = { available = found }

local Digest = {}
Digest.__index = Digest

--- A new accumulator, or nil when no SHA-256 implementation is installed.
function M.new()
  if not found then
    return nil
  end
  return setmetatable({
    hash = openssl_digest.new("sha256"),
    pending = {},
    count = 0,
    pending_bytes = 0,
    paused = 0,
    paused_cpu = 0,
  }, Digest)
end

function Digest:add(data)
  local count = self.count + 1
  self.count = count
  self.pending[count] = data
  local size = self.pending_bytes + #data
  self.pending_bytes = size
  if size >= FLUSH_BYTES or count >= FLUSH_COUNT then
    self:flush()
  end
end

--- Hash the batch now; its time goes to `paused`.
function Digest:flush()
  local count = self.count
  if count == 0 then
    return
  end
  local began, began_cpu = gettime(), clock()
  local hash, pending = self.hash, self.pending
  for i = 1, count do
    hash:update(pending[i])
    pending[i] = nil
  end
  self.count, self.pending_bytes = 0, 0
  self.paused = self.paused + (gettime() - began)
  self.paused_cpu = self.paused_cpu + (clock() - began_cpu)
end

local function hex(raw)
  return (gsub(raw, ".", function(c)
    return format("%02x", byte(c))
  end))
end

--- The lowercase hex digest of everything added (ends the accumulator).
function Digest:hexdigest()
  self:flush()
  return hex(self.hash:final())
end

return M
