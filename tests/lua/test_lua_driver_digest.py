"""The Lua driver's ``discard: "digest"`` (PROTOCOL.md section 7): claimed with luaossl, refused without.

With luaossl installed the driver claims ``digest`` and hashes value 1 of a
repeated receive as the harness would; hiding luaossl (a preload that fails,
as a machine without the package would) makes it neither claim nor perform
it, and answer the error the protocol names.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from lua_support import DRIVERS_LUA

from harness.adapters.base import Call, Returned
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import RepeatRequest
from harness.adapters.driver_process import DriverProcess
from harness.adapters.driver_wire import call_message, decode_message, encode_message
from harness.drivercheck.peers import LOOPBACK, Feeder
from harness.values import Handle

LINE = b"0123456789abcdefghijklmnopqrstuvwxyz\xff\x00"
LINES = 300
HIDE_LUAOSSL = 'package.preload["openssl.digest"] = function() error("luaossl hidden by the test") end'


def _driver(runtime: str, hide: bool = False) -> list[str]:
    return [runtime, *(["-e", HIDE_LUAOSSL] if hide else []), str(DRIVERS_LUA / "driver.lua")]


def _returned(adapter: DriverAdapter, function: str, *args: object, target: Handle | None = None) -> tuple:
    outcome = adapter.call(Call(function, args, "method" if target else "global", target, 5.0))
    assert isinstance(outcome, Returned), outcome
    return outcome.values


def test_a_repeated_line_receive_reports_the_sha256_of_the_lines(runtime: str) -> None:
    with DriverAdapter(_driver(runtime)) as adapter:
        assert adapter.failure is None, adapter.failure
        if "digest" not in adapter.info.capabilities:
            pytest.skip(f"{runtime}: the driver has no SHA-256 module (apt-get install lua-luaossl)")
        server = _returned(adapter, "bind", LOOPBACK.encode(), 0)[0]
        port = _returned(adapter, "getsockname", target=server)[1]
        with Feeder(int(port), (LINE + b"\r\n") * LINES):
            client = _returned(adapter, "accept", target=server)[0]
            outcome, report = adapter.call_repeated(Call("receive", (b"*l",), "method", client, 10.0),
                                                    RepeatRequest(LINES + 5, stop=2, discard="digest"))
    assert outcome == Returned((None, b"closed"))
    assert report is not None and (report.done, report.bytes) == (LINES + 1, LINES * len(LINE))
    assert report.sha256 == hashlib.sha256(LINE * LINES).hexdigest()  # "*l" drops the CRLF
    assert report.elapsed >= 0


def test_without_luaossl_digest_is_neither_claimed_nor_performed(runtime: str) -> None:
    process = DriverProcess(_driver(runtime, hide=True))
    try:
        deadline = time.monotonic() + 10
        hello = decode_message(process.read_line(deadline))
        assert "repeat" in hello["capabilities"] and "digest" not in hello["capabilities"]
        request = call_message(1, "udpsocket", (), "global", None, RepeatRequest(2, discard="digest"))
        process.send(encode_message(request), deadline)
        assert decode_message(process.read_line(deadline)) == {
            "type": "error", "id": 1, "message": 'discard "digest" not supported'}
    finally:
        process.close_input()
        process.finish(2.0)
