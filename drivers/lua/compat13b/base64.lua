-- base64(s) and unbase64(s): the helper 1.3b's HTTP module loaded (spec §11.1).
--
-- The coding itself is LuaSocket 3's (mime.b64 / mime.unb64). What is added
-- is 1.3b's interface: one call, padding included, no line breaks; and for
-- decoding, whitespace removed first and malformed input refused. LuaSocket
-- 3's decoder skips any character outside the alphabet and drops a short
-- last group silently; the 2001 helper returned garbage there. Here
-- malformed input gives nil, "invalid base64 data", as in the project's
-- reference implementation (its DIVERGENCES.md, Protocols), and "" decodes
-- to "" rather than raising as the 2001 helper did.

local mime = require("mime")
local args = require("compat13b.args")

local find, gsub = string.find, string.gsub

local M = {}

M.INVALID = "invalid base64 data"

--- base64(s): standard alphabet, "=" padding, one line.
function M.base64(...)
  local data = args.check_data((...), args.count(...) >= 1)
  return (mime.b64(data)) or ""
end

--- unbase64(s): the bytes `s` encodes (whitespace ignored), or nil, message.
function M.unbase64(...)
  local text = args.check_data((...), args.count(...) >= 1)
  local compact = gsub(text, "[ \t\n\v\f\r]+", "")
  if compact == "" then
    return ""
  end
  if #compact % 4 ~= 0 or not find(compact, "^[%w+/]*=?=?$") then
    return nil, M.INVALID
  end
  return (mime.unb64(compact)) or ""
end

return M
