"""The Lua driver's local callbacks (drivers/lua/lsdriver/localcb.lua, PROTOCOL.md section 7.1).

The module alone: a send callback's chunks are the harness's
``generated_chunks`` byte for byte (a pattern whose length does not divide
the chunk), a receive callback's account is the SHA-256 of what it got, in
a report the harness parses. Then the whole driver through the adapter.
"""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from lua_support import DRIVERS_LUA

from harness.adapters.base import Call, Returned
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import LocalCallbackReport, parse_callback_reports
from harness.callbacks import generated_chunks
from harness.drivercheck.peers import HttpPeer
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.values import LuaFunction

ODD = GeneratedData(size=95, pattern=b"ab\xffcd\x00f", chunk=10)
RECEIVED = [b"\x00\xff" * 50, b"middle", b""]

SCRIPT = r"""
package.path = DRIVERS .. "/?.lua;" .. package.path
local localcb = require("lsdriver.localcb")
if not localcb.available then
  io.write("unavailable")
  return
end
local values = require("lsdriver.values")
local handles = values.handles(function() return nil end)
local registry = localcb.registry()
local source = { name = "source", kind = "send", pattern = "ab\255cd\0f", size = 95, chunk = 10, total = 95 }
local send_cb = registry:make(source)
assert(registry:make(source) == send_cb, "a name passed twice in one call is one callback")
local chunks = {}
repeat
  local chunk, total = send_cb()
  assert(total == 95, "total")
  chunks[#chunks + 1] = (chunk:gsub(".", function(c) return string.format("%02x", c:byte()) end))
until chunk == ""
io.write(table.concat(chunks, " "), "\n")
local receive_cb = registry:make({ name = "sink", kind = "receive" })
assert(receive_cb(string.rep("\0\255", 50), nil) == 1)
assert(receive_cb("middle", nil) == 1)
assert(receive_cb("", nil) == 1)
io.write(registry:report(function(list, n) return values.encode_list(list, n, handles) end), "\n")
"""


def run_script(runtime: str) -> list[str]:
    script = SCRIPT.replace("DRIVERS", repr(str(DRIVERS_LUA)))
    completed = subprocess.run([runtime, "-e", script], capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    if completed.stdout == b"unavailable":
        pytest.skip(f"{runtime}: no SHA-256 module (apt-get install lua-luaossl)")
    return completed.stdout.decode("ascii").splitlines()


def test_the_send_chunks_and_the_receive_account_match_the_harness(runtime: str) -> None:
    chunks_line, report_line = run_script(runtime)
    expected = [chunk.hex() for chunk in generated_chunks(ODD)]
    assert chunks_line.split(" ") == [*expected, ""]  # the data, then ""
    kinds = {"sink": "receive", "source": "send"}
    reports = parse_callback_reports({"callbacks": json.loads(report_line)}, kinds)
    data = b"".join(RECEIVED)
    assert reports["sink"] == LocalCallbackReport(3, len(data), hashlib.sha256(data).hexdigest(),
                                                  (RECEIVED[0], None), (b"", None))
    assert reports["source"] == LocalCallbackReport(len(expected) + 1, ODD.size, None, (), ())


def test_the_driver_runs_local_callbacks_with_no_round_trip(runtime: str) -> None:
    reports: dict[str, LocalCallbackReport] = {}
    round_trips: list[str] = []
    specs = [CallbackSpec("sink", "receive", record="digest"), CallbackSpec("source", "send", generate=ODD)]
    body = bytes(range(256)) * 40
    with DriverAdapter([runtime, str(DRIVERS_LUA / "driver.lua")]) as adapter:
        if "local-callbacks" not in adapter.info.capabilities:
            pytest.skip(f"{runtime}: the driver does not claim local-callbacks (no luaossl)")
        adapter.set_callback_handler(lambda name, args: (round_trips.append(name), (1,))[1])
        assert adapter.set_local_callbacks(specs, reports.__setitem__)
        with HttpPeer(body) as http:
            url = f"http://127.0.0.1:{http.port}/x".encode()
            args = (b"POST", url, LuaFunction("sink"), None, LuaFunction("source"))
            outcome = adapter.call(Call("http_requestindirect", args, deadline=10))
        assert isinstance(outcome, Returned), outcome
    assert round_trips == []
    assert http.uploaded == b"".join(generated_chunks(ODD))
    sink, source = reports["sink"], reports["source"]
    assert (sink.bytes, sink.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert source.bytes == ODD.size and source.calls >= 2
