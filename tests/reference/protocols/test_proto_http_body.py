"""HTTP body framers (spec §14.7): which one, and bytes in -> pieces out, in any split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.http_body import (
    LINE,
    ChunkedBody,
    CloseBody,
    LengthBody,
    NoBody,
    body_framer,
    has_body,
)


@pytest.mark.parametrize(
    ("method", "code", "expected"),
    [
        ("GET", 200, True),
        ("HEAD", 200, False),
        ("GET", 204, False),
        ("GET", 304, False),
        ("GET", 100, False),
        ("POST", 404, True),
        ("GET", 205, True),
    ],
)
def test_which_responses_have_a_body(method: str, code: int, expected: bool) -> None:
    assert has_body(method, code) is expected


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, CloseBody),
        ({"content-length": "5"}, LengthBody),
        ({"content-length": "5, 5"}, LengthBody),
        ({"transfer-encoding": "chunked"}, ChunkedBody),
        ({"transfer-encoding": "Chunked"}, ChunkedBody),
        ({"transfer-encoding": "gzip, CHUNKED"}, ChunkedBody),
        ({"transfer-encoding": "chunked", "content-length": "3"}, ChunkedBody),
        ({"transfer-encoding": "chunked, gzip"}, CloseBody),
        ({"transfer-encoding": "identity"}, CloseBody),
    ],
)
def test_framer_choice(headers: dict[str, str], kind: type) -> None:
    assert isinstance(body_framer("GET", 200, headers), kind)


def test_no_body_responses_ignore_their_framing_headers() -> None:
    assert isinstance(body_framer("HEAD", 200, {"content-length": "10"}), NoBody)
    assert body_framer("GET", 204, {"transfer-encoding": "chunked"}).done


@pytest.mark.parametrize("value", ["abc", "-1", "5, 6", "1e3", "", "0x10"])
def test_bad_content_length(value: str) -> None:
    with pytest.raises(CallFailed) as caught:
        body_framer("GET", 200, {"content-length": value})
    assert caught.value.message == errors.BAD_CONTENT_LENGTH


def test_length_body_reads_in_blocks_and_ignores_extra_bytes() -> None:
    framer = LengthBody(10, block=4)
    assert framer.next_read() == 4
    assert framer.feed(b"abcd") == [b"abcd"]
    assert framer.next_read() == 4
    assert framer.feed(b"efgh") == [b"efgh"]
    assert framer.next_read() == 2 and not framer.done
    assert framer.feed(b"ijEXTRA") == [b"ij"]
    assert framer.done and framer.feed(b"more") == []


def test_length_body_cut_short_is_closed() -> None:
    framer = LengthBody(10)
    framer.feed(b"abc")
    with pytest.raises(CallFailed) as caught:
        framer.at_close()
    assert caught.value.message == "closed"


def test_empty_length_body_is_done_at_once() -> None:
    assert LengthBody(0).done


def test_close_body_ends_at_close() -> None:
    framer = CloseBody(block=7)
    assert framer.next_read() == 7
    assert framer.feed(b"abc") == [b"abc"]
    assert framer.feed(b"") == []
    framer.at_close()
    assert framer.done


CHUNKED = (
    b"4\r\nWiki\r\n5;name=value\r\npedia\r\n E \r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX: y\r\n\r\n"
)
DECODED = b"Wikipedia in\r\n\r\nchunks."


def drive(framer: ChunkedBody, stream: bytes) -> list[bytes]:
    """Feed ``stream`` the way the socket layer does: a line or up to next_read() bytes."""
    pieces, pos = [], 0
    while not framer.done:
        wanted = framer.next_read()
        end = stream.index(b"\n", pos) + 1 if wanted == LINE else pos + wanted
        pieces.extend(framer.feed(stream[pos:end]))
        pos = end
    return pieces


def test_chunked_body_decodes_with_extensions_spaces_and_trailers() -> None:
    framer = ChunkedBody()
    assert b"".join(drive(framer, CHUNKED)) == DECODED
    assert framer.done


def test_chunked_pieces_never_exceed_the_block() -> None:
    stream = b"2710\r\n" + b"z" * 10000 + b"\r\n0\r\n\r\n"
    pieces = drive(ChunkedBody(block=4096), stream)
    assert [len(piece) for piece in pieces] == [4096, 4096, 1808]


def test_no_empty_pieces() -> None:
    framer = ChunkedBody()
    assert framer.feed(b"3\r\n") == []
    assert b"" not in framer.feed(b"abc\r\n0\r\n\r\n")


@given(st.lists(st.integers(min_value=0, max_value=len(CHUNKED)), max_size=15))
def test_any_split_decodes_the_same(cuts: list[int]) -> None:
    points = sorted({0, len(CHUNKED), *cuts})
    framer = ChunkedBody()
    pieces = []
    for start, end in zip(points, points[1:], strict=False):
        pieces.extend(framer.feed(CHUNKED[start:end]))
    assert b"".join(pieces) == DECODED
    assert framer.done


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"xyz\r\n", errors.BAD_CHUNK_SIZE),
        (b"\r\n", errors.BAD_CHUNK_SIZE),
        (b"0x10\r\n", errors.BAD_CHUNK_SIZE),
        (b"-1\r\n", errors.BAD_CHUNK_SIZE),
        (b"11111111111111111\r\n", errors.BAD_CHUNK_SIZE),
        (b"3\r\nabcX\r\n", errors.BAD_CHUNK_END),
        (b"3\r\nabc\r\n1" + b"0" * 5000, errors.BAD_CHUNK_SIZE),
    ],
)
def test_bad_chunked_streams(stream: bytes, message: str) -> None:
    with pytest.raises(CallFailed) as caught:
        ChunkedBody().feed(stream)
    assert caught.value.message == message


def test_trailers_are_bounded() -> None:
    with pytest.raises(CallFailed) as caught:
        ChunkedBody().feed(b"0\r\n" + b"X: 1\r\n" * 200)
    assert caught.value.message == errors.BAD_TRAILERS


def test_chunked_cut_short_is_closed() -> None:
    framer = ChunkedBody()
    framer.feed(b"5\r\nab")
    with pytest.raises(CallFailed) as caught:
        framer.at_close()
    assert caught.value.message == "closed"


def test_bytes_after_the_end_are_ignored() -> None:
    framer = ChunkedBody()
    assert framer.feed(b"1\r\na\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n") == [b"a"]
    assert framer.done and framer.next_read() == 0
