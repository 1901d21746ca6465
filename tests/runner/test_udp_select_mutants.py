"""Ports that break one UDP or select rule of the manual FAIL the shipped scenarios written for it.

Each test runs shipped scenarios against the reference (PASS) and then against
the reference with one rule broken the way a port plausibly breaks it (FAIL,
naming the difference). Every one of these ports passed the whole udp and
select areas before the scenarios were added:

* a limit rounded up to a whole second (a port timing with a whole-second
  clock) fitted every 2 s window, though "timeout values have millisecond
  precision" and select is "a fairly portable way to sleep with sub-second
  precision";
* a return limit counted from the ``timeout`` call rather than from each
  call's start;
* a receive capped below the largest datagram was seen only by raw-socket
  scenarios (edge.udp.max.*), which a machine without raw sockets skips;
* a select that reports a socket of the write set as readable.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from altered_reference import run_shipped

import reference
import reference.base
import reference.selecting
import reference.udp
from harness.scenario.catalog import load_catalog
from harness.scenario.model import Verdict


def _passes_then_fails(scenario_id: str, monkeypatch: pytest.MonkeyPatch, alter: Callable[[], None]) -> str:
    """The reference PASSes ``scenario_id``; after ``alter`` it FAILs; returns the FAIL's reason."""
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.PASS, result.reason
    alter()
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL, (result.verdict, result.reason)
    return result.reason or ""


def _ceiling(seconds: object) -> object:
    return float(math.ceil(seconds)) if isinstance(seconds, (int, float)) and seconds > 0 else seconds


@pytest.mark.parametrize("scenario_id", ["select.timeout.sub-second.empty-sets",
                                         "select.timeout.sub-second.idle-socket"])
def test_a_select_limit_rounded_up_to_a_whole_second_fails(scenario_id: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    original = reference.selecting.lua_seconds

    def whole_seconds(value: object) -> float | None:
        return _ceiling(original(value))  # type: ignore[return-value]

    def alter() -> None:
        monkeypatch.setattr(reference.selecting, "lua_seconds", whole_seconds)

    reason = _passes_then_fails(scenario_id, monkeypatch, alter)
    assert "outside [0.045, 0.45]s" in reason


@pytest.mark.parametrize("scenario_id", ["udp.timeout.sub-second.block", "udp.timeout.sub-second.return"])
def test_a_udp_limit_rounded_up_to_a_whole_second_fails(scenario_id: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    original = reference.base.set_limit

    def whole_seconds(limits: object, value: object, mode: object) -> None:
        original(limits, _ceiling(value), mode)  # type: ignore[arg-type]

    reason = _passes_then_fails(scenario_id, monkeypatch,
                                lambda: monkeypatch.setattr(reference.base, "set_limit", whole_seconds))
    assert "outside [0.045, 0.45]s" in reason


def test_a_return_limit_counted_from_the_timeout_call_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second receive finds the budget spent since ``timeout`` and polls, instead of waiting again."""
    timeout, wait = reference.base.SocketBase.timeout, reference.base.SocketBase._wait

    def timeout_noting_when(self: reference.base.SocketBase, *args: object) -> tuple[()]:
        if len(args) > 1 and isinstance(args[1], bytes) and args[1][:1] == b"r":
            self._set_at = reference.base.time.monotonic()  # type: ignore[attr-defined]
        return timeout(self, *args)

    def wait_from_then(self: reference.base.SocketBase, events: int, started: float) -> str | None:
        return wait(self, events, getattr(self, "_set_at", started))

    def alter() -> None:
        monkeypatch.setattr(reference.base.SocketBase, "timeout", timeout_noting_when)
        monkeypatch.setattr(reference.base.SocketBase, "_wait", wait_from_then)

    reason = _passes_then_fails("udp.timeout.return.budget-per-call", monkeypatch, alter)
    assert reason.startswith("u:receive(): ") and "outside [0.18, 2]s" in reason


@pytest.mark.parametrize("scenario_id", ["udp.receive.size.default-largest-datagram",
                                         "udp.receivefrom.size.default-largest-datagram"])
def test_a_receive_capped_below_the_largest_datagram_fails_without_raw_sockets(
        scenario_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not load_catalog().by_id[scenario_id].requires
    reason = _passes_then_fails(scenario_id, monkeypatch,
                                lambda: monkeypatch.setattr(reference.udp, "MAX_DATAGRAM", 8192))
    assert "expected 65507 bytes, got 8192" in reason


@pytest.mark.parametrize("scenario_id", ["select.writable.write-set-only.tcp-data-not-readable",
                                         "select.writable.write-set-only.udp-datagram-not-readable"])
def test_a_write_set_socket_reported_readable_fails(scenario_id: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    original = reference.select

    def select_reading_the_write_set_too(readset: object, writeset: object,
                                         *rest: object) -> tuple[object, ...]:
        readable, writable, err = original(readset, writeset, *rest)
        also, _, _ = original(writeset, None, 0)
        return readable + [sock for sock in also if sock not in readable], writable, err

    def alter() -> None:
        monkeypatch.setattr(reference, "select", select_reading_the_write_set_too)

    reason = _passes_then_fails(scenario_id, monkeypatch, alter)
    assert "value 1: expected {}, got {<" in reason
