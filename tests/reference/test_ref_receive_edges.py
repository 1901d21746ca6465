"""TCP ``receive``: every numbered edge case of spec §6, over real sockets.

Where the reference follows the manual instead of the 2001 code, the test
name says "adapted" and the docstring cites the DIVERGENCES.md row.
"""

from __future__ import annotations

import pytest
from ref_support import Background, TcpPair, invoke, timed

import reference as ls


def test_item1_line_drops_crlf(pair: TcpPair, style: str) -> None:
    pair.feed(b"hello world\r\n")
    assert invoke(style, pair.sock, "receive", "*l") == (b"hello world", None)


def test_item2_adapted_line_keeps_inner_cr(pair: TcpPair, style: str) -> None:
    """Only the CR just before the LF goes (manual; the original drops every CR, #10)."""
    pair.feed(b"a\rb\r\n")
    assert invoke(style, pair.sock, "receive", "*l") == (b"a\rb", None)


def test_item3_adapted_lines_then_close(pair: TcpPair) -> None:
    """Inner CRs stay (#10); the unterminated last line comes with "closed"."""
    pair.feed(b"a\r\rb\r\r\nc\rd")
    pair.hang_up()
    assert pair.sock.receive("*l", "*l") == (b"a\r\rb\r", b"c\rd", "closed")


def test_item4_lu_count_then_line_times_out(pair: TcpPair) -> None:
    pair.feed(b"abc\r\ndef")
    pair.sock.timeout(0.2)
    result, took = timed(lambda: pair.sock.receive("*lu", 3, "*l"))
    assert result == (b"abc\r", b"def", b"", "timeout")
    assert 0.18 <= took <= 1.5


def test_item5_word_leaves_the_space_for_the_line(pair: TcpPair) -> None:
    pair.feed(b"x y\n")
    assert pair.sock.receive("*w", "*l") == (b"x", b" y", None)


def test_item6_words_across_two_sends_and_the_trailing_space(pair: TcpPair, style: str) -> None:
    pair.feed(b"  \t one two    three  \n this_is_a_very")
    words = Background(lambda: invoke(style, pair.sock, "receive", "*w", "*w", "*w", "*w"))
    pair.feed(b"_big_word ")
    assert words.join() == (b"one", b"two", b"three", b"this_is_a_very_big_word", None)
    assert invoke(style, pair.sock, "receive", 1) == (b" ", None)


def test_item7_adapted_word_ended_by_close(pair: TcpPair) -> None:
    """The word is complete, no error; the next word reports "closed" (#11)."""
    pair.feed(b"  word")
    pair.hang_up()
    assert pair.sock.receive("*w", "*w") == (b"word", b"", "closed")


def test_item8_only_whitespace_then_close(pair: TcpPair) -> None:
    pair.feed(b" \r\n\t ")
    pair.hang_up()
    assert pair.sock.receive("*w") == (b"", "closed")


def test_item9_lines_are_binary_safe(pair: TcpPair) -> None:
    pair.feed(b"\0\0x\n")
    assert pair.sock.receive() == (b"\0\0x", None)


def test_item10_partial_data_then_timeouts(pair: TcpPair) -> None:
    pair.feed(b"part")
    pair.sock.timeout(0.2)
    result, took = timed(lambda: pair.sock.receive("*l"))
    assert result == (b"part", "timeout")
    assert 0.18 <= took <= 1.5
    result, took = timed(lambda: pair.sock.receive(10))
    assert result == (b"", "timeout")
    assert 0.18 <= took <= 1.5
    pair.feed(b"ial")
    result, took = timed(lambda: pair.sock.receive("*w"))
    assert result == (b"ial", "timeout")  # not ended by whitespace: waits, then times out
    assert 0.18 <= took <= 1.5


def test_item11_numeric_string_and_fraction(pair: TcpPair) -> None:
    pair.feed(b"12345")
    assert pair.sock.receive("3", 2.7) == (b"123", b"45", None)


def test_item12_non_positive_counts_return_at_once(pair: TcpPair) -> None:
    result, took = timed(lambda: pair.sock.receive(0, -1))
    assert result == (b"", b"", None)
    assert took < 0.5


def test_item13_after_close_with_an_empty_buffer(pair: TcpPair, style: str) -> None:
    pair.hang_up()
    sock = pair.sock
    assert invoke(style, sock, "receive", "*l") == (b"", "closed")
    assert invoke(style, sock, "receive", "*a") == (b"", None)
    assert invoke(style, sock, "receive", "*a") == (b"", None)
    assert invoke(style, sock, "receive", "*a", "*l") == (b"", b"", "closed")
    assert invoke(style, sock, "receive", 5, "*l") == (b"", None, "closed")


