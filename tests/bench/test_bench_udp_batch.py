"""Datagrams many per system call: every copy arrives, with sendmmsg/recvmmsg or without them."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from harness.peers import udp_batch
from harness.peers.udp_batch import BATCH, DatagramReader, DatagramSender


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 200_000))
    sock.bind(("127.0.0.1", 0))
    with sock:
        yield sock


@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "one-per-call"])
def test_copies_sent_are_all_read(receiver: socket.socket, monkeypatch: pytest.MonkeyPatch,
                                  batched: bool) -> None:
    if not batched:
        monkeypatch.setattr(udp_batch, "_sendmmsg", lambda: None)
        monkeypatch.setattr(udp_batch, "_recvmmsg", lambda: None)
    copies = BATCH * 2 + 7
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        DatagramSender(sock, b"datagram", *receiver.getsockname()).send(copies)
    reader = DatagramReader(receiver)
    counts = []
    while count := reader.read():
        counts.append(count)
    assert sum(counts) == copies
    assert max(counts) <= BATCH
    if batched:
        assert max(counts) > 1, "recvmmsg takes every waiting datagram at once"
    else:
        assert set(counts) == {1}


def test_a_read_with_nothing_waiting_times_out_as_zero(receiver: socket.socket) -> None:
    assert DatagramReader(receiver).read() == 0
