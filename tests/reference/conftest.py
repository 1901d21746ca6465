"""Fixtures for the reference's own tests: loopback peers that always clean up.

The peer side is a plain Python socket, never the reference itself, so a
test of ``receive`` does not depend on ``send`` being right. Every socket a
fixture hands out is closed at teardown, whatever the test did.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from ref_support import LOOPBACK, Closer, TcpPair

import reference as ls


@pytest.fixture
def closer() -> Iterator[Closer]:
    keeper = Closer()
    yield keeper
    keeper.close_all()


@pytest.fixture
def listener(closer: Closer) -> socket.socket:
    """A plain listening socket on loopback, ephemeral port."""
    return closer(socket.create_server((LOOPBACK, 0)))


@pytest.fixture
def pair(listener: socket.socket, closer: Closer) -> TcpPair:
    """A reference client connected (with ``connect``) to a plain peer."""
    result = ls.connect(*listener.getsockname())
    assert len(result) == 1, result
    sock = closer(result[0])
    peer, _ = listener.accept()
    closer(peer)
    return TcpPair(sock, peer)


@pytest.fixture
def server(closer: Closer) -> ls.TcpServer:
    """A reference server socket on loopback, ephemeral port."""
    result = ls.bind(LOOPBACK, 0)
    assert len(result) == 1, result
    return closer(result[0])


@pytest.fixture
def udp(closer: Closer) -> ls.UdpSocket:
    """A reference UDP socket bound to loopback, ephemeral port."""
    sock = closer(ls.udpsocket()[0])
    assert sock.setsockname(LOOPBACK, 0) == (None,)
    return sock


@pytest.fixture
def udp_peer(closer: Closer) -> socket.socket:
    """A plain UDP socket bound to loopback, ephemeral port."""
    peer = closer(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    peer.bind((LOOPBACK, 0))
    peer.settimeout(5)
    return peer


@pytest.fixture
def free_port() -> int:
    """A port nobody listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["method", "global"])
def style(request: pytest.FixtureRequest) -> str:
    """Both call styles the manual describes; results must be the same."""
    return str(request.param)
