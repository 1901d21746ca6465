"""Repeated sequences (PROTOCOL.md section 7.2) in process, through the Python driver and the Lua driver.

Each adapter runs a send/receive exchange through a real TCP echo for some
rounds and must give the same account: rounds, the last round's values in
full, bytes and the SHA-256 of value 1 over every round. An unknown global
is unimplemented before anything runs; a call that raises is named by round
and call. The wire parsing of a sequence's answer is checked on its own.
Each also reports the loop's CPU time (``cpu``), for repeats as well.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

import pytest
from driver_support import python_driver, variant_driver

import reference
from harness.adapters.base import Adapter, Call, Raised, Returned, Unimplemented
from harness.adapters.driver import SEQUENCE_REFUSED, DriverAdapter
from harness.adapters.driver_loops import (
    RepeatRequest,
    SequenceRequest,
    parse_sequence_report,
    sequence_deadline,
    sequence_message,
)
from harness.adapters.driver_wire import ProtocolError
from harness.adapters.inprocess import InProcessAdapter
from harness.candidates.luasocket3 import runtime_problem
from harness.candidates.registry import resolve
from harness.drivercheck.peers import LOOPBACK, RecordingPeer
from harness.values import Handle

PAYLOAD = bytes(range(256))
MISSING = "lsconform_no_such_function"


def _lua_adapter() -> Adapter:
    problem = runtime_problem("lua5.4")
    if problem:
        pytest.skip(f"the Lua 5.4 driver cannot run here: {problem}")
    return resolve("luasocket3-lua5.4").make_adapter()


MAKERS: dict[str, Callable[[], Adapter]] = {
    "in-process": lambda: InProcessAdapter(reference, "reference", "test"),
    "python-driver": lambda: DriverAdapter(python_driver("reference")),
    "lua-driver": _lua_adapter,
}


@pytest.fixture(params=list(MAKERS))
def candidate(request: pytest.FixtureRequest) -> Iterator[Adapter]:
    adapter = MAKERS[request.param]()
    try:
        yield adapter
    finally:
        adapter.close()


@pytest.fixture
def echo() -> Iterator[RecordingPeer]:
    with RecordingPeer(echo=True) as peer:
        yield peer


def _connect(adapter: Adapter, port: int) -> Handle:
    outcome = adapter.call(Call("connect", (LOOPBACK.encode(), port)))
    assert isinstance(outcome, Returned) and isinstance(outcome.values[0], Handle), outcome
    return outcome.values[0]


def _exchange(client: Handle) -> list[Call]:
    return [Call("send", (PAYLOAD,), "method", client), Call("receive", (len(PAYLOAD),), "method", client)]


def _claims_digest(adapter: Adapter) -> bool:
    return isinstance(adapter, InProcessAdapter) or "digest" in adapter.info.capabilities


def test_an_exchange_runs_every_round_and_accounts_for_each_call(candidate: Adapter, echo: RecordingPeer):
    if not _claims_digest(candidate):
        pytest.skip(f"{candidate.info.name} has no digest here (luaossl missing)")
    client = _connect(candidate, echo.port)
    outcome, report = candidate.call_sequence(_exchange(client), SequenceRequest(7, "digest"))
    assert outcome == Returned((PAYLOAD,)) or outcome == Returned((PAYLOAD, None)), outcome
    assert report is not None and report.rounds == 7 and report.elapsed >= 0
    sent, received = report.results
    assert sent.values[:2] == (None, len(PAYLOAD)) and sent.bytes == 0
    assert received.values[0] == PAYLOAD and received.bytes == 7 * len(PAYLOAD)
    assert received.sha256 == hashlib.sha256(PAYLOAD * 7).hexdigest()
    assert sent.sha256 == hashlib.sha256(b"").hexdigest()  # no string in value 1: nothing hashed
    assert echo.wait_for(7 * len(PAYLOAD), 5.0) == PAYLOAD * 7


def test_without_digest_only_the_bytes_are_counted(candidate: Adapter, echo: RecordingPeer):
    client = _connect(candidate, echo.port)
    outcome, report = candidate.call_sequence(_exchange(client), SequenceRequest(3))
    assert isinstance(outcome, Returned) and report is not None
    assert [result.sha256 for result in report.results] == [None, None]
    assert report.results[1].bytes == 3 * len(PAYLOAD)


def test_an_unknown_global_is_unimplemented_before_anything_runs(candidate: Adapter, echo: RecordingPeer):
    client = _connect(candidate, echo.port)
    calls = [Call("send", (b"A",), "method", client), Call(MISSING)]
    outcome, report = candidate.call_sequence(calls, SequenceRequest(2))
    assert outcome == Unimplemented(MISSING) and report is None
    assert candidate.call(Call("send", (b"B",), "method", client)) == Returned((None, 1))
    assert echo.wait_for(1, 5.0)[:1] == b"B", "the sequence's first call must not have run"


def test_a_call_that_raises_names_its_round_and_call(candidate: Adapter, echo: RecordingPeer):
    client = _connect(candidate, echo.port)
    calls = [*_exchange(client), Call("close", (), "method", client)]
    outcome, report = candidate.call_sequence(calls, SequenceRequest(4))
    assert report is None and isinstance(outcome, Raised), outcome
    assert outcome.message.startswith("round 2, call 1 (send): "), outcome.message
    assert "closed" in outcome.message
    assert echo.wait_for(len(PAYLOAD), 5.0) == PAYLOAD, "round 1 ran in full before round 2 failed"


def test_a_missing_method_is_an_error_in_its_turn(candidate: Adapter, echo: RecordingPeer):
    client = _connect(candidate, echo.port)
    calls = [Call("send", (b"x",), "method", client), Call("lsconform_no_such_method", (), "method", client)]
    outcome, _ = candidate.call_sequence(calls, SequenceRequest(3))
    assert isinstance(outcome, Raised) and outcome.message.startswith(
        "round 1, call 2 (lsconform_no_such_method): "), outcome
    assert echo.wait_for(1, 5.0) == b"x"


def test_a_driver_without_the_capability_is_never_sent_a_sequence():
    adapter = DriverAdapter(variant_driver("no-sequence"))
    try:
        outcome, report = adapter.call_sequence([Call("udpsocket")], SequenceRequest(2))
        assert outcome == Raised(SEQUENCE_REFUSED) and report is None
        assert adapter.failure is None and isinstance(adapter.call(Call("udpsocket")), Returned)
    finally:
        adapter.close()


# -- the wire -----------------------------------------------------------------


def test_the_message_carries_each_call_like_a_call_and_the_deadline_is_one_rounds_worth():
    sock = Handle(3, "tcp-client")
    calls = [Call("send", (b"\xff", None), "method", sock, 2.0), Call("toip", (b"x",), deadline=3.0)]
    message = sequence_message(9, calls, SequenceRequest(50, "digest"))
    assert message == {"type": "sequence", "id": 9, "rounds": 50, "discard": "digest", "calls": [
        {"function": "send", "style": "method", "args": ["\xff", None], "target": {"handle": 3,
                                                                                  "kind": "tcp-client"}},
        {"function": "toip", "style": "global", "args": ["x"]}]}
    assert sequence_deadline(calls) == 5.0


GOOD = {"rounds": 2, "elapsed": 0.5, "results": [{"values": [None, 1], "bytes": 0, "sha256": "0" * 64},
                                                  {"values": ["ab"], "bytes": 4, "sha256": "a" * 64}]}


def test_a_well_formed_report_is_read():
    report = parse_sequence_report({"type": "return", "sequence": GOOD}, 2, digest=True)
    assert (report.rounds, report.elapsed, report.cpu) == (2, 0.5, None)  # cpu is optional
    assert parse_sequence_report({"sequence": {**GOOD, "cpu": 0.25}}, 2, digest=True).cpu == 0.25
    assert report.results[1].values == (b"ab",) and report.results[1].bytes == 4


@pytest.mark.parametrize(("change", "digest", "named"), [
    ({"rounds": -1}, False, "sequence.rounds"),
    ({"elapsed": "soon"}, False, "sequence.elapsed"),
    ({"cpu": -0.1}, False, "sequence.cpu"),
    ({"cpu": "busy"}, False, "sequence.cpu"),
    ({"results": GOOD["results"][:1]}, False, "sequence.results must be a list of 2"),
    ({"results": [GOOD["results"][0], {"bytes": 1}]}, False, "sequence.results[1].values is missing"),
    ({"results": [GOOD["results"][0], {"values": [], "bytes": True}]}, False, "sequence.results[1].bytes"),
    ({"results": [GOOD["results"][0], {"values": [], "bytes": 0}]}, True,
     "sequence.results[1].sha256 is missing"),
    ({"results": [{"values": [], "bytes": 0, "sha256": "A" * 64}, GOOD["results"][1]]}, False,
     "sequence.results[0].sha256 must be 64 lowercase hex digits"),
    ({"results": [{"values": ["\u0100"], "bytes": 0}, GOOD["results"][1]]}, False,
     "sequence.results[0].values: string has code point U+0100"),
])
def test_a_malformed_report_is_a_protocol_error_naming_the_field(change, digest, named):
    with pytest.raises(ProtocolError, match=re.escape(named)):
        parse_sequence_report({"type": "return", "sequence": {**GOOD, **change}}, 2, digest=digest)


def test_a_return_without_the_sequence_object_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="\"sequence\" object"):
        parse_sequence_report({"type": "return", "values": []}, 1, digest=False)


def test_a_malformed_answer_from_a_driver_crashes_the_scenario_with_the_field(start_driver):
    adapter = start_driver(variant_driver("sequence-bad-bytes"))
    outcome, report = adapter.call_sequence([Call("udpsocket")], SequenceRequest(2))
    assert report is None and "sequence.results[0].bytes" in getattr(outcome, "detail", ""), outcome


# -- the loop's CPU time (the candidate's load) ---------------------------------


def _waiting_udp(adapter: Adapter) -> Handle:
    """A bound UDP socket with nothing to receive and a 50 ms timeout: each receive waits it out."""
    outcome = adapter.call(Call("udpsocket"))
    assert isinstance(outcome, Returned) and isinstance(outcome.values[0], Handle), outcome
    udp = outcome.values[0]
    assert adapter.call(Call("setsockname", (LOOPBACK.encode(), 0), "method", udp)) == Returned((None,))
    assert isinstance(adapter.call(Call("timeout", (0.05,), "method", udp)), Returned)
    return udp


@pytest.mark.parametrize("loop", ["repeat", "sequence"])
def test_a_loop_that_waits_reports_cpu_time_well_below_its_elapsed_time(candidate: Adapter, loop: str):
    """``cpu`` is the candidate's own clock of work: four 50 ms waits cost next to none of it."""
    udp = _waiting_udp(candidate)
    receive = Call("receive", (), "method", udp, 5.0)
    if loop == "repeat":
        outcome, report = candidate.call_repeated(receive, RepeatRequest(4, discard="none"))
    else:
        outcome, report = candidate.call_sequence([receive], SequenceRequest(4))
    assert outcome == Returned((None, b"timeout")), outcome
    assert report is not None and report.elapsed >= 0.15, report
    assert report.cpu is not None and report.cpu < report.elapsed / 2, report


def test_a_busy_loop_reports_cpu_time_up_to_its_elapsed_time(candidate: Adapter, echo: RecordingPeer):
    """An echo exchange keeps the candidate working; its CPU time is real and never above the wall clock."""
    client = _connect(candidate, echo.port)
    outcome, report = candidate.call_sequence(_exchange(client), SequenceRequest(2000))
    assert isinstance(outcome, Returned) and report is not None
    assert report.cpu is not None and 0 < report.cpu <= report.elapsed * 1.05 + 0.01, report
