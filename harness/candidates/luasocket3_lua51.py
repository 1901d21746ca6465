"""LuaSocket 3 on Lua 5.1, as a 1.3b candidate (see ``harness/candidates/luasocket3.py``)."""

from harness.candidates.luasocket3 import luasocket3_candidate

CANDIDATE = luasocket3_candidate(
    "luasocket3-lua5.1",
    "lua5.1",
    "LuaSocket 3 (Debian lua-socket) on Lua 5.1, behind the Lua 1.3b compatibility layer (drivers/lua)",
)
