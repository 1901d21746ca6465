-- Receive patterns over a per-socket read buffer: bytes in, results out.
--
-- No sockets here. LuaSocket 3 has its own receive patterns, but they are
-- not 1.3b's: it lacks "*lu" and "*w", its "*l" drops every CR of the line,
-- and a failed pattern reports its partial data in a third return value
-- rather than as the pattern's value. So the TCP layer reads raw chunks from
-- LuaSocket 3 into a buffer of its own (one string plus a read position,
-- kept in the socket's state `st` as `st.buf` and `st.pos`) and runs one
-- *reader* per pattern, following the manual:
--
--   "*l"      a line: bytes up to LF; the LF and one CR just before it dropped
--   "*lu"     a line with only the LF dropped (a CR before it stays)
--   "*a"      everything until the peer closes; that close is not an error
--   "*w"      skip whitespace, then the longest run of non-whitespace; the
--             whitespace byte that ends the word stays unread
--   number n  exactly n bytes (fraction dropped); n <= 0 gives "" at once
--
-- A reader's `step(st)` returns the pattern's value, or nil meaning "need
-- more data" after moving everything buffered into its own parts (so the
-- buffer is empty whenever the socket must be read again). When no more
-- data will come, `finish(reason)` gives the final (value, error) pair:
-- a failed pattern returns what it collected, never nil.

local args = require("compat13b.args")

local byte, find, sub, concat = string.byte, string.find, string.sub, table.concat
local type, tonumber = type, tonumber

local SPACES = "^[ \t\n\v\f\r]*"
local WORD = "^[^ \t\n\v\f\r]*"

local M = {}

-- Buffer operations --------------------------------------------------------

--- Bytes buffered and not yet consumed.
function M.available(st)
  return #st.buf - st.pos + 1
end

--- Append bytes just received.
function M.feed(st, chunk)
  if st.pos > #st.buf then
    st.buf = chunk
  else
    st.buf = sub(st.buf, st.pos) .. chunk
  end
  st.pos = 1
end

--- Up to `count` bytes from the front.
function M.take(st, count)
  local pos = st.pos
  local stop = pos + count - 1
  st.pos = stop + 1
  if st.pos > #st.buf + 1 then
    st.pos = #st.buf + 1
  end
  return sub(st.buf, pos, stop)
end

--- Everything buffered.
function M.take_all(st)
  local buf, pos = st.buf, st.pos
  st.buf, st.pos = "", 1
  if pos == 1 then
    return buf
  end
  return sub(buf, pos)
end

--- The next complete line without its LF (and, with strip_cr, a CR just
-- before it), or nil when no LF is buffered.
function M.next_line(st, strip_cr)
  local buf, pos = st.buf, st.pos
  local newline = find(buf, "\n", pos, true)
  if not newline then
    return nil
  end
  st.pos = newline + 1
  if strip_cr and newline > pos and byte(buf, newline - 1) == 13 then
    return sub(buf, pos, newline - 2)
  end
  return sub(buf, pos, newline - 1)
end

-- Readers ------------------------------------------------------------------

local function new(step, finish)
  return { step = step, finish = finish, parts = {}, count = 0 }
end

local function keep(reader, part)
  if part ~= "" then
    reader.count = reader.count + 1
    reader.parts[reader.count] = part
  end
end

local function collected(reader)
  if reader.count == 1 then
    return reader.parts[1]
  end
  return concat(reader.parts, "", 1, reader.count)
end

-- A failed pattern returns what it gathered, with the reason.
local function finish_partial(reader, reason)
  return collected(reader), reason
end

local function line_step(reader, st)
  if reader.count == 0 then
    local line = M.next_line(st, reader.strip_cr)
    if line then
      return line
    end
  else
    local line = M.next_line(st, false)
    if line then
      keep(reader, line)
      local whole = collected(reader)
      -- The CR may have ended an earlier part, so strip after joining.
      if reader.strip_cr and byte(whole, -1) == 13 then
        return sub(whole, 1, -2)
      end
      return whole
    end
  end
  keep(reader, M.take_all(st))
  return nil
end

local function count_step(reader, st)
  local missing = reader.missing
  if missing > 0 then
    local chunk = M.take(st, missing)
    keep(reader, chunk)
    missing = missing - #chunk
    reader.missing = missing
    if missing > 0 then
      return nil
    end
  end
  return collected(reader)
end

local function all_step(reader, st)
  keep(reader, M.take_all(st))
  return nil
end

-- "*a" ends normally when the peer closes; only a timeout is an error.
local function all_finish(reader, reason)
  if reason == "closed" then
    return collected(reader), nil
  end
  return collected(reader), reason
end

local function word_step(reader, st)
  local buf = st.buf
  if not reader.in_word then
    local _, last = find(buf, SPACES, st.pos)
    st.pos = last + 1
    if st.pos > #buf then
      return nil
    end
    reader.in_word = true
  end
  local pos = st.pos
  local _, last = find(buf, WORD, pos)
  st.pos = last + 1
  keep(reader, sub(buf, pos, last))
  if st.pos <= #buf then
    return collected(reader) -- ended by a whitespace byte, left unread
  end
  return nil
end

-- A word ended by the peer's close is complete; an empty one is a failure.
local function word_finish(reader, reason)
  local word = collected(reader)
  if reason == "closed" and word ~= "" then
    return word, nil
  end
  return word, reason
end

local function line_reader(strip_cr)
  return function()
    local reader = new(line_step, finish_partial)
    reader.strip_cr = strip_cr
    return reader
  end
end

local NAMED = {
  ["*l"] = line_reader(true),
  ["*lu"] = line_reader(false),
  ["*a"] = function() return new(all_step, all_finish) end,
  ["*w"] = function()
    local reader = new(word_step, word_finish)
    reader.in_word = false
    return reader
  end,
}

local function count_reader(number)
  local reader = new(count_step, finish_partial)
  local count = args.truncate(number)
  reader.missing = count > 0 and count or 0
  return reader
end

--- The reader for one pattern; raises for a bad pattern.
function M.reader(pattern, present)
  local kind = type(pattern)
  if kind == "number" then
    return count_reader(pattern)
  elseif kind ~= "string" then
    args.raise("string expected, got " .. args.type_name(pattern, present))
  end
  local factory = NAMED[pattern]
  if factory then
    return factory()
  end
  local number = tonumber(pattern)
  if number == nil then
    args.raise("invalid receive pattern")
  end
  return count_reader(number)
end

--- True if `pattern` is a line pattern; the second value says whether the CR
-- goes too. Used by the TCP layer's fast path for lines already buffered.
function M.line_pattern(pattern)
  if pattern == "*l" then
    return true, true
  elseif pattern == "*lu" then
    return true, false
  end
  return false, false
end

return M
