-- Shared by the protocol clients: running LuaSocket 3 protocol code with its
-- failures as values, and the body sources the HTTP client reads with.
--
-- LuaSocket 3's protocol modules report network failures by raising a
-- table {message} (socket.try); `attempt` turns that into a returned
-- message, as the 1.3b functions must return, never raise, what the
-- network does. Any other error is a real one (misuse, a bug) and goes on
-- up as a Lua error.
--
-- The body sources are our own rather than LuaSocket 3's socket.source
-- modes: when the body ends early they hand over the bytes that did arrive
-- before reporting the error, so that 1.3b's "returns whatever it managed
-- to retrieve" holds; pieces are 8192 bytes as in 1.3b; and chunked bodies
-- drop their trailers (LuaSocket 3 adds them to the response headers).

local ltn12 = require("ltn12")

local find, gsub, lower, match = string.find, string.gsub, string.lower, string.match
local type, pcall, error, tonumber, min = type, pcall, error, tonumber, math.min
local unpack = unpack or table.unpack

local M = {}

-- Piece size for HTTP bodies: 1.3b handed content-length and until-close
-- bodies to callbacks in 8192-byte pieces.
M.HTTP_BLOCK = 8192

--- fn(...) with LuaSocket 3's raised failures as values: true, results...
-- or false, message.
function M.attempt(fn, ...)
  local results = { pcall(fn, ...) }
  if results[1] then
    return true, unpack(results, 2, 6)
  end
  local problem = results[2]
  if type(problem) == "table" then
    return false, tostring(problem[1])
  end
  error(problem, 0)
end

-- Exactly `length` bytes in pieces of at most HTTP_BLOCK.
local function by_length(conn, length)
  local left, failed = length, nil
  return function()
    if failed then
      local message = failed
      failed = nil
      return nil, message
    end
    if left <= 0 then
      return nil
    end
    local chunk, err, partial = conn:receive(min(M.HTTP_BLOCK, left))
    if chunk then
      left = left - #chunk
      return chunk
    end
    left = 0
    if partial and partial ~= "" then
      failed = err
      return partial
    end
    return nil, err
  end
end

-- Everything until the peer closes, in pieces of HTTP_BLOCK.
local function until_closed(conn)
  local finished, failed = false, nil
  return function()
    if failed then
      local message = failed
      failed = nil
      return nil, message
    end
    if finished then
      return nil
    end
    local chunk, err, partial = conn:receive(M.HTTP_BLOCK)
    if chunk then
      return chunk
    end
    finished = true
    if err ~= "closed" then
      failed = err
    end
    if partial and partial ~= "" then
      return partial
    end
    local message = failed
    failed = nil
    return nil, message
  end
end

-- A chunked body: each chunk's data in pieces of at most HTTP_BLOCK, the
-- extensions after ";" ignored, the trailers read and dropped. A chunk cut
-- short still hands over the bytes that came (LuaSocket 3's own chunked
-- source drops them), and data not followed by an empty line is an error.
local function chunked(conn)
  local left, finished, failed = 0, false, nil
  local function fail_after(chunk, message)
    failed, left = message, 0
    return chunk
  end
  return function()
    if failed then
      local message = failed
      failed, finished = nil, true
      return nil, message
    end
    if finished then
      return nil
    end
    if left == 0 then
      local line, err = conn:receive("*l")
      if not line then
        return nil, err
      end
      local digits = match(gsub(line, ";.*", ""), "^%s*(.-)%s*$")
      local size = find(digits, "^%x+$") and tonumber(digits, 16)
      if not size then
        return nil, "invalid chunk size"
      end
      if size == 0 then
        repeat
          line, err = conn:receive("*l")
          if not line then
            return nil, err
          end
        until line == ""
        finished = true
        return nil
      end
      left = size
    end
    local chunk, err, partial = conn:receive(min(M.HTTP_BLOCK, left))
    if not chunk then
      if partial and partial ~= "" then
        return fail_after(partial, err)
      end
      return nil, err
    end
    left = left - #chunk
    if left == 0 then
      local ending
      ending, err = conn:receive("*l")
      if not ending then
        return fail_after(chunk, err)
      elseif ending ~= "" then
        return fail_after(chunk, "invalid chunk terminator")
      end
    end
    return chunk
  end
end

--- Read a response body framed by `headers` into the ltn12 `sink`; nil, or
-- the failure message. Transfer-Encoding wins over Content-Length; chunked
-- when it is the last coding (any case); another coding, or no length,
-- reads until the server closes.
function M.receive_body(conn, headers, sink)
  local source
  local coding = headers["transfer-encoding"]
  local length = headers["content-length"]
  if coding and coding ~= "" and lower(coding) ~= "identity" then
    if lower(match(coding, "([^,%s]+)%s*$") or "") == "chunked" then
      source = chunked(conn)
    else
      source = until_closed(conn)
    end
  elseif length then
    if not find(length, "^%s*%d+%s*$") then
      return "invalid content-length"
    end
    source = by_length(conn, tonumber(length))
  else
    source = until_closed(conn)
  end
  local ok, err = ltn12.pump.all(source, sink)
  if not ok then
    return err or "closed"
  end
  return nil
end

return M
