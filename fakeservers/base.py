"""What every fake server offers: lifecycle, address, transcript, received view.

The three servers differ in their protocol core and their ``ServingLoop``;
this base class only wires a loop into a ``ServerThread`` and exposes the
common surface the scenario runner relies on:

* ``start()`` / ``stop()`` and use as a context manager;
* ``host`` and ``port`` once started (the runner publishes them as
  ``PEER.host`` / ``PEER.port``);
* ``transcript``: the ``WireTranscript`` of everything on the wire;
* ``received``: the protocol's own view of what the client sent (SMTP
  envelopes, HTTP requests, FTP commands and stored files).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from fakeservers.events import WireTranscript
from fakeservers.thread import ServerThread, ServingLoop


class ServerStopError(RuntimeError):
    """The server thread did not end when asked to stop."""


class FakeServer(abc.ABC):
    kind: ClassVar[str] = ""

    def __init__(self, ready_timeout: float | None = None) -> None:
        self.transcript = WireTranscript()
        self._thread = ServerThread(self._make_loop(), name=f"lsconform-fake-{self.kind}",
                                    ready_timeout=ready_timeout)

    @abc.abstractmethod
    def _make_loop(self) -> ServingLoop:
        """The serving loop for this server's protocol."""

    @property
    @abc.abstractmethod
    def received(self) -> Any:
        """A snapshot of what clients sent, in this protocol's terms."""

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> FakeServer:
        """Bind and serve in a daemon thread; raises the bind error if there was one."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and socket and join the thread."""
        if not self._thread.stop():
            raise ServerStopError(f"{self._thread.name} did not stop within {self._thread.join_timeout:g}s")

    @property
    def running(self) -> bool:
        return self._thread.running

    @property
    def failure(self) -> BaseException | None:
        """What the serving loop raised, if it ended by an error rather than by ``stop``."""
        return self._thread.failure

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- address ------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        if self._thread.address is None:
            raise RuntimeError(f"the {self.kind} server has no address until it is started")
        return self._thread.address

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    def __repr__(self) -> str:
        where = f"{self.host}:{self.port}" if self._thread.address else "not started"
        return f"<{type(self).__name__} {where}>"
