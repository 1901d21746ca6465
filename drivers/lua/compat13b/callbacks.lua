-- 1.3b streaming callbacks as LuaSocket 3 ltn12 sinks and sources.
--
-- LuaSocket 3's HTTP and FTP code moves bodies through ltn12: a sink is
-- called with each chunk and once with nil at the end (or nil, err on
-- failure); a source returns the next chunk, nil at the end, or nil, err.
-- 1.3b's callbacks (manual, "Streaming with callbacks") differ, and the
-- adapters here give them the manual's contract, as the project's
-- reference implementation does:
--
-- receive_cb(chunk, err): each non-empty piece in order; then exactly one
--   final call, "" on success or nil, message on failure (even a failure
--   before any data, so a callback that opened a file can close it).
--   Returning nil (or false) for a piece aborts the transfer with the
--   callback's second value or "aborted by callback"; on the final call a
--   non-nil second value becomes the call's error.
-- send_cb() -> chunk, total: called until the chunks add up to `total`,
--   then once more (the manual's file example closes its file on that
--   call; its result is ignored unless it is nil, an abort). A "" chunk
--   before the total, a chunk past it or a changed total are refused before
--   anything more is sent: the peer was promised exactly `total` bytes.

local args = require("compat13b.args")

local type, floor, huge = type, math.floor, math.huge

local M = {}

M.ABORTED = "aborted by callback"
M.BAD_RETURN = "invalid callback return"
M.SEND_SHORT = "send callback ended before the announced total"
M.SEND_OVER = "send callback exceeded the announced total"
M.SEND_TOTAL_CHANGED = "send callback changed the announced total"

--- A callback-supplied message as text, or `default` when unusable.
function M.message_text(value, default)
  local kind = type(value)
  if kind == "string" then
    return value
  elseif kind == "number" then
    return args.number_text(value)
  end
  return default
end

--- Raise a misuse error unless `value` can be called.
function M.check_callable(value, present)
  if type(value) ~= "function" and not (type(value) == "table" and getmetatable(value)
      and getmetatable(value).__call) then
    args.raise("function expected, got " .. args.type_name(value, present))
  end
  return value
end

-- Receiving ---------------------------------------------------------------------

--- An ltn12 sink feeding `receive_cb`, and its state. After the transfer,
-- `state.error` is the message the call must report (nil: success).
-- `finish(state, message)` gives the callback its final nil, message call if
-- it has not had its final call yet, and returns the message to report.
function M.receive_sink(receive_cb)
  local state = { finished = false, error = nil }
  local function sink(chunk, err)
    if state.finished then
      return 1
    end
    if chunk == nil then
      if err then
        return nil, M.finish(state, err)
      end
      state.finished = true
      local _, message = receive_cb("")
      if message ~= nil then
        state.error = M.message_text(message, M.ABORTED)
        return nil, state.error
      end
      return 1
    end
    if chunk == "" then
      return 1
    end
    local go_on, message = receive_cb(chunk)
    if not go_on then
      state.finished = true
      state.error = M.message_text(message, M.ABORTED)
      return nil, state.error
    end
    return 1
  end
  state.sink = sink
  state.callback = receive_cb
  return sink, state
end

--- The final failure call, once; returns the message the call reports
-- (the callback may rephrase it with its second return value).
function M.finish(state, message)
  if state.finished then
    return state.error or message
  end
  state.finished = true
  local _, replacement = state.callback(nil, message)
  state.error = M.message_text(replacement, message)
  return state.error
end

--- An ltn12 sink collecting every piece into `parts` (the direct functions).
function M.collector(parts)
  return function(chunk)
    if chunk and chunk ~= "" then
      parts[#parts + 1] = chunk
    end
    return 1
  end
end

-- Sending -----------------------------------------------------------------------

local function whole_number(value)
  local number = args.to_number(value)
  if number == nil or number ~= number or number == huge or number < 0 or number ~= floor(number) then
    return nil
  end
  return number
end

-- One call of the send callback: chunk, total or nil, message.
local function call_send(send_cb)
  local chunk, total = send_cb()
  if not chunk then
    return nil, M.message_text(total, M.ABORTED)
  end
  total = whole_number(total)
  if type(chunk) == "number" then
    chunk = args.number_text(chunk)
  end
  if type(chunk) ~= "string" or total == nil then
    return nil, M.BAD_RETURN
  end
  return chunk, total
end

--- A body source over `send_cb`. `source.start()` makes the first call and
-- returns the announced total (or nil, message); `source.pump` is then the
-- ltn12 source giving exactly that many bytes.
function M.send_source(send_cb)
  local state = { total = nil, sent = 0, pending = nil, done = false }
  function state.start()
    local chunk, total = call_send(send_cb)
    if not chunk then
      return nil, total
    end
    state.pending, state.total = chunk, total
    return total
  end
  function state.pump()
    if state.done then
      local failed = state.failed
      state.failed = nil
      return nil, failed
    end
    local chunk = state.pending
    state.pending = nil
    if chunk == nil then
      local total
      chunk, total = call_send(send_cb)
      if not chunk then
        state.done = true
        return nil, total
      end
      if total ~= state.total then
        state.done = true
        return nil, M.SEND_TOTAL_CHANGED
      end
    end
    if chunk == "" then
      state.done = true
      if state.sent < state.total then
        return nil, M.SEND_SHORT
      end
      return nil
    end
    if state.sent + #chunk > state.total then
      state.done = true
      return nil, M.SEND_OVER
    end
    state.sent = state.sent + #chunk
    if state.sent == state.total then
      -- The final call: whatever it returns is ignored, but nil (or false) still aborts.
      state.done = true
      local final, message = send_cb()
      if not final then
        state.failed = M.message_text(message, M.ABORTED)
      end
    end
    return chunk
  end
  return state
end

--- A body source over a string (the direct functions): start() is its length.
function M.string_source(data)
  local state = { total = #data, sent = 0 }
  function state.start()
    return #data
  end
  function state.pump()
    if state.sent > 0 or data == "" then
      return nil
    end
    state.sent = #data
    return data
  end
  return state
end

return M
