-- Test helper for tests/lua/test_lua_driver_values.py: the driver's own
-- protocol loop (drivers/lua/lsdriver/server.lua) serving a few functions
-- that return or raise values no LuaSocket call gives, so that the way the
-- driver writes them out can be checked whole.
--
--   lua5.4 tests/lua/lua_values_driver.lua DRIVERS_LUA_DIR

package.path = arg[1] .. "/?.lua;" .. package.path

local socket = setmetatable({}, { __index = { close = function() end } })

local RAISED = {
  table = function() error({ code = 1 }) end,
  ["nil"] = function() error(nil) end,
  boolean = function() error(false) end,
  number = function() error(42, 0) end,
  tostring = function() error(setmetatable({}, { __tostring = function() return "custom error" end })) end,
  positioned = function() error("raised with a position") end,
  address = function() error("localhost:8080: connection refused", 0) end,
  chunk = function() assert((loadstring or load)("error('from a string chunk')"))() end,
}

local api = {
  raise = function(kind) RAISED[kind]() end,
  give_function = function() return print end,
  give_socket = function() return socket end,
  give_cycle_to = function(callback)
    local cycle = {}
    cycle.self = cycle
    return callback(cycle)
  end,
}

require("lsdriver.server").serve({
  name = "values", version = "0", capabilities = { "tcp" }, api = api,
  kind_of = function(value) return value == socket and "tcp-client" or nil end,
  close = function() end,
})
