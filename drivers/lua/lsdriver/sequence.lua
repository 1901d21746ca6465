-- Repeated sequences (PROTOCOL.md §7.2): a list of calls performed in
-- order, `rounds` times, inside the driver, with the clock around the whole
-- loop.
--
-- An exchange of several calls (send a request, receive its answer) cannot
-- be one repeated call; looping over it here keeps every round's round
-- trips off the protocol, so the time measured is the implementation's.
-- For each call, the length of value 1 is summed over all rounds where it
-- was a string and, when asked, hashed too (lsdriver.digest, off the clock:
-- the time spent hashing is subtracted).
--
-- Kept apart from the wire (server.lua): nothing here reads or writes the
-- protocol.

local socket = require("socket")
local calls = require("lsdriver.calls")
local digest = require("lsdriver.digest")

local gettime = socket.gettime
local clock = os.clock
local invoke = calls.invoke
local format, type = string.format, type

local M = {}

--- Run `steps` (each {fn, arguments, n, name}) `rounds` times. With
-- `hashed`, every call's value-1 strings are hashed (the caller checks
-- that a digest is available). Returns true, results, elapsed, cpu (the
-- process's CPU time over the loop, hashing excluded as from elapsed), where
-- results[j] = {values = last round's values, bytes = n, sha256 = hex or
-- nil}; or false, message when a call raised: "round k, call j (name): msg".
function M.run(steps, rounds, hashed)
  local count = #steps
  local last, sizes, digests = {}, {}, nil
  for j = 1, count do
    last[j], sizes[j] = { n = 0 }, 0
  end
  if hashed then
    digests = {}
    for j = 1, count do
      digests[j] = digest.new()
    end
  end
  local started, started_cpu = gettime(), clock()
  for round = 1, rounds do
    for j = 1, count do
      local step = steps[j]
      local ok, result = invoke(step.fn, step.arguments, step.n)
      if not ok then
        return false, format("round %d, call %d (%s): %s", round, j, step.name, result)
      end
      last[j] = result
      local first = result[1]
      if type(first) == "string" then
        sizes[j] = sizes[j] + #first
        if digests then
          digests[j]:add(first)
        end
      end
    end
  end
  local elapsed, cpu = calls.loop_times(started, started_cpu, digests or {}) -- before the final flush
  local results = {}
  for j = 1, count do
    results[j] = { values = last[j], bytes = sizes[j] }
  end
  if digests then
    for j = 1, count do
      results[j].sha256 = digests[j]:hexdigest()
    end
  end
  return true, results, elapsed, cpu
end

return M
