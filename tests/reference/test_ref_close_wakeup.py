"""Closing a socket from another thread wakes a call blocked in it.

A harness rescues a call that missed its deadline by closing its sockets,
so the blocked call must come back (with its "closed"/"timeout" result, or
by raising "operation on closed socket") instead of hanging, and the
descriptor must be released once it has left.
"""

from __future__ import annotations

import pytest
from ref_support import Background, Closer, TcpPair, wait_until

import reference as ls

CLOSED_ERROR = "operation on closed socket"


def blocked_call(sock: object, call: object) -> Background:
    """Start ``call`` in a thread and wait until it is inside the socket."""
    running = Background(call)  # type: ignore[arg-type]
    wait_until(lambda: bool(sock._inside))  # type: ignore[attr-defined]
    return running


def outcome(running: Background) -> object:
    result = running.join(3.0)
    if running.error is not None:
        assert isinstance(running.error, ls.LuaError), running.error
        return str(running.error)
    return result


def assert_released(sock: object) -> None:
    assert sock._sock.fileno() == -1  # type: ignore[attr-defined]


@pytest.mark.parametrize("pattern", ["*l", "*a", "*w", 10])
def test_blocked_receive_returns_closed_with_its_partial_data(pair: TcpPair, pattern: object) -> None:
    """For "*a" and "*w" too: the peer did not end the stream, so what came is partial (R1)."""
    pair.feed(b"partial")
    running = blocked_call(pair.sock, lambda: pair.sock.receive(pattern))
    pair.sock.close()
    assert outcome(running) in {(b"partial", "closed"), (b"", "closed")}
    assert_released(pair.sock)


def test_blocked_send_returns_closed(pair: TcpPair) -> None:
    block = b"s" * (64 << 20)
    running = blocked_call(pair.sock, lambda: pair.sock.send(block))
    pair.sock.close()
    error, sent = outcome(running)  # type: ignore[misc]
    assert error == "closed" and 0 <= sent < len(block)
    assert_released(pair.sock)


def test_blocked_accept_raises(server: ls.TcpServer) -> None:
    running = blocked_call(server, server.accept)
    server.close()
    assert outcome(running) == CLOSED_ERROR
    assert_released(server)


@pytest.mark.parametrize("name", ["receive", "receivefrom"])
def test_blocked_udp_receive_raises(udp: ls.UdpSocket, name: str) -> None:
    running = blocked_call(udp, getattr(udp, name))
    udp.close()
    assert outcome(running) == CLOSED_ERROR
    assert_released(udp)


def test_blocked_receive_on_unbound_udp_raises(closer: Closer) -> None:
    udp = closer(ls.udpsocket()[0])
    running = blocked_call(udp, udp.receive)
    udp.close()
    assert outcome(running) == CLOSED_ERROR


def test_blocked_select_returns_without_the_closed_socket(pair: TcpPair, server: ls.TcpServer) -> None:
    running = blocked_call(pair.sock, lambda: ls.select([pair.sock, server], None))
    pair.sock.close()
    assert outcome(running) == ([], [], None)
    assert_released(pair.sock)


def test_close_without_a_blocked_call_releases_at_once(pair: TcpPair, server: ls.TcpServer,
                                                       udp: ls.UdpSocket) -> None:
    for sock in (pair.sock, server, udp):
        sock.close()
        assert_released(sock)
