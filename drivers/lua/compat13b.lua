-- The LuaSocket 1.3b API on top of LuaSocket 3.
--
-- Usage from Lua (LuaSocket 3 installed, this directory on package.path):
--
--   local compat = require("compat13b")
--   local api = compat.api                 -- every 1.3b global, by name
--   local c = api.connect("127.0.0.1", 8080)
--   c:send("hello\r\n"); print(api.receive(c, "*l"))
--   compat.install(_G)                     -- or: as real globals, as in 1.3b
--
-- `install` replaces the base library's `select` in that table with the
-- 1.3b one (Lua 4, for which 1.3b was written, had no such built-in); code
-- that needs the built-in should keep the API in its own table instead.
--
-- What is 1.3b here and what is LuaSocket 3: LuaSocket 3 does the system
-- calls (sockets, connect/bind/listen/accept, send/recv, select, the
-- resolver); everything observable through the 1.3b API is done by this
-- layer, following the manual and the project's behaviour spec: receive
-- patterns and buffering (patterns.lua), the "b"/"r" limits (core.lua),
-- argument checks and raised errors (args.lua), 1.3b's messages (netaddr.lua),
-- UDP conventions and options (udp.lua), select's result shape (select.lua)
-- and the resolver tables (dns.lua).
--
-- Socket objects are tables with methods, and every operation is also a
-- global taking the socket first: the manual says the two forms are
-- equivalent, so the globals raise exactly what the methods raise.

local socket = require("socket")
local args = require("compat13b.args")
local base64 = require("compat13b.base64")
local core = require("compat13b.core")
local dns = require("compat13b.dns")
local ftpclient = require("compat13b.ftpclient")
local httpclient = require("compat13b.httpclient")
local select13b = require("compat13b.select")
local smtpclient = require("compat13b.smtpclient")
local tcp = require("compat13b.tcp")
local udp = require("compat13b.udp")

local M = {}

M.VERSION = "1.3b (on " .. tostring(socket._VERSION) .. ")"

--- "tcp-client", "tcp-server" or "udp" for a 1.3b socket object, else nil.
M.kind = core.kind

-- The global form of a method: name(sock, ...) is sock:name(...).
local function global_form(name)
  return function(sock, ...)
    if core.state(sock) == nil then
      args.raise("invalid socket object")
    end
    local method = sock[name]
    if method == nil then
      args.raise("attempt to call a nil value (method '" .. name .. "')")
    end
    return method(sock, ...)
  end
end

M.api = {
  connect = tcp.connect,
  bind = tcp.bind,
  udpsocket = udp.udpsocket,
  select = select13b.select,
  toip = dns.toip,
  tohostname = dns.tohostname,
  base64 = base64.base64,
  unbase64 = base64.unbase64,
}

local PROTOCOL_FUNCTIONS = {
  [httpclient] = { "http_request", "http_get", "http_post", "http_requestindirect", "http_getindirect",
    "http_postindirect" },
  [smtpclient] = { "smtp_mail", "mail" },
  [ftpclient] = { "ftp_get", "ftp_put", "ftp_getindirect", "ftp_putindirect" },
}
for module, names in pairs(PROTOCOL_FUNCTIONS) do
  for _, name in ipairs(names) do
    M.api[name] = module[name]
  end
end

for _, name in ipairs({ "accept", "close", "getpeername", "getsockname", "receive", "receivefrom", "send",
  "sendto", "setpeername", "setsockname", "timeout" }) do
  M.api[name] = global_form(name)
end

--- Copy every 1.3b global into `env` (for example _G).
function M.install(env)
  for name, value in pairs(M.api) do
    env[name] = value
  end
  return env
end

return M
