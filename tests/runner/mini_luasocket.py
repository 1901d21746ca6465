"""A deliberately small real-socket implementation of part of the API.

Enough of ``connect``/``bind``/``accept``/``receive``/``send``/``close`` to
run the runner, the in-process adapter and the scripted peers together over
loopback, independently of the reference implementation.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

__version__ = "0.1-mini"


class LuaError(Exception):
    pass


def _shut(sock: socket.socket) -> None:
    """Shut down before closing: that is what wakes a call blocked on the socket."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class TcpClient:
    kind = "tcp-client"

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def receive(self, pattern: Any = b"*l") -> tuple[Any, ...]:
        if pattern == b"*l":
            while b"\n" not in self._buffer:
                chunk = self._sock.recv(4096)
                if not chunk:
                    return None, "closed"
                self._buffer += chunk
            line, _, self._buffer = self._buffer.partition(b"\n")
            return (line.rstrip(b"\r"),)
        if isinstance(pattern, (int, float)):
            while len(self._buffer) < pattern:
                chunk = self._sock.recv(4096)
                if not chunk:
                    return None, "closed"
                self._buffer += chunk
            data, self._buffer = self._buffer[:int(pattern)], self._buffer[int(pattern):]
            return (data,)
        raise LuaError("bad argument #1 to 'receive' (invalid receive pattern)")

    def send(self, *data: bytes) -> tuple[Any, ...]:
        joined = b"".join(data)
        self._sock.sendall(joined)
        return (None,)

    def getsockname(self) -> tuple[str, int]:
        host, port = self._sock.getsockname()[:2]
        return host, port

    def close(self) -> tuple[()]:
        _shut(self._sock)
        return ()


class TcpServer:
    kind = "tcp-server"

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def accept(self) -> tuple[TcpClient]:
        conn, _ = self._sock.accept()
        return (TcpClient(conn),)

    def getsockname(self) -> tuple[str, int]:
        host, port = self._sock.getsockname()[:2]
        return host, port

    def close(self) -> tuple[()]:
        _shut(self._sock)
        return ()


def connect(host: Any, port: Any) -> tuple[Any, ...]:
    try:
        return (TcpClient(socket.create_connection((_text(host), int(port)), timeout=5)),)
    except OSError as error:
        return None, str(error)


def bind(host: Any, port: Any) -> tuple[Any, ...]:
    sock = socket.socket()
    sock.bind((_text(host), int(port)))
    sock.listen(1)
    return (TcpServer(sock),)


def close(sock: Any) -> tuple[()]:
    return sock.close()
