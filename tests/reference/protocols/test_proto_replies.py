"""SMTP/FTP reply parsing (spec §13.2), fed in any split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.protocols.errors import REPLY_TOO_LONG, CallFailed
from reference.protocols.replies import Reply, ReplyReader


def replies_of(*pieces: bytes) -> list[Reply]:
    reader = ReplyReader()
    found = []
    for piece in pieces:
        reader.feed(piece)
        while (reply := reader.next_reply()) is not None:
            found.append(reply)
    return found


def test_single_line_reply() -> None:
    assert replies_of(b"220 ready\r\n") == [Reply(220, "220 ready")]


def test_nothing_until_the_line_is_complete() -> None:
    reader = ReplyReader()
    reader.feed(b"250 o")
    assert reader.next_reply() is None
    reader.feed(b"k\r\n")
    assert reader.next_reply() == Reply(250, "250 ok")


def test_multi_line_reply_runs_to_the_same_code_and_a_space() -> None:
    data = b"451-temp\r\n451-more\r\nanything at all\r\n452 not the end\r\n451 fail\r\n"
    assert replies_of(data) == [Reply(451, "451-temp\n451-more\nanything at all\n452 not the end\n451 fail")]


def test_two_replies_in_one_read_come_out_in_order() -> None:
    assert replies_of(b"331 pass\r\n230 in\r\n") == [Reply(331, "331 pass"), Reply(230, "230 in")]


def test_bare_lf_lines_are_accepted() -> None:
    assert replies_of(b"220-a\n220 b\n") == [Reply(220, "220-a\n220 b")]


@pytest.mark.parametrize("line", [b"250", b"hello", b"25 x", b"x250 ok"])
def test_a_malformed_first_line_is_a_reply_without_code(line: bytes) -> None:
    (reply,) = replies_of(line + b"\r\n")
    assert reply.code is None and reply.text == line.decode()
    assert not reply.is_one_of({250})


def test_other_separators_end_a_single_line_reply() -> None:
    assert replies_of(b"250x\r\n") == [Reply(250, "250x")]


def test_preliminary_replies() -> None:
    assert Reply(150, "").is_preliminary
    assert not Reply(226, "").is_preliminary
    assert not Reply(None, "").is_preliminary


def test_a_reply_that_never_ends_is_cut_off() -> None:
    reader = ReplyReader(max_bytes=100)
    reader.feed(b"220-start\r\n")
    with pytest.raises(CallFailed) as caught:
        for _ in range(20):
            reader.feed(b"220-more text\r\n")
    assert caught.value.message == REPLY_TOO_LONG


def test_a_line_that_never_ends_is_cut_off() -> None:
    reader = ReplyReader(max_bytes=100)
    with pytest.raises(CallFailed):
        reader.feed(b"2" * 101)


STREAM = b"220-Welcome\r\n220-to the\r\n220 server\r\n331 password\r\n500 x\r\n226-a\r\n  226 b\r\n226 c\r\n"


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_gives_the_same_replies(cuts: list[int]) -> None:
    points = sorted({0, len(STREAM), *cuts})
    pieces = [STREAM[a:b] for a, b in zip(points, points[1:], strict=False)]
    assert replies_of(*pieces) == replies_of(STREAM)
    assert [reply.code for reply in replies_of(STREAM)] == [220, 331, 500, 226]
