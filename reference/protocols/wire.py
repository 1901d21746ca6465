"""The protocol clients' only contact with the network: the reference's own TCP API.

Like the 2001 modules, which were Lua code on top of the C core, the clients
use the transport the manual describes (``connect``, ``timeout``, ``send``,
``receive`` with its patterns, ``close``) and nothing else; a measurement of
1 GiB transfers (``benchmarks/protocols.py``) showed that this is fast enough
and keeps memory bounded, so no private socket path exists.

:class:`Connection` turns the transport's returned conditions into
:class:`CallFailed` (``"closed"``, ``"timeout"``, or the connect message),
so that the protocol code reads as straight-line steps and the public
functions convert failures to return values in one place.
"""

from __future__ import annotations

from reference.errors import CLOSED
from reference.protocols.errors import CallFailed
from reference.tcp import TcpClient, connect


class Connection:
    """One TCP connection with a per-wait limit (the transport's "b" mode)."""

    def __init__(self, sock: TcpClient) -> None:
        self._sock = sock

    @classmethod
    def open(cls, host: str, port: int, wait_limit: float | None) -> Connection:
        """Connect (no limit on the connect itself, as in 1.3b) and set the wait limit."""
        result = connect(host, port)
        if result[0] is None:
            raise CallFailed(str(result[1]))
        sock = result[0]
        if wait_limit is not None:
            sock.timeout(wait_limit)
        return cls(sock)

    def send(self, data: bytes) -> None:
        error, _sent = self._sock.send(data)
        if error is not None:
            raise CallFailed(error)

    def line(self) -> bytes:
        """One line without its LF (and a CR before it): the ``*l`` pattern."""
        value, error = self._sock.receive("*l")
        if error is not None:
            raise CallFailed(error)
        return value  # type: ignore[no-any-return]

    def raw_line(self) -> tuple[bytes, str | None]:
        """One line with its LF kept, or what arrived before the failure and why."""
        value, error = self._sock.receive("*lu")
        if error is None:
            return value + b"\n", None
        return value or b"", error

    def read(self, count: int) -> tuple[bytes, str | None]:
        """Up to ``count`` bytes: all of them, or fewer and the reason (e.g. "closed")."""
        value, error = self._sock.receive(count)
        return value or b"", error

    def read_until_close(self, count: int) -> bytes | None:
        """The next block of a stream that ends at close: None once it ended.

        A block cut short by the close is returned first; other failures raise.
        """
        value, error = self._sock.receive(count)
        if error is None:
            return value  # type: ignore[no-any-return]
        if error != CLOSED:
            raise CallFailed(error)
        return value or None

    def peer_ip(self) -> str | None:
        ip = self._sock.getpeername()[0]
        return None if ip is None else str(ip)

    def close(self) -> None:
        self._sock.close()
