-- Argument handling shared by every 1.3b function: absent vs nil, numbers,
-- strings, and the raised (misuse) errors.
--
-- LuaSocket 1.3b's C core read its arguments through the Lua 4 API, which
-- converts between numbers and strings and reports a wrong type as
-- "<type> expected, got <type>". LuaSocket 3 checks arguments differently
-- (and names other types), so the compatibility layer checks every argument
-- itself, here, before LuaSocket 3 sees it.
--
-- Trailing nils are treated as absent arguments, as the manual reads
-- ("optional"); the harness may drop them anyway. A nil followed by a real
-- value is an explicit nil and is checked like any other value.

local format, floor, ceil = string.format, math.floor, math.ceil
local select, tonumber, type, error = select, tonumber, type, error

local M = {}

--- Number of arguments, not counting trailing nils.
function M.count(...)
  local n = select("#", ...)
  while n > 0 and select(n, ...) == nil do
    n = n - 1
  end
  return n
end

--- Raise a misuse error with exactly this message (no position prefix).
function M.raise(message)
  error(message, 0)
end

--- The Lua type name used in argument errors; "no value" when absent.
function M.type_name(value, present)
  if not present then
    return "no value"
  end
  return type(value)
end

--- A number as Lua 4 wrote it into a string ("%.16g"): 1.5 -> "1.5", 12 -> "12".
function M.number_text(value)
  return format("%.16g", value)
end

--- `value` as a number if Lua would convert it (numbers, numeric strings).
function M.to_number(value)
  local kind = type(value)
  if kind == "number" then
    return value
  elseif kind == "string" then
    return tonumber(value)
  end
  return nil
end

--- A required number; raises "number expected, got X".
function M.check_number(value, present)
  local number = M.to_number(value)
  if number == nil then
    M.raise("number expected, got " .. M.type_name(value, present))
  end
  return number
end

--- Truncate toward zero like a C cast; NaN is 0, infinities saturate.
function M.truncate(number)
  if number ~= number then
    return 0
  elseif number >= 2 ^ 62 then
    return 2 ^ 62
  elseif number <= -2 ^ 62 then
    return -2 ^ 62
  elseif number >= 0 then
    return floor(number)
  end
  return ceil(number)
end

--- A port: a number, fraction dropped, reduced to 16 bits (-1 -> 65535).
function M.check_port(value, present)
  -- floor() makes it an integer on Lua 5.3+: LuaSocket 3 reads ports as text,
  -- and "80.0" is no service name.
  return floor(M.truncate(M.check_number(value, present)) % 65536)
end

--- A text argument (pattern, mode, address, name); numbers become text.
function M.check_text(value, present)
  local kind = type(value)
  if kind == "string" then
    return value
  elseif kind == "number" then
    return M.number_text(value)
  end
  M.raise("string expected, got " .. M.type_name(value, present))
end

-- Data strings are checked the same way: bytes, or a number's text.
M.check_data = M.check_text

return M
