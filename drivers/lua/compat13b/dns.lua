-- toip and tohostname: the resolver as the manual describes it (spec §9).
--
-- Both return a first value and the `resolved` table
-- {name = "...", alias = {...}, ip = {...}}, or nil, message. LuaSocket 3's
-- socket.dns functions build the same table from the same C calls
-- (gethostbyname / gethostbyaddr). The one difference kept out here: for an
-- IP address without a reverse (PTR) record both fail with "host not found",
-- while the manual says an IP address is always accepted; such an address
-- gets the table {name = ip, alias = {}, ip = {ip}}.

local socket = require("socket")
local args = require("compat13b.args")
local netaddr = require("compat13b.netaddr")

local dns = socket.dns

local M = {}

-- Fresh arrays of strings, whatever LuaSocket 3 put in the table.
local function copy_list(list)
  local copy = {}
  if type(list) == "table" then
    for _, item in ipairs(list) do
      copy[#copy + 1] = item
    end
  end
  return copy
end

-- (first ip, resolved table) for an address, or (nil, message).
local function lookup(...)
  local count = args.count(...)
  local address = args.check_text((...), count >= 1)
  local ip = netaddr.parse_ip(address)
  local resolved, message
  if ip then
    local _, found = dns.tohostname(ip)
    if type(found) == "table" then
      resolved = found
    else
      resolved = { name = ip, alias = {}, ip = { ip } }
    end
  else
    resolved, message = netaddr.lookup_name(address)
    if not resolved then
      return nil, message
    end
  end
  local result = {
    name = resolved.name or ip,
    alias = copy_list(resolved.alias),
    ip = copy_list(resolved.ip),
  }
  local first = ip or result.ip[1]
  if first == nil then
    return nil, netaddr.HOST_NOT_FOUND
  end
  if result.ip[1] == nil then
    result.ip[1] = first
  end
  return first, result
end

--- toip(address): the first IP address of `address` and the resolved table.
function M.toip(...)
  return lookup(...)
end

--- tohostname(address): the canonical name of `address` and the resolved table.
function M.tohostname(...)
  local first, resolved = lookup(...)
  if first == nil then
    return nil, resolved
  end
  return resolved.name, resolved
end

return M
