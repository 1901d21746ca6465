"""LuaSocket 3 on LuaJIT, as a 1.3b candidate (see ``harness/candidates/luasocket3.py``)."""

from harness.candidates.luasocket3 import luasocket3_candidate

CANDIDATE = luasocket3_candidate(
    "luasocket3-luajit",
    "luajit",
    "LuaSocket 3 (Debian lua-socket) on LuaJIT, behind the Lua 1.3b compatibility layer (drivers/lua)",
)
