"""LuaSocket 3 on Lua 5.4, as a 1.3b candidate (see ``harness/candidates/luasocket3.py``)."""

from harness.candidates.luasocket3 import luasocket3_candidate

CANDIDATE = luasocket3_candidate(
    "luasocket3-lua5.4",
    "lua5.4",
    "LuaSocket 3 (Debian lua-socket) on Lua 5.4, behind the Lua 1.3b compatibility layer (drivers/lua)",
)
