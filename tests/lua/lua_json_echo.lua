-- Test helper for tests/lua/test_lua_json_codec.py: reads one protocol value
-- per line (drivers/PROTOCOL.md §2) and writes it back re-encoded, or
-- "ERROR <message>" when the line is refused. Exercises the driver's own
-- codec (drivers/lua/lsdriver/json.lua and values.lua) with no socket.
--
--   lua5.4 tests/lua/lua_json_echo.lua DRIVERS_LUA_DIR

package.path = arg[1] .. "/?.lua;" .. package.path
local json = require("lsdriver.json")
local values = require("lsdriver.values")

local handles = values.handles(function() return nil end)
local function no_functions(name)
  error("no functions here: " .. name, 0)
end

-- "!socket-keys" stands for a value no JSON line can bring: a result that holds one socket
-- both as an array item and as a key (select's result in LuaSocket 3), and a function key.
local socket = setmetatable({}, {})
local with_sockets = values.handles(function(value)
  return value == socket and "tcp-client" or nil
end)
local function socket_keys()
  return values.encode({ socket, [socket] = socket, [print] = true }, with_sockets)
end

io.stdout:setvbuf("full")
for line in io.stdin:lines() do
  local ok, result = pcall(function()
    if line == "!socket-keys" then
      return socket_keys()
    elseif line == "!table-key" then
      return values.encode({ [{}] = 1 }, with_sockets)
    end
    return values.encode(values.decode(json.decode(line), handles, no_functions), handles)
  end)
  if ok then
    io.stdout:write(result, "\n")
  else
    io.stdout:write("ERROR ", tostring(result), "\n")
  end
  io.stdout:flush()
end
