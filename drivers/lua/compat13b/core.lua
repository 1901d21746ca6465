-- What every 1.3b socket object shares: its state, the two time limits,
-- waiting within them, closing, and the methods common to all kinds.
--
-- A 1.3b socket is an ordinary Lua table (users may store their own fields
-- in it) whose methods come from a class table per kind. Its state lives in
-- the table under a private key: the LuaSocket 3 object `sock`, the `kind`
-- ("tcp-client", "tcp-server", "udp"), `closed`, and the limits `block` and
-- `total` (seconds, nil for none).
--
-- Timeouts are 1.3b's, not LuaSocket 3's. Every LuaSocket 3 object is put
-- in non-blocking mode (settimeout(0)) once, and each wait is an explicit
-- socket.select on that one socket, as long as `allowed_wait` says (spec
-- §4.3):
--
--   b     r     allowed wait
--   none  none  unlimited
--   set   none  b (the same for every wait)
--   none  set   max(r - elapsed, 0)
--   set   set   min(b, max(r - elapsed, 0))
--
-- LuaSocket 3's own "b"/"t" timeouts come close to 1.3b's "b"/"r", but they
-- bound whole LuaSocket 3 calls, and the 1.3b patterns are run here over a
-- buffer of our own (patterns.lua), so the waits must be ours as well.

local socket = require("socket")
local args = require("compat13b.args")

local gettime, sock_select = socket.gettime, socket.select
local floor, huge, sub = math.floor, math.huge, string.sub
local type, rawget, setmetatable = type, rawget, setmetatable

local M = {}

local STATE = {} -- private key of the state in every socket table
M.CLOSED_SOCKET = "operation on closed socket"

--- The state of a socket object, or nil if `value` is not one.
function M.state(value)
  if type(value) == "table" then
    return rawget(value, STATE)
  end
  return nil
end

--- "tcp-client", "tcp-server" or "udp" for a socket object, else nil.
function M.kind(value)
  local st = M.state(value)
  return st and st.kind
end

--- Wrap a LuaSocket 3 object as a 1.3b socket object of a class.
function M.new_object(kind, class, sock)
  sock:settimeout(0)
  local st = { kind = kind, sock = sock, closed = false, block = nil, total = nil }
  st.alone = { sock } -- the one-socket set handed to socket.select
  local object = setmetatable({ [STATE] = st }, class)
  st.object = object
  return object, st
end

--- The state of `self` for a method other than close; raises if closed.
function M.open_state(self)
  local st = M.state(self)
  if st == nil then
    args.raise("invalid socket object")
  end
  if st.closed then
    args.raise(M.CLOSED_SOCKET)
  end
  return st
end

-- Time limits ----------------------------------------------------------------

--- A 1.3b timeout value as seconds, or nil for "no limit".
-- Absent, nil, negative, NaN and infinite mean no limit (the manual); other
-- values are kept as whole milliseconds, truncated: 0.0005 -> 0 (a poll).
function M.seconds(value, present)
  if not present or value == nil then
    return nil
  end
  local number = args.check_number(value, true)
  if number ~= number or number < 0 or number == huge then
    return nil
  end
  -- The slack keeps 0.29 s (stored as 0.28999...) at 290 ms.
  return floor(number * 1000 + 1e-6) / 1000
end

--- Seconds the next wait of a call begun at `started` may last (nil: forever).
function M.allowed_wait(st, started)
  local block, total = st.block, st.total
  if total == nil then
    return block
  end
  local remaining = total - (gettime() - started)
  if remaining < 0 then
    remaining = 0
  end
  if block == nil or remaining < block then
    return remaining
  end
  return block
end

--- Wait until the socket is readable (or writable) within the limits.
-- Returns nil when ready, "timeout" when the allowed time ran out.
function M.wait(st, readable, started)
  local seconds = M.allowed_wait(st, started)
  local _, _, err
  if readable then
    _, _, err = sock_select(st.alone, nil, seconds)
  else
    _, _, err = sock_select(nil, st.alone, seconds)
  end
  if err == "timeout" then
    return "timeout"
  end
  return nil
end

-- Methods every kind has -------------------------------------------------------

local Common = {}

--- sock:timeout(value [, mode]): "b..." (default) sets the block limit,
-- "r..." the return limit; only the first letter counts. Returns nothing.
function Common.timeout(self, ...)
  local st = M.open_state(self)
  local n = args.count(...)
  local value, mode = ...
  local seconds = M.seconds(value, n >= 1)
  local letter = "b"
  if n >= 2 then
    letter = sub(args.check_text(mode, true), 1, 1)
  end
  if letter == "b" then
    st.block = seconds
  elseif letter == "r" then
    st.total = seconds
  else
    args.raise("invalid timeout mode")
  end
end

--- sock:close(): closing twice is harmless; returns nothing.
function Common.close(self)
  local st = M.state(self)
  if st == nil then
    args.raise("invalid socket object")
  end
  if not st.closed then
    st.closed = true
    st.sock:close()
  end
end

--- sock:getsockname(): local ip, port, or a single nil on failure.
function Common.getsockname(self)
  local st = M.open_state(self)
  local ip, port = st.sock:getsockname()
  if not ip then
    return nil
  end
  return ip, tonumber(port)
end

--- A class table for one kind: the common methods plus `methods`.
function M.class(methods)
  local class = {}
  for name, method in pairs(Common) do
    class[name] = method
  end
  for name, method in pairs(methods) do
    class[name] = method
  end
  return { __index = class, methods = class }
end

return M
