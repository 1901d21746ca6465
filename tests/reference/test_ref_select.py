"""``select`` (spec §7): every rule, with real sockets of every kind."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ref_support import LOOPBACK, Background, Closer, TcpPair, timed

import reference as ls


def connected_pair(closer: Closer) -> TcpPair:
    """A further reference client with its plain peer."""
    listener = closer(socket.create_server((LOOPBACK, 0)))
    sock = closer(ls.connect(*listener.getsockname())[0])
    peer = closer(listener.accept()[0])
    return TcpPair(sock, peer)


def wait_readable(sock: socket.socket | ls.TcpClient) -> None:
    """Block until the OS reports ``sock`` readable (so select sees it too)."""
    readable, _, err = ls.select([sock], None, 5)
    assert readable == [sock], err


@pytest.mark.parametrize("bad", ["wrong", 1, b"x", 1.5])
def test_sets_must_be_tables_or_nil(bad: object) -> None:
    with pytest.raises(ls.LuaError) as raised:
        ls.select(bad, None, 0.1)
    assert str(raised.value) == "expected table or nil"
    with pytest.raises(ls.LuaError, match="expected table or nil"):
        ls.select(None, bad, 0.1)


def test_original_regression_wrong_set_types() -> None:
    with pytest.raises(ls.LuaError, match="expected table or nil"):
        ls.select("wrong", 1, 0.1)


@pytest.mark.parametrize("sets", [(None, None), ([], []), ({}, ()), ()])
def test_empty_sets_sleep_for_the_timeout(sets: tuple[object, ...]) -> None:
    args = (*sets, None, None)[:2]
    result, took = timed(lambda: ls.select(*args, 0.2))
    assert result == ([], [], "timeout")
    assert 0.18 <= took <= 1.5


def test_empty_sets_without_timeout_block_for_ever() -> None:
    code = "import reference as ls; ls.select(None, None); print('returned')"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=Path(ls.__file__).parent.parent)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.communicate(timeout=0.6)
    finally:
        process.kill()
        process.communicate()


def test_closed_sockets_are_skipped(pair: TcpPair, server: ls.TcpServer) -> None:
    pair.feed(b"data\n")
    pair.sock.close()
    server.close()
    result, took = timed(lambda: ls.select([pair.sock, server], [pair.sock], 0.2))
    assert result == ([], [], "timeout")
    assert 0.18 <= took <= 1.5


def test_non_socket_values_are_ignored_and_every_value_counts(pair: TcpPair, closer: Closer) -> None:
    other = connected_pair(closer)
    pair.feed(b"x")
    other.feed(b"y")
    wait_readable(pair.sock)
    wait_readable(other.sock)
    readset = {"n": 2, 1: pair.sock, "named": other.sock, "junk": "text", "t": {}}
    readable, writable, err = ls.select(readset, None, 1)
    assert set(map(id, readable)) == {id(pair.sock), id(other.sock)}
    assert (writable, err) == ([], None)


def test_results_are_the_same_objects_in_new_lists(pair: TcpPair) -> None:
    readset = [pair.sock]
    pair.feed(b"x")
    readable, writable, err = ls.select(readset, readset, 1)
    assert readable[0] is pair.sock and writable[0] is pair.sock and err is None
    assert readable is not readset and isinstance(readable, list)


def test_connected_tcp_and_udp_are_writable_at_once(pair: TcpPair, udp: ls.UdpSocket) -> None:
    result, took = timed(lambda: ls.select(None, [pair.sock, udp]))
    assert set(map(id, result[1])) == {id(pair.sock), id(udp)}
    assert result[0] == [] and result[2] is None
    assert took < 0.5


def test_server_is_readable_with_a_pending_connection(server: ls.TcpServer, closer: Closer) -> None:
    closer(socket.create_connection(server.getsockname()))
    assert ls.select([server], None, 2) == ([server], [], None)
    server.timeout(1)
    closer(server.accept()[0])


def test_udp_is_readable_with_a_waiting_datagram(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    udp_peer.sendto(b"d", udp.getsockname())
    assert ls.select([udp], None, 2) == ([udp], [], None)


def test_peer_close_makes_a_socket_readable(pair: TcpPair) -> None:
    pair.hang_up()
    assert ls.select([pair.sock], None, 2) == ([pair.sock], [], None)


def test_buffered_data_is_readable_at_once_even_without_timeout(pair: TcpPair) -> None:
    pair.feed(b"one\ntwo\n")
    assert pair.sock.receive() == (b"one", None)
    result, took = timed(lambda: ls.select([pair.sock], None))
    assert result == ([pair.sock], [], None)
    assert took < 0.5


def test_buffered_sockets_come_first_once_per_listing(pair: TcpPair, closer: Closer) -> None:
    ready = connected_pair(closer)  # OS-readable, nothing buffered
    idle = connected_pair(closer)
    pair.feed(b"one\ntwo\n")
    assert pair.sock.receive() == (b"one", None)
    ready.feed(b"x")
    wait_readable(ready.sock)
    readable, _, err = ls.select([idle.sock, ready.sock, pair.sock, ready.sock, pair.sock], None, 1)
    assert readable == [pair.sock, pair.sock, ready.sock]
    assert err is None


def test_os_ready_sockets_come_in_descriptor_order(closer: Closer) -> None:
    pairs = [connected_pair(closer) for _ in range(4)]
    for item in pairs:
        item.feed(b"x")
        wait_readable(item.sock)
    readable, _, _ = ls.select([item.sock for item in reversed(pairs)], None, 1)
    assert readable == sorted((item.sock for item in pairs), key=lambda sock: sock._fd)


@pytest.mark.parametrize("timeout", [0, 0.0005, "0"])
def test_zero_timeout_reports_timeout(pair: TcpPair, timeout: object) -> None:
    """A zero wait that finds nothing is a timeout too (DIVERGENCES #16)."""
    result, took = timed(lambda: ls.select([pair.sock], None, timeout))
    assert result == ([], [], "timeout")
    assert took < 0.5


@pytest.mark.parametrize("forever", [None, -1, -0.0005, 1e300])
def test_nil_or_negative_timeout_waits_for_a_change(pair: TcpPair, forever: object) -> None:
    waiting = Background(lambda: ls.select([pair.sock], None, forever))
    time.sleep(0.2)  # the select must still be waiting after a while
    pair.feed(b"wake")
    assert waiting.join() == ([pair.sock], [], None)


def test_timeout_with_a_socket_that_stays_idle(pair: TcpPair) -> None:
    result, took = timed(lambda: ls.select([pair.sock], None, "0.2"))
    assert result == ([], [], "timeout")
    assert 0.18 <= took <= 1.5


def test_non_numeric_timeout_raises() -> None:
    with pytest.raises(ls.LuaError, match="number expected, got string"):
        ls.select(None, None, "soon")


def test_the_manual_broadcast_example_shape(pair: TcpPair, closer: Closer) -> None:
    """select on readers, then on writers with a timeout, as the manual's example does."""
    other = connected_pair(closer)
    pair.feed(b"hello\n")
    readable, _, err = ls.select([pair.sock, other.sock], None)
    assert (readable, err) == ([pair.sock], None)
    line, error = readable[0].receive()
    _, writable, err = ls.select(None, [pair.sock, other.sock], 1)
    assert len(writable) == 2 and err is None
    for sock in writable:
        assert sock.send(line, "\n") == (None, 6)
