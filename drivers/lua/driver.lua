-- The Lua driver: serves the LuaSocket 1.3b API, as implemented by the
-- compatibility layer over LuaSocket 3 (compat13b.lua), to the harness over
-- the JSON-lines protocol of drivers/PROTOCOL.md.
--
--   lua5.4 drivers/lua/driver.lua [--name NAME]
--
-- Runs on Lua 5.1, 5.4 and LuaJIT with LuaSocket 3 installed (Debian:
-- lua-socket). NAME is what the hello reports; by default
-- "luasocket3-lua5.4", "luasocket3-lua5.1" or "luasocket3-luajit" after the
-- runtime. Modules are found next to this file, whatever the current
-- directory.

local here = (arg and arg[0] or ""):match("^(.*)[/\\][^/\\]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local function default_name()
  if type(jit) == "table" then
    return "luasocket3-luajit"
  end
  return "luasocket3-lua" .. (_VERSION:match("%d+%.%d+") or "")
end

local function runtime_version()
  if type(jit) == "table" and jit.version then
    return jit.version
  end
  return _VERSION
end

local name = default_name()
for index = 1, #arg do
  if arg[index] == "--name" and arg[index + 1] then
    name = arg[index + 1]
  end
end

local ok, compat = pcall(require, "compat13b")
if not ok then
  io.stderr:write("driver: cannot load the 1.3b layer over LuaSocket 3: ", tostring(compat), "\n")
  os.exit(3)
end

-- The protocol features beside the API areas: repetition (§7), sequences
-- (§7.2), and digests only where a SHA-256 is installed (luaossl).
local capabilities = { "tcp", "udp", "select", "dns", "smtp", "http", "ftp", "repeat", "sequence" }
if require("lsdriver.digest").available then
  capabilities[#capabilities + 1] = "digest"
end
if require("lsdriver.localcb").available then
  capabilities[#capabilities + 1] = "local-callbacks" -- PROTOCOL.md §7.1; needs SHA-256 (luaossl)
end

require("lsdriver.server").serve({
  name = name,
  version = compat.VERSION .. " / " .. runtime_version(),
  capabilities = capabilities,
  api = compat.api,
  kind_of = compat.kind,
  close = function(object)
    if compat.kind(object) then
      object:close()
    end
  end,
})
