"""A tiny stand-in for a Python implementation of the API, for adapter tests.

No network: its "sockets" are plain objects whose blocking calls wait on an
event that ``close`` sets, which is the contract the reference gives (closing
a socket from another thread wakes a call blocked on it).
"""

from __future__ import annotations

import threading
from typing import Any

__version__ = "0.0-fake"
CAPABILITIES = ("fake",)


class LuaError(Exception):
    """Raised for misuse, as the reference does."""


class FakeSocket:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.closed = threading.Event()
        self.close_count = 0

    def close(self) -> tuple[()]:
        self.close_count += 1
        self.closed.set()
        return ()

    def receive(self, *patterns: Any) -> tuple[Any, ...]:
        """Blocks until the socket is closed, then reports it like LuaSocket."""
        self.closed.wait()
        return (None, "closed")

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 4242)


def echo(*args: Any) -> tuple[Any, ...]:
    """Returns its arguments (as the candidate received them)."""
    return args


def typenames(*args: Any) -> tuple[str, ...]:
    """The Python type of each argument, to observe the conversion."""
    return tuple(type(arg).__name__ for arg in args)


def socket_of(kind: str) -> tuple[FakeSocket]:
    return (FakeSocket(kind.decode() if isinstance(kind, bytes) else kind),)


_kept: list[FakeSocket] = []


def same_socket_twice() -> tuple[FakeSocket, list[FakeSocket]]:
    sock = FakeSocket("udp")
    _kept.append(sock)
    return sock, [sock]


def receive(sock: FakeSocket, *patterns: Any) -> tuple[Any, ...]:
    return sock.receive(*patterns)


def misuse(*args: Any) -> tuple[()]:
    raise LuaError("bad argument #1 to 'misuse' (invalid receive pattern)")


def broken(*args: Any) -> tuple[()]:
    raise ZeroDivisionError("internal bug")


def strange() -> tuple[object]:
    return (object(),)


def nothing() -> None:
    return None


def single() -> str:
    return "one value"


def apply(function: Any, *args: Any) -> tuple[Any, ...]:
    """Calls a callback the way a streaming function would, adding text of its own."""
    return function(*args, "from the candidate")
