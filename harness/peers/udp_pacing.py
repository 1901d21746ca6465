"""Pacing a UDP flood by the receiver's queue: how many datagrams to send now, how long to wait.

A loopback sender is never blocked: a datagram that finds the receiver's
queue full is dropped. So ``sendto`` with ``times`` and ``window`` looks at
the receiver's queue before each batch and sends only what fits. How well
that keeps a fast receiver busy depends on three things, each here:

* the look must be cheap (``QueueWatch``: one ``sock_diag`` request,
  ``udp_diag``, else a parse of ``/proc/net/udp``, ``udp_queue``);
* the room is bounded by the YAML ``window`` *and* by the receiver's real
  buffer (``SO_RCVBUF``, seen through ``sock_diag``; for ``/proc`` the
  system's default), so a window larger than the buffer loses nothing and
  a smaller one is honoured as written;
* the wait between looks adapts (``Pacer``): a receiver found idle after
  a wait means it was too long, one with no room yet that it was too
  short. A fixed wait either leaves a fast receiver idle (it drains a
  full queue in a fraction of a 0.2 ms sleep) or wastes the harness's
  CPU (and GIL) on a slow one. The thread's timer slack is cut while it
  paces (``fine_timer``), or every short wait would last 50 us more.

The numbers are the kernel's: ``queued`` is the memory the waiting
datagrams hold, each charged its length plus bookkeeping (Linux charges a
512-byte datagram on loopback 1280 bytes; ``DATAGRAM_OVERHEAD`` is a
generous estimate of that bookkeeping).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness.peers.udp_diag import ReceiveMemory, SocketDiag
from harness.peers.udp_queue import receive_queue

DATAGRAM_OVERHEAD = 1024
"""Bytes of kernel bookkeeping assumed per queued datagram."""
SHORTEST_WAIT = 0.00002
LONGEST_WAIT = 0.0002
"""Bounds of the wait between looks while the queue has no room (seconds)."""
LEAST_BATCH = 4
"""A batch waits for room for at least 1/LEAST_BATCH of what the queue holds: fewer, larger sends."""
RMEM_DEFAULT = Path("/proc/sys/net/core/rmem_default")
FALLBACK_LIMIT = 212992
"""The receive buffer assumed when neither sock_diag nor the sysctl can be read (Linux's default)."""


@dataclass
class Pacer:
    """Decides, from one look at the receiver's memory, what to send and how long to wait."""

    window: int  # the scenario's bound on bytes queued
    cost: int  # bytes one datagram is assumed to hold in the queue
    wait: float = field(default=LONGEST_WAIT)

    def capacity(self, memory: ReceiveMemory) -> int:
        """Bytes the queue may hold: the window, and never past the receiver's buffer.

        The kernel always takes one datagram into an empty queue, so a
        buffer smaller than one datagram still lets them through one by one.
        """
        return min(self.window, max(memory.limit, self.cost))

    def batch(self, memory: ReceiveMemory, left: int) -> int:
        """How many of the ``left`` datagrams to send now; 0: wait ``wait`` seconds and look again."""
        capacity = self.capacity(memory)
        fits = min(left, (capacity - memory.queued) // self.cost)
        least = min(left, max(1, capacity // self.cost // LEAST_BATCH))
        return fits if fits >= least else 0

    def learn(self, memory: ReceiveMemory, sent: int) -> None:
        """Adjust the wait by what the look after it found (``sent``: what that look allowed)."""
        if memory.queued == 0:
            self.wait = max(SHORTEST_WAIT, self.wait / 2)  # the receiver ran dry: waited too long
        elif not sent:
            self.wait = min(LONGEST_WAIT, self.wait * 1.5)  # still no room: waited too short


def default_limit() -> int:
    """The receive buffer of a socket that did not set one (``net.core.rmem_default``)."""
    try:
        return int(RMEM_DEFAULT.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return FALLBACK_LIMIT


class QueueWatch:
    """Looks at the receive memory of the IPv4 UDP socket at ``host``:``port``; ``close`` when done."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._diag = SocketDiag(host, port)
        self._limit: int | None = None

    def look(self) -> ReceiveMemory | None:
        """The memory now, by sock_diag where it answers, else from /proc/net/udp; None: not seen."""
        memory = self._diag.look()
        if memory is not None:
            return memory
        queued = receive_queue(self.host, self.port)
        if queued is None:
            return None
        if self._limit is None:
            self._limit = default_limit()
        return ReceiveMemory(queued, self._limit, 0)

    def close(self) -> None:
        self._diag.close()


_PR_SET_TIMERSLACK = 29
_PR_GET_TIMERSLACK = 30
FINE_SLACK_NS = 1000


def _prctl() -> object | None:
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl
    except (OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_int
    return function


@contextlib.contextmanager
def fine_timer() -> Iterator[None]:
    """Cut this thread's timer slack (Linux) for short waits; restored on the way out."""
    prctl = _prctl()
    kept = prctl(_PR_GET_TIMERSLACK, 0, 0, 0, 0) if prctl is not None else -1  # type: ignore[operator]
    if kept > 0:
        prctl(_PR_SET_TIMERSLACK, FINE_SLACK_NS, 0, 0, 0)  # type: ignore[misc,operator]
    try:
        yield
    finally:
        if kept > 0:
            prctl(_PR_SET_TIMERSLACK, kept, 0, 0, 0)  # type: ignore[misc,operator]
