"""How many bytes a TCP socket has received but its owner not yet read (``/proc/net/tcp``).

"The candidate is now blocked inside its receive" is an event a scenario
needs (to inject a RST or the rest of a line at that moment) but no socket
call reveals. The kernel does: once a receiving program has taken every
byte delivered so far, its socket's receive queue is empty. A pattern such
as ``"*l"`` cannot return before it sees the end of the line, so an empty
queue while the line is still unfinished means the call is waiting.

Reading the table is done here; parsing it is a pure function.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

Address = tuple[str, int]

PROC_TCP = "/proc/net/tcp"


def _address(text: str) -> Address:
    """``0100007F:1F90`` -> ``("127.0.0.1", 8080)``; the address is in host byte order."""
    host, port = text.split(":")
    return socket.inet_ntoa(struct.pack("=I", int(host, 16))), int(port, 16)


def receive_queues(table: str) -> dict[tuple[Address, Address], int]:
    """(local, remote) -> unread bytes, for every socket listed in ``table``."""
    queues = {}
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5:
            continue
        _tx, rx = fields[4].split(":")
        queues[(_address(fields[1]), _address(fields[2]))] = int(rx, 16)
    return queues


def unread_bytes(local: Address, remote: Address,
                 read_table: Callable[[], str] | None = None) -> int | None:
    """Unread bytes of the socket ``local`` connected to ``remote``; None if there is none."""
    text = read_table() if read_table is not None else _read_proc()
    return receive_queues(text).get((local, remote))


def _read_proc() -> str:
    with open(PROC_TCP, encoding="ascii") as table:
        return table.read()
