"""Repetition in process (``InProcessAdapter.call_repeated``) behaves as PROTOCOL.md section 7 says,
and as the Python driver does for the same module."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from harness.adapters import inprocess
from harness.adapters.base import Call, Crashed, Raised, Returned, Unimplemented
from harness.adapters.driver_loops import RepeatRequest
from harness.adapters.offclock import OffClockDigest
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


def test_digest_hashes_the_strings_bytes_counts_and_returns_none_of_them(adapter: object) -> None:
    request = RepeatRequest(100, stop=2, discard="digest")
    outcome, report = adapter.call_repeated(Call("chunk", (10,)), request)
    assert outcome == Returned((None, b"closed"))
    assert (report.done, report.bytes) == (4, 30)
    assert report.sha256 == hashlib.sha256(b"x" * 30).hexdigest()
    assert 0 <= report.elapsed < 5


def test_digest_of_no_strings_is_the_digest_of_nothing(adapter: object) -> None:
    outcome, report = adapter.call_repeated(Call("status"), RepeatRequest(3, discard="digest"))
    assert outcome == Returned((None, 3))
    assert report.sha256 == hashlib.sha256(b"").hexdigest()


def test_count_and_none_report_no_digest(adapter: object) -> None:
    for discard in ("count", "none"):
        adapter.call(Call("reset"))
        _, report = adapter.call_repeated(Call("chunk", (2,)), RepeatRequest(5, stop=2, discard=discard))
        assert report.sha256 is None


def test_the_time_spent_hashing_is_taken_off_the_loop_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class SlowDigest(OffClockDigest):
        def flush(self) -> None:
            super().flush()
            self.paused += 3600.0  # as if every batch had taken an hour

    monkeypatch.setattr(inprocess, "OffClockDigest", SlowDigest)
    adapter = resolve("python:bench_counter").make_adapter()
    try:
        adapter.call(Call("reset"))  # 1 MiB pieces fill a batch each: hashed inside the loop, taken off
        big = RepeatRequest(100, stop=2, discard="digest")
        _, report = adapter.call_repeated(Call("chunk", (1 << 20,)), big)
        assert report.elapsed == 0.0 and report.sha256 == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
        adapter.call(Call("reset"))  # 10-byte pieces: one batch, hashed after the clock stopped, so kept
        _, report = adapter.call_repeated(Call("chunk", (10,)), RepeatRequest(100, stop=2, discard="digest"))
        assert 0 < report.elapsed < 3600 and report.sha256 == hashlib.sha256(b"x" * 30).hexdigest()
        adapter.call(Call("reset"))
        _, report = adapter.call_repeated(Call("chunk", (10,)), RepeatRequest(100, stop=2, discard="count"))
        assert report.elapsed > 0  # no digest, nothing taken off
    finally:
        adapter.close()


def test_the_in_process_adapter_claims_what_it_loops_itself() -> None:
    adapter = resolve("python:bench_counter").make_adapter()
    try:
        assert adapter.claims("digest") and adapter.claims("repeat")
        assert not adapter.claims("local-callbacks-of-another-kind")
        assert "digest" not in adapter.info.capabilities  # what the module says of itself is unchanged
    finally:
        adapter.close()


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
        outcome, _ = adapter.call_repeated(Call("chunk", (1,)), RepeatRequest(2, discard="everything"))
        assert outcome == Raised("invalid repeat request")
    finally:
        adapter.close()


def test_a_closed_adapter_does_not_repeat() -> None:
    adapter = resolve("python:bench_counter").make_adapter()
    adapter.close()
    outcome, report = adapter.call_repeated(Call("chunk", (1,)), RepeatRequest(2))
    assert isinstance(outcome, Crashed) and report is None
