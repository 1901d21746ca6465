"""A small Python candidate for the driver tests, served by ``drivers/python/driver.py``.

No network: its sockets are plain objects. ``hang`` blocks forever, which
only a killed process can end; ``chatter`` prints to stdout, which the driver
must keep off the protocol channel.
"""

from __future__ import annotations

import os
import threading
from typing import Any

__version__ = "0.0-drivermod"
CAPABILITIES = ("tcp", "fake")


class LuaError(Exception):
    """Misuse, as the reference signals it."""


class FakeSocket:
    closed_total = 0

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.closed = False

    def close(self) -> tuple[()]:
        if not self.closed:
            FakeSocket.closed_total += 1
        self.closed = True
        return ()

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 4242)


_kept: list[FakeSocket] = []


def echo(*args: Any) -> tuple[Any, ...]:
    return args


def server_name() -> tuple[bytes | None]:
    """SERVER_NAME as this process sees it now: what an implementation's HELO would send."""
    value = os.environ.get("SERVER_NAME")
    return (None if value is None else value.encode(),)


def typenames(*args: Any) -> tuple[str, ...]:
    return tuple(type(arg).__name__ for arg in args)


def socket_of(kind: bytes) -> tuple[FakeSocket]:
    sock = FakeSocket(kind.decode())
    _kept.append(sock)
    return (sock,)


def same_socket_twice() -> tuple[FakeSocket, list[FakeSocket]]:
    sock = FakeSocket("udp")
    _kept.append(sock)
    return sock, [sock]


def closed_total() -> int:
    return FakeSocket.closed_total


def misuse(*args: Any) -> None:
    raise LuaError("bad argument #1 to 'misuse' (invalid receive pattern)")


def broken(*args: Any) -> None:
    raise ZeroDivisionError("internal bug")


def strange() -> tuple[object]:
    return (object(),)


def nothing() -> None:
    return None


def single() -> str:
    return "one value"


def chatter() -> str:
    print("this line must not reach the protocol channel")
    return "said"


def hang() -> None:
    threading.Event().wait()


def apply(function: Any, *args: Any) -> tuple[Any, ...]:
    """Calls a callback the way a streaming function would, adding text of its own."""
    return function(*args, "from the candidate")


def apply_twice(function: Any) -> tuple[Any, ...]:
    first = function(b"one")
    second = function(b"two")
    return first + second


_countdown = {"left": 0}


def arm(count: int) -> None:
    _countdown["left"] = count


def tick() -> tuple[Any, Any]:
    """b"tick" until the armed count runs out, then an error code in position 2."""
    if _countdown["left"] <= 0:
        return b"", "closed"
    _countdown["left"] -= 1
    return b"tick", None
