-- The native side of the Lua drivers' bulk benchmark (benchmarks/drivers.py):
-- the same transfer the driver performs with one repeated receive(BLOCK),
-- done by plain Lua code calling the same 1.3b layer, with no driver and no
-- protocol in between.
--
--   lua5.4 benchmarks/lua_native_bulk.lua PORT BLOCK
--
-- Connects to the feeder on 127.0.0.1:PORT, sends the one "go" byte,
-- receives BLOCK-byte blocks until the feeder closes, and prints
-- "BYTES SECONDS", the time measured from just after the "go" byte.

local here = (arg and arg[0] or ""):match("^(.*)[/\\][^/\\]*$") or "."
package.path = here .. "/../drivers/lua/?.lua;" .. package.path

local socket = require("socket")
local api = require("compat13b").api

local port, block = tonumber(arg[1]), tonumber(arg[2])
local client = assert(api.connect("127.0.0.1", port))
client:send("G")
local received = 0
local started = socket.gettime()
while true do
  local data, err = client:receive(block)
  received = received + #data
  if err then
    break
  end
end
local elapsed = socket.gettime() - started
client:close()
io.write(string.format("%d %.9f\n", received, elapsed))
