"""Another UDP socket's receive memory, asked of the kernel through ``sock_diag`` netlink.

A peer that floods a candidate with datagrams paces itself by the
candidate's receive queue (see ``udp.py``). ``/proc/net/udp`` shows that
queue but costs a read and a parse of the whole table at each look (tens of
microseconds, while a fast receiver drains a hundred datagrams), and it
does not show how big the receiver's buffer is. One ``SOCK_DIAG_BY_FAMILY``
request for the exact socket answers in a few microseconds with the
kernel's own memory counters (``INET_DIAG_SKMEMINFO``): the bytes queued,
the receive buffer (``SO_RCVBUF`` as the kernel holds it) and the drops.

Building the request and parsing the reply are kept apart from the socket
so that both can be tested on fixed bytes. Linux and IPv4 only; where the
kernel has no UDP diag (or the socket is not found) ``SocketDiag.look``
says None and the caller falls back to ``udp_queue``.
"""

from __future__ import annotations

import errno
import socket
import struct
from dataclasses import dataclass

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLMSG_ERROR = 2
INET_DIAG_SKMEMINFO = 7
ALL_STATES = 0xFFFFFFFF
NO_COOKIE = 0xFFFFFFFF
_HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBxI")  # struct inet_diag_req_v2 up to its socket id
_DIAG_MSG_SIZE = 72  # struct inet_diag_msg
_ATTRIBUTE = struct.Struct("=HH")  # struct rtattr: length, type
# Indices into the SKMEMINFO array (enum sk_meminfo_vars).
_RMEM_ALLOC, _RCVBUF, _DROPS = 0, 1, 8


class DiagError(Exception):
    """The kernel answered something this module cannot read."""


@dataclass(frozen=True)
class ReceiveMemory:
    """A UDP socket's receive side as the kernel counts it, in bytes (``drops``: datagrams)."""

    queued: int  # memory the waiting datagrams hold: payload plus per-datagram bookkeeping
    limit: int  # the receive buffer: past it the kernel drops what arrives
    drops: int


def build_request(host: str, port: int, sequence: int) -> bytes:
    """A request for the IPv4 UDP socket bound to ``host``:``port`` (or to any address on ``port``).

    The kernel looks a UDP socket up as it delivers a datagram: for
    historical reasons the request's *destination* is the local end
    (``idiag_dst``/``idiag_dport``), the source (zero here) the remote one.
    """
    local = socket.inet_aton(host) + bytes(12)
    socket_id = (struct.pack("!HH", 0, port) + bytes(16) + local
                 + struct.pack("=III", 0, NO_COOKIE, NO_COOKIE))
    body = _REQUEST.pack(socket.AF_INET, socket.IPPROTO_UDP, 1 << (INET_DIAG_SKMEMINFO - 1),
                         ALL_STATES) + socket_id
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, sequence, 0) + body


def parse_reply(data: bytes) -> ReceiveMemory | None:
    """The memory counters in a reply to ``build_request``; None when no such socket exists.

    Raises ``DiagError`` for any other kernel error or a reply without the
    counters (a kernel too old to report them).
    """
    if len(data) < _HEADER.size:
        raise DiagError(f"a netlink reply of {len(data)} bytes")
    length, kind, _, _, _ = _HEADER.unpack_from(data)
    if kind == NLMSG_ERROR:
        (code,) = struct.unpack_from("=i", data, _HEADER.size)
        if -code == errno.ENOENT:
            return None
        raise DiagError(f"sock_diag: {errno.errorcode.get(-code, -code)}")
    if kind != SOCK_DIAG_BY_FAMILY:
        raise DiagError(f"an unexpected netlink message of type {kind}")
    offset = _HEADER.size + _DIAG_MSG_SIZE
    end = min(length, len(data))
    while offset + _ATTRIBUTE.size <= end:
        size, attribute = _ATTRIBUTE.unpack_from(data, offset)
        if size < _ATTRIBUTE.size:
            break
        if attribute == INET_DIAG_SKMEMINFO and size >= _ATTRIBUTE.size + 4 * (_DROPS + 1):
            values = struct.unpack_from(f"={_DROPS + 1}I", data, offset + _ATTRIBUTE.size)
            return ReceiveMemory(values[_RMEM_ALLOC], values[_RCVBUF], values[_DROPS])
        offset += (size + 3) & ~3
    raise DiagError("the sock_diag reply has no memory counters")


class SocketDiag:
    """One netlink socket to ask about one UDP address, again and again; ``close`` when done."""

    def __init__(self, host: str, port: int) -> None:
        self._request = build_request(host, port, 1)
        self._sock: socket.socket | None = None
        try:
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
        except (OSError, AttributeError):  # no netlink here: the caller falls back
            self._sock = None

    def look(self) -> ReceiveMemory | None:
        """The socket's memory now; None if it cannot be seen this way."""
        if self._sock is None:
            return None
        try:
            self._sock.send(self._request)
            return parse_reply(self._sock.recv(8192))
        except (OSError, DiagError):
            self.close()
            return None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