def test_item14_line_then_all_after_close(pair: TcpPair) -> None:
    pair.feed(b"tail")
    pair.hang_up()
    assert pair.sock.receive("*l", "*a") == (b"tail", None, "closed")


@pytest.mark.parametrize("size", [1, 17, 200, 3000, 80000, 800000])
def test_item15_long_text_and_binary_lines(pair: TcpPair, size: int) -> None:
    text = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    binary = (bytes([0, 4, 5, 7, 21, 36, 44, 47, 77, 100, 120]) * (size // 11 + 1))[:size]
    sending = Background(lambda: pair.feed(text + b"\n" + binary + b"\r\n"))
    assert pair.sock.receive("*l", "*l") == (text, binary, None)
    sending.join()


def test_default_pattern_is_line(pair: TcpPair, style: str) -> None:
    pair.feed(b"one\r\ntwo\r\nthree\r\n")
    assert invoke(style, pair.sock, "receive") == (b"one", None)
    assert invoke(style, pair.sock, "receive", None) == (b"two", None)  # a trailing nil is absent
    assert invoke(style, pair.sock, "receive", b"*l") == (b"three", None)


def test_several_patterns_in_one_call(pair: TcpPair) -> None:
    """The original test suite's case: one send, one receive of three pieces."""
    pair.feed(b"unix line\n" + b"dos line\r\n" + b"raw bytes")
    assert pair.sock.receive("*lu", "*l", 9) == (b"unix line", b"dos line", b"raw bytes", None)


def test_all_returns_everything_until_close(pair: TcpPair) -> None:
    block = bytes(range(256)) * 4096
    def send_and_close() -> None:
        pair.feed(block)
        pair.hang_up()
    sending = Background(send_and_close)
    assert pair.sock.receive("*a") == (block, None)
    sending.join()


def test_invalid_pattern_raises_when_reached(pair: TcpPair, style: str) -> None:
    pair.feed(b"first\nsecond\n")
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, pair.sock, "receive", "*l", "*x")
    assert str(raised.value) == "invalid receive pattern"
    assert pair.sock.receive() == (b"second", None)  # the first line was consumed and lost


def test_patterns_after_a_failure_are_not_examined(pair: TcpPair) -> None:
    pair.feed(b"no newline")
    pair.sock.timeout(0.1)
    assert pair.sock.receive("*l", "*bogus", {}) == (b"no newline", None, None, "timeout")


def test_nil_pattern_between_others_raises(pair: TcpPair) -> None:
    pair.feed(b"x\n")
    with pytest.raises(ls.LuaError, match="string expected, got nil"):
        pair.sock.receive("*l", None, "*l")


def test_buffer_is_kept_across_calls_and_patterns(pair: TcpPair) -> None:
    pair.feed(b"line one\nword  rest of it\n12345678")
    sock = pair.sock
    assert sock.receive() == (b"line one", None)
    assert sock.receive("*w") == (b"word", None)
    assert sock.receive("*l", 4) == (b"  rest of it", b"1234", None)
    assert sock.receive(4) == (b"5678", None)


def test_many_back_to_back_lines(pair: TcpPair) -> None:
    lines = [b"%05d" % i + b"x" * (i % 70) for i in range(3000)]
    sending = Background(lambda: pair.feed(b"".join(line + b"\r\n" for line in lines)))
    assert [pair.sock.receive()[0] for _ in lines] == lines
    sending.join()


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_patterns_mixed_over_a_long_stream(pair: TcpPair, ending: bytes) -> None:
    """Line reads back to back (the fast path), interrupted by every other use."""
    lines = [b"%04d:" % i + b"y" * (i % 50) for i in range(4000)]
    stream = b"".join(line + ending for line in lines)
    sending = Background(lambda: pair.feed(stream))
    sock = pair.sock
    got = [sock.receive()[0] for _ in range(1500)]
    assert sock.receive("*lu") == (lines[1500] + ending[:-1], None)
    assert ls.select([sock], None, 0) == ([sock], [], None)  # buffered lines count as data
    assert sock.receive(5) == (lines[1501][:5], None)
    got += [sock.receive("*l")[0] for _ in range(1000)]
    assert sock.receive("*w") == (lines[2501], None)
    assert sock.receive(len(ending)) == (ending, None)
    rest = [sock.receive()[0] for _ in range(len(lines) - 2502)]
    sending.join()
    assert got[:1500] == lines[:1500]
    assert got[1500:] == [lines[1501][5:]] + lines[1502:2501]
    assert rest == lines[2502:]
