-- JSON text <-> plain Lua data, for the driver protocol (drivers/PROTOCOL.md).
--
-- Why a codec of our own: the driver must run on a bare Lua 5.1, 5.4 or
-- LuaJIT with only LuaSocket installed, and the protocol's one unusual rule
-- (a JSON string carries bytes, one code point U+0000-U+00FF per byte) is
-- easier to honour exactly than to bolt onto a general UTF-8 library.
--
-- Decoding gives plain data: objects are Lua tables with string keys,
-- arrays are Lua tables with their length in field `n` (a JSON null inside
-- an array is a hole, so `#` cannot be trusted), null is nil. Anything that
-- is not valid JSON, or a string with a code point above U+00FF, raises an
-- error whose message starts with "json:". Encoding is done field by field
-- by the caller with `quote` and `number`, which is both faster and keeps
-- the key order of the messages stable.
--
-- Both directions work on whole strings with string.find/gsub, so the cost
-- per byte stays in C even for multi-megabyte payloads.

local byte, char, find, format, sub, gsub = string.byte, string.char, string.find, string.format, string.sub,
  string.gsub
local concat = table.concat
local floor, huge = math.floor, math.huge
local tonumber, error = tonumber, error

local M = {}

-- Encoding -----------------------------------------------------------------

local ESCAPE = {}
for code = 0, 255 do
  ESCAPE[char(code)] = format("\\u%04x", code)
end
ESCAPE['"'], ESCAPE["\\"] = '\\"', "\\\\"
ESCAPE["\n"], ESCAPE["\r"], ESCAPE["\t"] = "\\n", "\\r", "\\t"

-- Every byte that may not appear raw in our output: control bytes (and DEL),
-- the quote, the backslash and every byte >= 0x80 (sent as \u0080-\u00ff so
-- the line stays pure ASCII).
local NEEDS_ESCAPE = '[%c"\\\128-\255]'

--- The JSON string literal for a Lua string (bytes -> code points).
function M.quote(text)
  if not find(text, NEEDS_ESCAPE) then
    return '"' .. text .. '"'
  end
  return '"' .. (gsub(text, NEEDS_ESCAPE, ESCAPE)) .. '"'
end

--- The JSON text of a Lua number; integers are written without a fraction.
-- Infinities and NaN have no JSON spelling; the harness's decoder accepts
-- the JavaScript words, so those are used rather than failing the call.
function M.number(value)
  if value ~= value then
    return "NaN"
  elseif value == huge then
    return "Infinity"
  elseif value == -huge then
    return "-Infinity"
  elseif value == floor(value) and value > -2 ^ 63 and value < 2 ^ 63 then
    return format("%d", value)
  end
  return format("%.17g", value)
end

-- Decoding -----------------------------------------------------------------

local SIMPLE_ESCAPES = {
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
}

local function fail(text, at, what)
  error(format("json: %s at offset %d near %q", what, at - 1, sub(text, at, at + 15)), 0)
end

-- Raw (unescaped) text may carry code points U+0080-U+00FF as two-byte UTF-8;
-- anything else above 0x7F is not a byte and is refused.
local UTF8_BYTE = "[\194\195][\128-\191]"
local LATIN1_OF_UTF8 = {}
for code = 128, 255 do
  LATIN1_OF_UTF8[char(192 + (code - code % 64) / 64, 128 + code % 64)] = char(code)
end

local function latin1_from_utf8(raw, text, at)
  if find((gsub(raw, UTF8_BYTE, "")), "[\128-\255]") then
    fail(text, at, "code point above U+00FF (or bad UTF-8) in string")
  end
  return (gsub(raw, UTF8_BYTE, LATIN1_OF_UTF8))
end

-- Raw text between `at` and a quote or backslash: bytes as they are, except
-- the UTF-8 of U+0080-U+00FF.
local function raw_text(text, at, stop)
  local raw = sub(text, at, stop - 1)
  if find(raw, "[\128-\255]") then
    return latin1_from_utf8(raw, text, at)
  end
  return raw
end

