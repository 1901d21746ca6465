"""Receive patterns on the read buffer alone, no sockets (reference/patterns.py).

The central property: however the stream is cut into chunks, the patterns
give the same results as a deliberately naive model that sees the whole
stream at once. The socket-level edge cases of spec §6 live in
test_ref_receive_edges.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.errors import CLOSED, TIMEOUT, LuaError
from reference.patterns import ReadBuffer, make_reader

SPACE = b" \t\n\v\f\r"

Result = tuple[list[bytes | None], str | None]


def run_patterns(chunks: Iterable[bytes], patterns: Sequence[object], end: str = CLOSED,
                 buffer: ReadBuffer | None = None) -> Result:
    """Drive readers as the TCP layer does: feed a chunk only when asked."""
    buffer = buffer if buffer is not None else ReadBuffer()
    source = iter(chunks)
    values: list[bytes | None] = []
    error = None
    for pattern in patterns:
        reader = make_reader(pattern)
        value = reader.step(buffer)
        while value is None:
            chunk = next(source, None)
            if chunk is None:
                value, error = reader.finish(end)
                break
            buffer.feed(chunk)
            value = reader.step(buffer)
        values.append(value)
        if error is not None:
            break
    values.extend([None] * (len(patterns) - len(values)))
    return values, error


def model(stream: bytes, patterns: Sequence[object]) -> Result:
    """What the patterns mean, on a stream that ends with the peer's close."""
    values: list[bytes | None] = []
    pos = 0
    for pattern in patterns:
        if pattern in ("*l", "*lu"):
            newline = stream.find(b"\n", pos)
            if newline < 0:
                values.append(stream[pos:])
                break
            line = stream[pos:newline]
            if pattern == "*l" and line.endswith(b"\r"):
                line = line[:-1]
            values.append(line)
            pos = newline + 1
        elif pattern == "*a":
            values.append(stream[pos:])
            pos = len(stream)
        elif pattern == "*w":
            while pos < len(stream) and stream[pos] in SPACE:
                pos += 1
            start = pos
            while pos < len(stream) and stream[pos] not in SPACE:
                pos += 1
            values.append(stream[start:pos])
            if start == pos:
                break
        else:
            count = max(int(pattern), 0)  # type: ignore[call-overload]
            values.append(stream[pos : pos + count])
            pos += count
            if pos > len(stream):
                break
    else:
        return values, None
    return values + [None] * (len(patterns) - len(values)), CLOSED


def cut(stream: bytes, sizes: Sequence[int]) -> list[bytes]:
    chunks, pos = [], 0
    for size in sizes:
        if pos >= len(stream):
            break
        chunks.append(stream[pos : pos + size])
        pos += size
    if pos < len(stream):
        chunks.append(stream[pos:])
    return chunks


patterns_strategy = st.lists(st.sampled_from(["*l", "*lu", "*a", "*w", 0, 1, 3, 64, 1000]), min_size=1,
                             max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    stream=st.binary(max_size=600).map(lambda b: bytes(b"ab\r\n \t"[x % 6] for x in b)),
    sizes=st.lists(st.integers(1, 80), max_size=40),
    patterns=patterns_strategy,
)
def test_any_chunking_matches_the_model(stream: bytes, sizes: list[int], patterns: list[object]) -> None:
    assert run_patterns(cut(stream, sizes), patterns) == model(stream, patterns)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.binary(max_size=90).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=400),
       crlf=st.booleans(), chunk=st.integers(1, 70000))
def test_long_runs_of_lines_match_the_model(lines: list[bytes], crlf: bool, chunk: int) -> None:
    """Enough back-to-back lines to go through the cut-window path."""
    stream = b"".join(line + (b"\r\n" if crlf else b"\n") for line in lines)
    patterns = ["*l"] * (len(lines) // 2) + [7] + ["*lu"] * len(lines)
    chunks = cut(stream, [chunk] * (len(stream) // chunk + 1))
    assert run_patterns(chunks, patterns) == model(stream, patterns)


def test_lines_mixed_with_counts_keep_their_place() -> None:
    buffer = ReadBuffer()
    buffer.feed(b"".join(b"line%d\n" % i for i in range(100)))
    assert [buffer.next_line(True) for _ in range(5)] == [b"line%d" % i for i in range(5)]
    assert buffer.take_exact(6) == b"line5\n"
    assert buffer.next_line(True) == b"line6"
    assert buffer.next_line(True) == b"line7"
    assert buffer.take_all()[:6] == b"line8\n"
    assert len(buffer) == 0


def test_length_counts_bytes_left_after_cut_lines() -> None:
    buffer = ReadBuffer()
    buffer.feed(b"a\nbb\nccc\ntail")
    for _ in range(3):
        buffer.next_line(False)
    assert len(buffer) == 4


def test_a_failed_pattern_returns_what_it_collected_and_skips_the_rest() -> None:
    # Spec §5.6: partial value, later patterns nil and never validated.
    assert run_patterns([b"abc"], ["*l", "bogus"], end=TIMEOUT) == ([b"abc", None], TIMEOUT)


def test_invalid_pattern_raises_when_reached() -> None:
    with pytest.raises(LuaError, match="invalid receive pattern"):
        run_patterns([b"abc\n"], ["*l", "*x"])


@pytest.mark.parametrize(("pattern", "message"), [
    ("", "invalid receive pattern"), ("*L", "invalid receive pattern"), ("l", "invalid receive pattern"),
    ("*x", "invalid receive pattern"), (None, "string expected, got nil"), ({}, "string expected, got table"),
])
def test_bad_patterns(pattern: object, message: str) -> None:
    with pytest.raises(LuaError) as raised:
        make_reader(pattern)
    assert str(raised.value) == message


def test_numeric_string_and_fraction_patterns_are_counts() -> None:
    assert run_patterns([b"12345"], ["3", 2.7]) == ([b"123", b"45"], None)
    assert run_patterns([b"x"], [b"1"]) == ([b"x"], None)


def test_word_ended_by_close_is_complete_and_the_next_word_is_closed() -> None:
    assert run_patterns([b"  word"], ["*w", "*w"]) == ([b"word", b""], CLOSED)


def test_word_leaves_its_terminator_unread() -> None:
    buffer = ReadBuffer()
    assert run_patterns([b"one two"], ["*w"], buffer=buffer) == ([b"one"], None)
    assert buffer.take(10) == b" two"


def test_all_after_close_is_empty_without_error() -> None:
    assert run_patterns([], ["*a", "*a"]) == ([b"", b""], None)


def test_cr_ending_one_chunk_before_the_lf_of_the_next() -> None:
    assert run_patterns([b"abc\r", b"\ndef\r", b"\r", b"\n"], ["*l", "*l"]) == ([b"abc", b"def\r"], None)
    assert run_patterns([b"abc\r", b"\n"], ["*lu"]) == ([b"abc\r"], None)
