"""The Python driver's local callbacks (PROTOCOL.md section 7.1), alone and through the adapter."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from driver_support import python_driver, variant_driver

from drivers.python.driver import LocalCallbacks, Values
from harness.adapters.base import Call, Returned
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import LocalCallbackReport, local_callback_value
from harness.callbacks import generated_chunks
from harness.drivercheck.peers import HttpPeer
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.values import LuaFunction

# 7 bytes of pattern do not divide 10-byte chunks: every chunk starts elsewhere in the pattern.
ODD = GeneratedData(size=95, pattern=b"ab\xffcd\x00f", chunk=10)
SINK = CallbackSpec("sink", "receive", record="digest")
SOURCE = CallbackSpec("source", "send", generate=ODD)


def served(send_cb: Any) -> list[bytes]:
    """Every chunk a send callback serves, up to and including its first ""."""
    chunks = []
    while True:
        chunk, total = send_cb()
        assert total == ODD.size
        chunks.append(chunk)
        if chunk == b"":
            return chunks


def test_a_local_send_callback_serves_the_harness_chunks_byte_for_byte():
    local = LocalCallbacks()
    send_cb = local.make(local_callback_value(SOURCE))
    chunks = served(send_cb)
    assert chunks == [*generated_chunks(ODD), b""]
    assert send_cb() == (b"", ODD.size)  # and "" again, as the harness's callback does
    report = local.report(Values(None))["source"]
    assert report == {"calls": len(chunks) + 1, "bytes": ODD.size, "first": [], "last": []}


def test_a_local_send_callback_announces_the_declared_total():
    local = LocalCallbacks()
    spec = CallbackSpec("source", "send", generate=GeneratedData(size=3, pattern=b"xy", chunk=2), total=99)
    send_cb = local.make(local_callback_value(spec))
    assert [send_cb(), send_cb(), send_cb()] == [(b"xy", 99), (b"x", 99), (b"", 99)]


def test_a_local_receive_callback_answers_1_and_hashes_what_it_received():
    local = LocalCallbacks()
    receive_cb = local.make(local_callback_value(SINK))
    chunks = [b"\x00\xff" * 50, bytearray(b"middle"), b""]
    assert [receive_cb(chunk, None) for chunk in chunks] == [(1,)] * 3
    report = local.report(Values(None))["sink"]
    data = b"".join(chunks)
    assert report == {"calls": 3, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "first": ["\x00\xff" * 50, None], "last": ["", None]}


def test_a_callback_never_called_reports_no_calls():
    local = LocalCallbacks()
    local.make(local_callback_value(SINK))
    assert local.report(Values(None)) == {"sink": {"calls": 0, "bytes": 0,
                                                   "sha256": hashlib.sha256(b"").hexdigest()}}


class Accounts:
    """The adapter's sink and callback handler: what was reported, and any round trip."""

    def __init__(self) -> None:
        self.reports: dict[str, LocalCallbackReport] = {}
        self.round_trips: list[str] = []

    def sink(self, name: str, report: LocalCallbackReport) -> None:
        self.reports[name] = report

    def handler(self, name: str, args: tuple) -> tuple:
        self.round_trips.append(name)
        return (1,)


def fetch(adapter: DriverAdapter, accounts: Accounts, body: bytes) -> Returned:
    adapter.set_callback_handler(accounts.handler)
    with HttpPeer(body) as http:
        url = f"http://127.0.0.1:{http.port}/x".encode()
        outcome = adapter.call(Call("http_requestindirect", (b"GET", url, LuaFunction("sink")), deadline=5))
    assert isinstance(outcome, Returned), outcome
    return outcome


def test_through_the_adapter_a_local_callback_makes_no_round_trip_and_reports():
    body = bytes(range(256)) * 3
    accounts = Accounts()
    with DriverAdapter(python_driver("streamingmod")) as adapter:
        assert adapter.set_local_callbacks([SINK], accounts.sink)
        fetch(adapter, accounts, body)
        assert accounts.round_trips == []
        report = accounts.reports["sink"]
        assert (report.bytes, report.sha256) == (len(body), hashlib.sha256(body).hexdigest())
        assert report.calls == 9 and report.first == (body[:100], None) and report.last == (b"", None)
        assert not adapter.set_local_callbacks((), None)  # withdrawn: round trips again
        fetch(adapter, accounts, body)
        assert accounts.round_trips == ["sink"] * 9


def test_a_driver_without_the_capability_keeps_the_round_trips():
    accounts = Accounts()
    with DriverAdapter(variant_driver("no-local-callbacks", "streamingmod")) as adapter:
        assert "local-callbacks" not in adapter.info.capabilities
        assert not adapter.set_local_callbacks([SINK], accounts.sink)
        fetch(adapter, accounts, b"abc")
    assert accounts.round_trips == ["sink", "sink"] and accounts.reports == {}


@pytest.mark.parametrize("spec", [{"name": "x", "kind": "other"}, {"kind": "receive"},
                                  {"name": "x", "kind": "send", "pattern": "", "size": 1, "chunk": 1,
                                   "total": 1}])
def test_a_malformed_local_callback_object_ends_the_driver(spec):
    from drivers.python.driver import DriverExit

    with pytest.raises(DriverExit):
        LocalCallbacks().make(spec)


def test_a_name_passed_twice_in_one_call_is_one_callback():
    local = LocalCallbacks()
    first = local.make(local_callback_value(SOURCE))
    assert local.make(local_callback_value(SOURCE)) is first
    assert served(first)[0] == next(generated_chunks(ODD))
    assert list(local.report(Values(None))) == ["source"]
