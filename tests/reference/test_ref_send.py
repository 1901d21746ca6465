"""TCP ``send`` (spec §5.5): several strings, error code then byte count."""

from __future__ import annotations

import socket

import pytest
from ref_support import Background, TcpPair, invoke, timed

import reference as ls


def read_exactly(peer: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = peer.recv(count - len(data))
        assert chunk, "peer connection ended early"
        data += chunk
    return data


def test_several_strings_go_out_in_order(pair: TcpPair, style: str) -> None:
    assert invoke(style, pair.sock, "send", b"one ", "two ", b"three") == (None, 13)
    assert read_exactly(pair.peer, 13) == b"one two three"


def test_nothing_to_send(pair: TcpPair, style: str) -> None:
    assert invoke(style, pair.sock, "send") == (None, 0)
    assert invoke(style, pair.sock, "send", b"") == (None, 0)
    assert invoke(style, pair.sock, "send", b"", None) == (None, 0)


def test_numbers_are_sent_as_their_text(pair: TcpPair) -> None:
    assert pair.sock.send(1.5, 10, -2) == (None, 7)
    assert read_exactly(pair.peer, 7) == b"1.510-2"


def test_a_bad_argument_raises_after_the_earlier_ones_were_sent(pair: TcpPair, style: str) -> None:
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, pair.sock, "send", b"a", None, b"b")
    assert str(raised.value) == "string expected, got nil"
    assert read_exactly(pair.peer, 1) == b"a"
    with pytest.raises(ls.LuaError, match="string expected, got table"):
        pair.sock.send({})


def test_large_data_is_sent_in_full(pair: TcpPair) -> None:
    block = bytes(range(256)) * 40000
    reading = Background(lambda: read_exactly(pair.peer, len(block)))
    assert pair.sock.send(block) == (None, len(block))
    assert reading.join() == block


def test_send_to_a_closed_peer_reports_closed(pair: TcpPair) -> None:
    pair.hang_up()
    results = [pair.sock.send(b"x" * 1000) for _ in range(50)]
    assert ("closed", 0) in results
    first_failure = results.index(("closed", 0))
    assert all(result == (None, 1000) for result in results[:first_failure])


def test_send_times_out_when_the_peer_does_not_read(pair: TcpPair) -> None:
    pair.sock.timeout(0.2)
    block = b"z" * (64 << 20)
    (error, sent), took = timed(lambda: pair.sock.send(block))
    assert error == "timeout"
    assert 0 < sent < len(block)
    assert 0.18 <= took <= 3.0
