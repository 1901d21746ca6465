"""Run one server loop in a daemon thread, with a ready handshake and a clean stop.

Each fake server is a protocol core plus a ``ServingLoop``: an object that
knows how to bind, serve and shut down, and nothing about threads. The one
``ServerThread`` here does the threading for all of them (composition rather
than a base class per concurrency model):

* ``start()`` runs ``bind()`` *inside* the thread (so a loop that must create
  its sockets and event loop in the thread that uses them can), waits on a
  ready event for ``ready_timeout`` seconds, and re-raises in the caller's
  thread whatever ``bind()`` raised (typically ``OSError: address in use``
  or a permission error for port 25). Then ``serve()`` runs until shut down.
* ``stop()`` asks the loop to ``shutdown()`` from the caller's thread, joins,
  and the thread itself calls ``close()`` on its way out, so resources are
  released by the thread that owns them.

``LSCONFORM_SERVER_READY_TIMEOUT`` (seconds) overrides the default ready
timeout on slow machines.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol


def _default_ready_timeout() -> float:
    return float(os.environ.get("LSCONFORM_SERVER_READY_TIMEOUT", "5"))


class ServingLoop(Protocol):
    """What a server core provides to be run by ``ServerThread``."""

    def bind(self) -> tuple[str, int]:
        """Open the listening socket(s); return the bound (host, port). Runs in the server thread."""

    def serve(self) -> None:
        """Serve until ``shutdown`` is called. Runs in the server thread."""

    def shutdown(self) -> None:
        """Make ``serve`` return soon. Called from another thread, possibly before ``serve`` started."""

    def close(self) -> None:
        """Release every socket, thread and file. Runs in the server thread, also after a failed bind."""


class ServerNotReady(RuntimeError):
    """The loop did not bind within the ready timeout."""


class ServerThread:
    """Owns the thread that runs one ``ServingLoop``; usable as a context manager."""

    def __init__(self, loop: ServingLoop, name: str, ready_timeout: float | None = None,
                 join_timeout: float = 5.0) -> None:
        self._loop = loop
        self.name = name
        self.ready_timeout = _default_ready_timeout() if ready_timeout is None else ready_timeout
        self.join_timeout = join_timeout
        self.address: tuple[str, int] | None = None
        self.failure: BaseException | None = None  # what serve() raised, if anything
        self._ready = threading.Event()
        self._bind_error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> tuple[str, int]:
        """Bind and start serving; returns the bound address or raises the bind error."""
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was already started")
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        if not self._ready.wait(self.ready_timeout):
            # Ask for a shutdown without waiting: a bind that finishes late then serves no one.
            self._loop.shutdown()
            raise ServerNotReady(f"{self.name} did not bind within {self.ready_timeout:g}s")
        if self._bind_error is not None:
            self._thread.join(self.join_timeout)
            raise self._bind_error
        assert self.address is not None
        return self.address

    def stop(self) -> bool:
        """Shut the loop down and join the thread; True if it ended within ``join_timeout``."""
        thread = self._thread
        if thread is None:
            return True
        if thread.is_alive():
            self._loop.shutdown()
            thread.join(self.join_timeout)
        return not thread.is_alive()

    def _run(self) -> None:
        try:
            self.address = self._loop.bind()
        except BaseException as error:  # re-raised by start() in the caller's thread
            self._bind_error = error
            self._loop.close()
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.serve()
        except BaseException as error:  # kept for the owner to inspect; the thread must still clean up
            self.failure = error
        finally:
            self._loop.close()

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
