"""Scenario callbacks answer as the manual's contract says and record what they saw."""

from __future__ import annotations

import hashlib

import pytest

from harness.callbacks import SHOWN_CALLS, CallbackSet, UnknownCallback, generated_chunks
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.transcript import Transcript


def callbacks(*specs: CallbackSpec) -> tuple[CallbackSet, Transcript]:
    transcript = Transcript()
    return CallbackSet(specs, transcript), transcript


def test_receive_callback_goes_on_and_records_every_call() -> None:
    found, _ = callbacks(CallbackSpec("sink", "receive"))
    assert found.handle("sink", (b"hel", None)) == (1,)
    assert found.handle("sink", (b"lo",)) == (1,)
    assert found.handle("sink", (b"", None)) == (1,)
    record = found["sink"].record
    assert record.calls == [(b"hel",), (b"lo",), (b"",)]  # trailing nils trimmed
    assert (record.count, record.first, record.last, record.data()) == (3, (b"hel",), (b"",), b"hello")
    assert record.sha256 == hashlib.sha256(b"hello").hexdigest() and record.length == 5


def test_receive_callback_aborts_at_its_call_with_the_message() -> None:
    found, _ = callbacks(CallbackSpec("sink", "receive", abort_at=2, message=b"enough"),
                         CallbackSpec("quiet", "receive", abort_at=1))
    assert found.handle("sink", (b"a",)) == (1,)
    assert found.handle("sink", (b"b",)) == (None, b"enough")
    assert found.handle("quiet", (b"a",)) == (None,)


def test_failure_call_is_recorded_with_its_message() -> None:
    found, _ = callbacks(CallbackSpec("sink", "receive"))
    found.handle("sink", (None, b"connection refused"))
    assert found["sink"].record.last == (None, b"connection refused")
    assert found["sink"].record.data() == b""


def test_digest_mode_keeps_no_calls_and_no_data() -> None:
    found, _ = callbacks(CallbackSpec("sink", "receive", record="digest"))
    for _ in range(1000):
        found.handle("sink", (b"x" * 100,))
    found.handle("sink", (b"",))
    record = found["sink"].record
    assert record.calls is None and record.data() is None
    assert (record.count, record.length, record.first, record.last) == (1001, 100000, (b"x" * 100,), (b"",))
    assert record.sha256 == hashlib.sha256(b"x" * 100000).hexdigest()


def test_send_callback_serves_chunks_then_empty_with_the_total() -> None:
    found, _ = callbacks(CallbackSpec("src", "send", chunks=(b"abc", b"de", b"f")))
    answers = [found.handle("src", ()) for _ in range(5)]
    assert answers == [(b"abc", 6), (b"de", 6), (b"f", 6), (b"", 6), (b"", 6)]
    assert found["src"].record.count == 5 and found["src"].record.calls == [()] * 5


def test_send_callback_after_repeat_serves_everything_again_like_the_manuals_second_example() -> None:
    found, _ = callbacks(CallbackSpec("src", "send", chunks=(b"abc", b"de"), after="repeat"))
    answers = [found.handle("src", ()) for _ in range(4)]
    assert answers == [(b"abc", 5), (b"de", 5), (b"abcde", 5), (b"abcde", 5)]


def test_send_callback_announces_the_given_total_and_aborts() -> None:
    found, _ = callbacks(CallbackSpec("src", "send", chunks=(b"abc",), total=10, abort_at=2, message=b"no"))
    assert found.handle("src", ()) == (b"abc", 10)
    assert found.handle("src", ()) == (None, b"no")


def test_generated_send_data_is_lazy_and_exact() -> None:
    spec = CallbackSpec("big", "send", generate=GeneratedData(size=10_000, pattern=b"abc", chunk=999))
    found, _ = callbacks(spec)
    pieces = []
    while (answer := found.handle("big", ()))[0]:
        assert answer[1] == 10_000 and len(answer[0]) <= 999
        pieces.append(answer[0])
    assert b"".join(pieces) == (b"abc" * 4000)[:10_000]


@pytest.mark.parametrize(("size", "pattern", "chunk"),
                         [(0, b"x", 4), (7, b"xyz", 2), (64, b"0123456789", 64)])
def test_generated_chunks_keep_the_pattern_in_phase(size: int, pattern: bytes, chunk: int) -> None:
    data = b"".join(generated_chunks(GeneratedData(size=size, pattern=pattern, chunk=chunk)))
    assert data == (pattern * (size // len(pattern) + 1))[:size]


def test_unknown_callback_name_raises() -> None:
    found, _ = callbacks(CallbackSpec("sink", "receive"))
    with pytest.raises(UnknownCallback, match="'other'.*declared: sink"):
        found.handle("other", ())


def test_transcript_shows_the_first_calls_then_a_summary() -> None:
    found, transcript = callbacks(CallbackSpec("sink", "receive"))
    for _ in range(SHOWN_CALLS + 5):
        found.handle("sink", (b"z" * 500, None))
    found.summarize()
    lines = [entry.text for entry in transcript.entries() if entry.source == "callback"]
    assert len(lines) == SHOWN_CALLS + 2
    assert lines[0].startswith('sink("zzz') and "(500 bytes)" in lines[0] and lines[0].endswith("-> 1")
    assert "further calls not shown" in lines[SHOWN_CALLS]
    assert lines[-1] == f"sink: {SHOWN_CALLS + 5} calls, {500 * (SHOWN_CALLS + 5)} bytes of chunks"
