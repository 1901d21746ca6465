"""Datagrams many per system call: every copy arrives, segmented, with sendmmsg/recvmmsg or without them."""

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


class CountingSocket(socket.socket):
    """A socket that counts its ``sendmsg`` calls (the segmented sends)."""

    sendmsg_calls = 0

    def sendmsg(self, *args: object) -> int:  # type: ignore[override]
        type(self).sendmsg_calls += 1
        return super().sendmsg(*args)  # type: ignore[arg-type]


NO_SUCH_UDP_OPTION = 250
"""A UDP control message type the kernel does not know: it refuses the send (EINVAL) as it would
refuse segmentation, so the sender must fall back."""


@pytest.mark.parametrize("mode", ["segmented", "mmsg", "one-per-call"])
def test_copies_sent_are_all_read(receiver: socket.socket, monkeypatch: pytest.MonkeyPatch,
                                  mode: str) -> None:
    if mode != "segmented":
        monkeypatch.setattr(udp_batch, "UDP_SEGMENT", NO_SUCH_UDP_OPTION)
    if mode == "one-per-call":
        monkeypatch.setattr(udp_batch, "_sendmmsg", lambda: None)
        monkeypatch.setattr(udp_batch, "_recvmmsg", lambda: None)
    batched = mode != "one-per-call"
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


def test_a_segmented_send_gives_whole_datagrams_and_leaves_the_socket_as_it_was(
        receiver: socket.socket, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CountingSocket, "sendmsg_calls", 0)
    datagram = bytes(range(256)) * 8  # 2048 bytes: 31 copies fit one segmented send
    per_send = udp_batch.MAX_SEGMENTED // len(datagram)
    copies = per_send * 2 + 1
    with CountingSocket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        DatagramSender(sock, datagram, *receiver.getsockname()).send(copies)
        assert CountingSocket.sendmsg_calls == 2, "whole segmented sends, the odd copy sent alone"
        assert sock.getsockopt(socket.IPPROTO_UDP, udp_batch.UDP_SEGMENT) == 0
        sock.sendto(b"after", receiver.getsockname())
    received = [receiver.recv(65535) for _ in range(copies + 1)]
    assert received == [datagram] * copies + [b"after"]
