"""Helpers for the reference's tests: peers, timing a call, running one in a thread.

A module of its own, not the conftest, because tests import these names and
``conftest`` is not a unique module name across the test tree.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import reference as ls

LOOPBACK = "127.0.0.1"


@dataclass
class TcpPair:
    """A reference client ``sock`` connected to a plain-socket ``peer``."""

    sock: ls.TcpClient
    peer: socket.socket

    def feed(self, data: bytes) -> None:
        self.peer.sendall(data)

    def hang_up(self) -> None:
        """The peer closes its end (the reference then sees "closed")."""
        self.peer.close()


@dataclass
class Closer:
    """Collects sockets (reference or plain) and closes them all at teardown."""

    items: list[Any] = field(default_factory=list)

    def __call__(self, item: Any) -> Any:
        self.items.append(item)
        return item

    def close_all(self) -> None:
        for item in reversed(self.items):
            item.close()


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The call's result and the wall time it took."""
    began = time.monotonic()
    result = call()
    return result, time.monotonic() - began


class Background:
    """Run one call in a thread; the test joins it with a deadline.

    Used where a call must block and another thread must end it (a close, a
    peer's data). ``join`` fails the test if the call is still running, so a
    hang is reported instead of freezing the run.
    """

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as error:  # handed to the test thread
            self.error = error

    def join(self, deadline: float = 5.0) -> Any:
        self._thread.join(deadline)
        assert not self._thread.is_alive(), f"call still blocked after {deadline} s"
        return self.result


def wait_until(condition: Callable[[], bool], deadline: float = 5.0) -> None:
    """Spin until ``condition()`` holds: for states that have no event to await."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.001)


def invoke(style: str, sock: Any, name: str, *args: Any) -> Any:
    """``sock:name(args)`` (style "method") or ``name(sock, args)`` ("global")."""
    if style == "method":
        return getattr(sock, name)(*args)
    return getattr(ls, name)(sock, *args)
