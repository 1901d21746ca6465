"""Watching TCP on ``lo``: which connections exist and what their next sequence numbers are.

A raw peer injects RST or FIN segments into a connection that another peer
holds, and answers SYNs that a firewall rule keeps from the kernel. Both
need numbers only the wire knows: the next sequence number each end will
use, and the initial sequence number of a SYN. ``LoopbackSniffer`` reads
them from a packet socket on ``lo`` that a BPF program limits to the
scenario's own ports; ``FlowTable`` (pure, fed with parsed ``Segment``\\ s)
keeps the bookkeeping.

The packet socket is opened before the steps start and the kernel queues
every matching packet from then on, so nothing sent later can be missed:
reading is done on demand (``poll``), and waiting for a segment is a
``select`` on the socket, never a sleep.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from harness.peers import raw_bpf

Address = tuple[str, int]
T = TypeVar("T")

_ETH_P_ALL = 0x0003
_ETH_HEADER = 14
_RECEIVE_BUFFER = 4 << 20
_FIN, _SYN, _RST, _ACK = 0x01, 0x02, 0x04, 0x10
_MOD = 1 << 32


@dataclass(frozen=True)
class Segment:
    """The header facts of one TCP segment seen on the wire."""

    source: Address
    destination: Address
    seq: int
    ack: int
    flags: int
    length: int  # payload bytes

    @property
    def syn(self) -> bool:
        return bool(self.flags & _SYN)

    @property
    def has_ack(self) -> bool:
        return bool(self.flags & _ACK)

    @property
    def end(self) -> int:
        """The sequence number right after this segment (SYN and FIN count one each)."""
        control = (1 if self.flags & _SYN else 0) + (1 if self.flags & _FIN else 0)
        return (self.seq + self.length + control) % _MOD


def parse_frame(frame: bytes) -> Segment | None:
    """A ``Segment`` from an Ethernet-framed IPv4 TCP packet (``lo`` frames), else None."""
    if len(frame) < _ETH_HEADER + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[_ETH_HEADER:]
    if ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
        return None
    header = (ip[0] & 0x0F) * 4
    (total,) = struct.unpack_from(">H", ip, 2)
    if len(ip) < header + 20:
        return None
    sport, dport, seq, ack, offset_byte, flags = struct.unpack_from(">HHIIBB", ip, header)
    payload = total - header - (offset_byte >> 4) * 4
    source = (socket.inet_ntoa(ip[12:16]), sport)
    destination = (socket.inet_ntoa(ip[16:20]), dport)
    return Segment(source, destination, seq, ack, flags, max(payload, 0))


def _later(a: int, b: int) -> bool:
    """True if sequence number ``a`` comes after ``b`` (RFC 1982 serial arithmetic)."""
    return 0 < (a - b) % _MOD < (1 << 31)


@dataclass
class Connection:
    """One TCP connection, seen from the end a peer holds (``near``)."""

    near: Address
    far: Address
    next_seq: dict[Address, int] = field(default_factory=dict)
    acked: dict[Address, int] = field(default_factory=dict)
    reset: bool = False

    def note(self, segment: Segment) -> None:
        if segment.flags & _RST:
            self.reset = True
            return
        known = self.next_seq.get(segment.source)
        if known is None or _later(segment.end, known):
            self.next_seq[segment.source] = segment.end
        if segment.has_ack:
            last = self.acked.get(segment.source)
            if last is None or _later(segment.ack, last):
                self.acked[segment.source] = segment.ack

    def next_from(self, end: Address) -> int | None:
        """The sequence number ``end`` sends next (what the other end expects)."""
        return self.next_seq.get(end)


class FlowTable:
    """Connections and SYNs involving a set of watched ports (pure bookkeeping)."""

    def __init__(self) -> None:
        self._connections: dict[frozenset[Address], Connection] = {}
        self.syns: list[Segment] = []

    def add(self, segment: Segment) -> None:
        if segment.syn and not segment.has_ack:
            self.syns.append(segment)
        key = frozenset((segment.source, segment.destination))
        connection = self._connections.get(key)
        if connection is None or (segment.syn and not segment.has_ack and connection.reset):
            # A new connection (or a port pair reused after a reset): start afresh.
            connection = Connection(near=segment.destination, far=segment.source)
            self._connections.pop(key, None)
            self._connections[key] = connection
        connection.note(segment)

    def latest(self, port: int) -> Connection | None:
        """The most recent connection with one end on ``port``, seen from that end."""
        for connection in reversed(self._connections.values()):
            for near, far in ((connection.near, connection.far), (connection.far, connection.near)):
                if near[1] == port:
                    return Connection(near, far, connection.next_seq, connection.acked, connection.reset)
        return None

    def acked(self, sender: Address, receiver: Address) -> int | None:
        """The highest acknowledgement ``sender`` has sent ``receiver``."""
        connection = self._connections.get(frozenset((sender, receiver)))
        return None if connection is None else connection.acked.get(sender)

    def last_syn_to(self, address: Address) -> Segment | None:
        for segment in reversed(self.syns):
            if segment.destination == address:
                return segment
        return None


class LoopbackSniffer:
    """A filtered packet socket on ``lo`` feeding a ``FlowTable``."""

    def __init__(self, ports: Iterable[int], interface: str = "lo") -> None:
        self.ports = sorted(set(ports))
        self.table = FlowTable()
        # Protocol 0 receives nothing, so no unfiltered packet can slip in
        # between creating the socket and attaching the filter.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            raw_bpf.attach(sock, raw_bpf.tcp_ports_program(self.ports))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
            sock.bind((interface, _ETH_P_ALL))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock: socket.socket | None = sock

    def poll(self) -> list[Segment]:
        """Read every frame queued so far into the table; return the new segments."""
        found = []
        while self.sock is not None:
            try:
                frame = self.sock.recv(65536)
            except (BlockingIOError, OSError):
                break  # nothing queued, or closed by stop()
            segment = parse_frame(frame)
            if segment is not None:
                self.table.add(segment)
                found.append(segment)
        return found

    def wait_for(self, find: Callable[[FlowTable], T | None], timeout: float,
                 stopped: Callable[[], bool] = lambda: False) -> T | None:
        """``find(table)`` once it gives a value, or None after ``timeout``/when stopped."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            result = find(self.table)
            remaining = deadline - time.monotonic()
            if result is not None or remaining <= 0 or stopped() or self.sock is None:
                return result
            # Bounded slices so that a stop request is noticed promptly.
            try:
                select.select([self.sock], [], [], min(remaining, 0.05))
            except (OSError, ValueError):  # closed by stop() meanwhile
                return result

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()
