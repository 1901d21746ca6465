"""How many bytes wait in another socket's UDP receive queue, read from ``/proc/net/udp``.

A UDP sender on loopback never blocks: when the receiver's queue is full the
kernel drops the datagram. A peer that floods a candidate with datagrams
(the perf workloads) must therefore pace itself by the candidate's own
reading. It asks the kernel through ``sock_diag`` first (``udp_diag``: far
cheaper, and it tells the receiver's buffer too); this table is the view
left where that is not available: ``rx_queue`` is the memory the queued
datagrams hold (their payload plus per-datagram bookkeeping).

Parsing is kept apart from reading so that it can be tested on fixed text.
Linux and IPv4 only; anything else is reported as "cannot see the queue".
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

PROC_UDP = Path("/proc/net/udp")
_ANY = "00000000"


def address_hex(host: str) -> str:
    """An IPv4 address as the table prints it: the 32-bit value in this machine's byte order."""
    return f"{int.from_bytes(socket.inet_aton(host), sys.byteorder):08X}"


def parse_queue(table: str, host: str, port: int) -> int | None:
    """``rx_queue`` of the socket bound to ``host``:``port`` (or to any address on ``port``).

    None when no such socket is listed. A socket bound to the exact address
    wins over a wildcard one, as the kernel's delivery would choose.
    """
    wanted_port = f"{port:04X}"
    exact = address_hex(host)
    wildcard: int | None = None
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or ":" not in fields[1] or ":" not in fields[4]:
            continue
        address, _, local_port = fields[1].partition(":")
        if local_port != wanted_port:
            continue
        queued = int(fields[4].partition(":")[2], 16)
        if address == exact:
            return queued
        if address == _ANY:
            wildcard = queued
    return wildcard


def receive_queue(host: str, port: int) -> int | None:
    """Bytes queued for the IPv4 UDP socket at ``host``:``port`` now, or None if it cannot be seen."""
    try:
        table = PROC_UDP.read_text(encoding="ascii")
        return parse_queue(table, host, port)
    except (OSError, ValueError):
        return None
