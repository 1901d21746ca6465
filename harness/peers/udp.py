"""A scripted UDP peer: bound before the steps run, sends and checks datagrams.

Option ``host`` (default 127.0.0.1); the port is ephemeral. ``recvfrom``
takes one datagram and checks its data (``expect``) and, if given, the
sender's port (``from-port``, usually a Ref to the candidate's port).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from harness.peers.base import (
    Action,
    PeerActionError,
    PeerTimeout,
    ScriptedPeer,
    as_host,
    as_port,
    check_datagram,
    family_for,
    show,
)
from harness.peers.udp_batch import DatagramSender
from harness.peers.udp_pacing import DATAGRAM_OVERHEAD, Pacer, QueueWatch, fine_timer

_MAX_DATAGRAM = 65535


class UdpPeer(ScriptedPeer):
    kind = "udp"

    def setup(self) -> None:
        self.host = str(self.spec.options.get("host", "127.0.0.1"))
        self.sock: socket.socket | None = self.track(socket.socket(family_for(self.host), socket.SOCK_DGRAM))
        self.sock.bind((self.host, 0))
        self.port = self.sock.getsockname()[1]

    def actions(self) -> dict[str, Action]:
        return {**super().actions(), "sendto": self.sendto, "recvfrom": self.recvfrom, "close": self.close}

    def _sock(self) -> socket.socket:
        if self.sock is None:
            raise PeerActionError("the peer's socket was closed")
        return self.sock

    def sendto(self, params: Mapping[str, Any]) -> None:
        data = self.value(params["data"])
        if not isinstance(data, bytes):
            raise PeerActionError(f"sendto data must be a string, got {data!r}")
        host = as_host(self.value(params["host"]))
        port = as_port(self.value(params["port"]))
        if "times" in params or "window" in params:
            self._send_many(data, host, port, int(params.get("times", 1)), params.get("window"))
            return
        self._sock().sendto(data, (host, port))
        self.note(f"sent {show(data)} to {host}:{port}")

    def _send_many(self, data: bytes, host: str, port: int, times: int, window: int | None) -> None:
        """``times`` copies of one datagram; with ``window``, never more than that many bytes queued.

        Without a window a fast sender simply overruns the receiver's queue
        and the kernel drops the excess; with one, the peer looks at the
        receiver's queue (``udp_pacing``) before each batch and sends only as
        many datagrams as fit below ``window`` and the receiver's own buffer
        (each costing its length plus ``DATAGRAM_OVERHEAD`` of kernel
        bookkeeping, a generous estimate), so every datagram arrives and the
        receiver's own speed sets the pace. Batches go out many datagrams per
        system call (``udp_batch``), so the peer outpaces any receiver.
        """
        sender = DatagramSender(self._sock(), data, host, port)
        if window is None:
            sender.send(times)
        elif self._paced(sender, host, port, times, Pacer(window, len(data) + DATAGRAM_OVERHEAD)):
            return
        self.note(f"sent {show(data)} x{times} to {host}:{port}")

    def _paced(self, sender: DatagramSender, host: str, port: int, times: int, pacer: Pacer) -> bool:
        """Send ``times`` datagrams as the receiver's queue makes room; True if stopped meanwhile."""
        watch = QueueWatch(host, port)
        sent = 0
        waited = False
        try:
            with fine_timer():
                while sent < times:
                    memory = watch.look()
                    if memory is None:
                        raise PeerActionError(f"cannot see the receive queue of {host}:{port} "
                                              "(sock_diag or /proc/net/udp, IPv4 only) to pace by")
                    batch = pacer.batch(memory, times - sent)
                    if waited:
                        pacer.learn(memory, batch)
                    waited = not batch
                    if batch:
                        sender.send(batch)
                        sent += batch
                    elif self.pause(pacer.wait):
                        return True
        finally:
            watch.close()
        return False

    def recvfrom(self, params: Mapping[str, Any]) -> None:
        timeout = self.context.timeout(params.get("timeout"))
        sock = self._sock()
        sock.settimeout(timeout)
        try:
            data, address = sock.recvfrom(_MAX_DATAGRAM)
        except TimeoutError:
            raise PeerTimeout(f"no datagram within {timeout:g}s") from None
        if self.stopping:
            return
        self.note(f"received {show(data)} from {address[0]}:{address[1]}")
        check_datagram(params, data, address[1], self.context.env)

    def close(self, params: Mapping[str, Any]) -> None:
        sock = self._sock()
        self.sock = None
        self.forget(sock)
        sock.close()
        self.note("closed the socket")
