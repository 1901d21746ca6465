"""Repetition in process (``InProcessAdapter.call_repeated``) behaves as PROTOCOL.md section 7 says,
and as the Python driver does for the same module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.adapters.base import Call, Crashed, Raised, Returned, Unimplemented
from harness.adapters.driver_wire import RepeatRequest
from harness.candidates.registry import resolve


@pytest.fixture(params=["python:bench_counter", "driver:python:bench_counter"])
def adapter(request: pytest.FixtureRequest) -> Iterator[object]:
    candidate = resolve(request.param)
    opened = candidate.make_adapter()
    opened.call(Call("reset"))
    yield opened
    opened.close()


def test_stop_ends_the_loop_at_the_first_error_code(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("chunk", (10,)), RepeatRequest(100, stop=2, discard="count"))
    assert outcome == Returned((None, b"closed"))  # value 1 counted, then dropped: "" became nil
    assert (report.done, report.bytes) == (4, 30)
    assert 0 <= report.elapsed < 5


def test_without_stop_every_repetition_runs_and_none_keeps_the_last_values(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("chunk", (2,)), RepeatRequest(5, discard="none"))
    assert outcome == Returned((b"", b"closed"))
    assert (report.done, report.bytes) == (5, 6)


def test_count_keeps_values_that_are_not_strings(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("status"), RepeatRequest(3, discard="count"))
    assert outcome == Returned((None, 3))
    assert (report.done, report.bytes) == (3, 0)


def test_a_raised_error_ends_the_call_as_an_error(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("refuse"), RepeatRequest(3))
    assert isinstance(outcome, Raised) and "refused on purpose" in outcome.message
    assert report is None


def test_a_missing_function_is_unimplemented(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("no_such_function"), RepeatRequest(3))
    assert outcome == Unimplemented("no_such_function") and report is None


def test_an_invalid_request_is_refused_in_process() -> None:
    adapter = resolve("python:bench_counter").make_adapter()
    try:
        outcome, report = adapter.call_repeated(Call("chunk", (1,)), RepeatRequest(0))
        assert outcome == Raised("invalid repeat request") and report is None
        outcome, _ = adapter.call_repeated(Call("chunk", (1,)), RepeatRequest(2, discard="digest"))
        assert outcome == Raised("invalid repeat request")
    finally:
        adapter.close()


def test_a_closed_adapter_does_not_repeat() -> None:
    adapter = resolve("python:bench_counter").make_adapter()
    adapter.close()
    outcome, report = adapter.call_repeated(Call("chunk", (1,)), RepeatRequest(2))
    assert isinstance(outcome, Crashed) and report is None
