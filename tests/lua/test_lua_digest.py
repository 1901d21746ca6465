"""The Lua driver's off-clock digest (drivers/lua/lsdriver/digest.lua) is SHA-256 of the stream."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from lua_support import DRIVERS_LUA, RUNTIMES, require_runtime

SCRIPT = """
package.path = arg[1] .. "/?.lua;" .. package.path
local digest = require("lsdriver.digest")
if not digest.available then
  io.write("unavailable")
  return
end
local d = digest.new()
for i = 1, 3000 do d:add(string.rep(string.char(i % 256), i % 7)) end
d:add(string.rep("z", 1024 * 1024))
io.write(d:hexdigest(), " ", tostring(d.paused > 0))
"""


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_digest_matches_hashlib_across_batches(runtime: str) -> None:
    require_runtime(runtime)
    completed = subprocess.run([runtime, "-e", SCRIPT.replace("arg[1]", repr(str(DRIVERS_LUA)))],
                               capture_output=True, timeout=60, check=True)
    if completed.stdout == b"unavailable":
        pytest.skip(f"{runtime}: no SHA-256 module (apt-get install lua-luaossl)")
    expected = hashlib.sha256(b"".join(bytes([i % 256]) * (i % 7) for i in range(1, 3001)) + b"z" * (1 << 20))
    assert completed.stdout.decode() == f"{expected.hexdigest()} true"
