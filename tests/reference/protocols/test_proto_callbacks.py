"""The streaming callback contract (manual "Streaming with callbacks"), no network."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from reference.protocols import errors
from reference.protocols.callbacks import BytesSource, CallbackSink, CallbackSource, Collector, message_text
from reference.protocols.errors import CallFailed


class Recorder:
    """A receive callback that records its calls and answers from a script."""

    def __init__(self, answer: Callable[..., Any] = lambda *args: 1) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._answer = answer

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self._answer(*args)


def failure_of(call: Callable[[], object]) -> str:
    with pytest.raises(CallFailed) as caught:
        call()
    return caught.value.message


# -- receive side ---------------------------------------------------------------


def test_pieces_then_one_empty_string() -> None:
    callback = Recorder()
    sink = CallbackSink(callback)
    sink.chunk(b"ab")
    sink.chunk(b"c")
    sink.end()
    assert callback.calls == [(b"ab", None), (b"c", None), (b"", None)]
    assert sink.fail("late") == "late" and len(callback.calls) == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, errors.ABORTED),
        ((), errors.ABORTED),
        ((None,), errors.ABORTED),
        ((None, "disk full"), "disk full"),
        ((None, b"bytes msg"), "bytes msg"),
    ],
)
def test_nil_aborts_with_the_callbacks_message(answer: object, message: str) -> None:
    callback = Recorder(lambda *args: answer)
    sink = CallbackSink(callback)
    assert failure_of(lambda: sink.chunk(b"x")) == message
    assert sink.fail(message) == message
    assert callback.calls == [(b"x", None)]  # never called again after the abort


@pytest.mark.parametrize("answer", [1, "go", True, 0, b"", (1, "ignored")])
def test_any_other_value_goes_on(answer: object) -> None:
    sink = CallbackSink(lambda *args: answer)
    sink.chunk(b"x")


def test_nil_on_the_final_call_is_not_an_abort() -> None:
    sink = CallbackSink(lambda *args: None if args[0] == b"" else 1)
    sink.chunk(b"x")
    sink.end()


def test_second_value_of_the_final_call_becomes_the_error() -> None:
    sink = CallbackSink(lambda *args: (None, "could not close") if args[0] == b"" else 1)
    assert failure_of(sink.end) == "could not close"


def test_failure_is_reported_once_and_may_be_rephrased() -> None:
    plain = Recorder(lambda *args: None)
    assert CallbackSink(plain).fail("closed") == "closed"
    assert plain.calls == [(None, "closed")]
    rephrased = CallbackSink(lambda *args: (None, "download failed: " + args[1]))
    assert rephrased.fail("timeout") == "download failed: timeout"


def test_the_manuals_file_example_works() -> None:
    target = io.BytesIO()

    def receive_cb(chunk: bytes | None, err: str | None) -> object:  # the manual's two parameters
        if chunk:
            target.write(chunk)
            return 1
        target.close()  # "we are done": returns nothing
        return None

    sink = CallbackSink(receive_cb)
    sink.chunk(b"data")
    sink.end()
    assert target.closed


def test_every_call_passes_both_parameters() -> None:
    def receive_cb(chunk: bytes | None, err: str | None) -> object:
        return (None, f"failed: {err}") if chunk is None else 1

    sink = CallbackSink(receive_cb)
    sink.chunk(b"x")
    sink.end()
    assert CallbackSink(receive_cb).fail("timeout") == "failed: timeout"


def test_collector_keeps_everything() -> None:
    collector = Collector()
    collector.chunk(b"a")
    collector.chunk(b"bc")
    collector.end()
    assert collector.data() == b"abc"
    assert collector.fail("x") == "x"


@pytest.mark.parametrize(("value", "text"), [("s", "s"), (b"b", "b"), (3, "3"), (1.5, "1.5"), ({}, "dflt")])
def test_message_text(value: object, text: str) -> None:
    assert message_text(value, "dflt") == text


# -- send side ------------------------------------------------------------------


class Producer:
    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.answers.pop(0) if self.answers else (b"", -1)


def run(producer: Callable[[], object]) -> tuple[int, list[bytes]]:
    source = CallbackSource(producer)
    total = source.start()
    return total, list(source.chunks())


def test_pieces_up_to_the_total_then_one_final_call() -> None:
    producer = Producer((b"abc", 6), (b"de", 6), (b"f", 6), (b"", 6))
    assert run(producer) == (6, [b"abc", b"de", b"f"])
    assert producer.calls == 4 and not producer.answers


def test_everything_at_once_like_the_manuals_second_example() -> None:
    data = b"whole file"
    producer = Producer((data, len(data)), (data, len(data)))  # it would repeat itself
    assert run(producer) == (10, [data])
    assert producer.calls == 2


def test_the_manuals_file_example_gets_its_closing_call() -> None:
    file = io.BytesIO(b"x" * 10000)
    size = 10000

    def send_cb() -> tuple[bytes, int]:
        chunk = file.read(4096)
        if not chunk:
            file.close()
            return b"", size
        return chunk, size

    total, pieces = run(send_cb)
    assert total == size and b"".join(pieces) == b"x" * 10000
    assert file.closed


def test_empty_body() -> None:
    producer = Producer((b"", 0))
    assert run(producer) == (0, [])
    assert producer.calls == 1


def test_text_chunks_and_numeric_totals_are_lua_strings_and_numbers() -> None:
    assert run(Producer(("ab", "2"), ("", 2))) == (2, [b"ab"])
    assert run(Producer((bytearray(b"ab"), 2.0), ("", 2))) == (2, [b"ab"])


def test_ending_before_the_total_is_an_error() -> None:
    assert failure_of(lambda: run(Producer((b"ab", 5), (b"", 5)))) == errors.SEND_SHORT


def test_a_piece_past_the_total_is_refused_before_it_is_sent() -> None:
    source = CallbackSource(Producer((b"abc", 4), (b"de", 4)))
    source.start()
    pieces = source.chunks()
    assert next(pieces) == b"abc"
    assert failure_of(lambda: next(pieces)) == errors.SEND_OVER


def test_first_piece_larger_than_the_total() -> None:
    assert failure_of(lambda: run(Producer((b"abc", 2)))) == errors.SEND_OVER


def test_the_total_may_not_change() -> None:
    assert failure_of(lambda: run(Producer((b"a", 3), (b"b", 4)))) == errors.SEND_TOTAL_CHANGED


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, errors.ABORTED),
        ((), errors.ABORTED),
        ((None, "gone"), "gone"),
        ((None, 42), "42"),
        (False, errors.ABORTED),
    ],
)
def test_nil_aborts(answer: object, message: str) -> None:
    assert failure_of(lambda: run(Producer(answer))) == message


def test_nil_on_the_final_call_aborts_too() -> None:
    assert failure_of(lambda: run(Producer((b"ab", 2), None))) == errors.ABORTED


@pytest.mark.parametrize("answer", [(b"", 2), ("",), "", 1, (b"x", "y"), (b"ab", 7), True])
def test_the_final_call_is_ignored_unless_nil(answer: object) -> None:
    producer = Producer((b"ab", 2), answer)
    assert run(producer) == (2, [b"ab"])
    assert producer.calls == 2 and not producer.answers


@pytest.mark.parametrize(
    "answer", [(5, 1), (b"a",), (b"a", None), (b"a", -1), (b"a", 1.5), (b"a", "x"), ({}, 1), ("\u20ac", 1)]
)
def test_invalid_returns(answer: object) -> None:
    assert failure_of(lambda: run(Producer(answer))) == errors.BAD_CALLBACK_RETURN


def test_bytes_source() -> None:
    source = BytesSource(b"body")
    assert source.start() == 4 and list(source.chunks()) == [b"body"]
    empty = BytesSource(b"")
    assert empty.start() == 0 and list(empty.chunks()) == []