local function decode_string(text, at)
  -- `at` is just past the opening quote. The usual string has no escape:
  -- one plain search for the closing quote, one check for a backslash.
  local quote_at = find(text, '"', at, true)
  if not quote_at then
    fail(text, at, "unterminated string")
  end
  local plain = sub(text, at, quote_at - 1)
  if not find(plain, "\\", 1, true) then
    if find(plain, "[\128-\255]") then
      plain = latin1_from_utf8(plain, text, at)
    end
    return plain, quote_at + 1
  end
  local parts, count = {}, 0
  while true do
    local stop = find(text, '["\\]', at)
    if not stop then
      fail(text, at, "unterminated string")
    end
    if stop > at then
      count = count + 1
      parts[count] = raw_text(text, at, stop)
    end
    if byte(text, stop) == 34 then
      return concat(parts, "", 1, count), stop + 1
    end
    local kind = sub(text, stop + 1, stop + 1)
    if kind == "u" then
      local hex = sub(text, stop + 2, stop + 5)
      if not find(hex, "^%x%x%x%x$") then
        fail(text, stop, "bad \\u escape")
      end
      local code = tonumber(hex, 16)
      if code > 255 then
        fail(text, stop, "code point above U+00FF in string")
      end
      count = count + 1
      parts[count] = char(code)
      at = stop + 6
    else
      local plain_escape = SIMPLE_ESCAPES[kind]
      if not plain_escape then
        fail(text, stop, "bad escape")
      end
      count = count + 1
      parts[count] = plain_escape
      at = stop + 2
    end
  end
end

local decode_value

-- Whitespace bytes. Callers test SPACE[byte(text, at)] before calling
-- skip_space: the harness writes compact JSON, and a function call per
-- token is most of the decoding time on Lua 5.1.
local SPACE = { [32] = true, [9] = true, [10] = true, [13] = true }

local function skip_space(text, at)
  local _, last = find(text, "^[ \t\r\n]*", at)
  return last + 1
end

local function decode_array(text, at)
  local array, count = {}, 0
  if SPACE[byte(text, at)] then
    at = skip_space(text, at)
  end
  if byte(text, at) == 93 then -- ]
    array.n = 0
    return array, at + 1
  end
  while true do
    count = count + 1
    array[count], at = decode_value(text, at)
    if SPACE[byte(text, at)] then
      at = skip_space(text, at)
    end
    local separator = byte(text, at)
    if separator == 93 then
      array.n = count
      return array, at + 1
    elseif separator ~= 44 then -- ,
      fail(text, at, "expected ',' or ']'")
    end
    at = at + 1
  end
end

local function decode_object(text, at)
  local object = {}
  if SPACE[byte(text, at)] then
    at = skip_space(text, at)
  end
  if byte(text, at) == 125 then -- }
    return object, at + 1
  end
  while true do
    if SPACE[byte(text, at)] then
      at = skip_space(text, at)
    end
    if byte(text, at) ~= 34 then
      fail(text, at, "expected a string key")
    end
    local key
    key, at = decode_string(text, at + 1)
    if SPACE[byte(text, at)] then
      at = skip_space(text, at)
    end
    if byte(text, at) ~= 58 then -- :
      fail(text, at, "expected ':'")
    end
    object[key], at = decode_value(text, at + 1)
    if SPACE[byte(text, at)] then
      at = skip_space(text, at)
    end
    local separator = byte(text, at)
    if separator == 125 then
      return object, at + 1
    elseif separator ~= 44 then
      fail(text, at, "expected ',' or '}'")
    end
    at = at + 1
  end
end

local WORDS = {
  ["true"] = true, ["false"] = false, ["null"] = nil,
  NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge,
}

function decode_value(text, at)
  if SPACE[byte(text, at)] then
    at = skip_space(text, at)
  end
  local lead = byte(text, at)
  if lead == 34 then
    return decode_string(text, at + 1)
  elseif lead == 123 then
    return decode_object(text, at + 1)
  elseif lead == 91 then
    return decode_array(text, at + 1)
  end
  local first, last = find(text, "^-?[%d.][%d.eE+-]*", at)
  if first then
    local value = tonumber(sub(text, first, last))
    if value == nil then
      fail(text, at, "bad number")
    end
    return value, last + 1
  end
  first, last = find(text, "^-?%a+", at)
  if first then
    local word = sub(text, first, last)
    local value = WORDS[word]
    if value ~= nil or word == "null" then
      return value, last + 1
    end
  end
  fail(text, at, "unexpected text")
end

--- Decode one JSON text (a whole line) into plain Lua data.
function M.decode(text)
  local value, at = decode_value(text, 1)
  if SPACE[byte(text, at)] then
    at = skip_space(text, at)
  end
  if at <= #text then
    fail(text, at, "trailing text")
  end
  return value
end

return M
