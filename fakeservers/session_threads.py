"""The serving loop the sink engines share: a blocking accept and a thread per live connection.

Plain blocking sockets keep a session to a few system calls per command
with no event loop around them, which is the point of the sinks
(``fakeservers.smtp.sink_server``, ``fakeservers.ftp.sink_server``).
Sessions run on ``fakeservers.workers`` threads, reused from one session
to the next.
``shutdown`` wakes the blocked ``accept`` by shutting the listener down;
``close`` has the workers shut down every socket a live session holds
(which wakes a blocked ``accept``, ``recv`` or ``sendall``), then dismiss
and join their threads, so nothing outlives ``stop()``.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import socket
import threading

from fakeservers.events import WireTranscript
from fakeservers.workers import Release, Workers

JOIN_SECONDS = 3.0


class SessionThreads(abc.ABC):
    """A ``ServingLoop``: subclasses say where to listen and what one connection does."""

    thread_name = "lsconform-fake-session"

    def __init__(self, transcript: WireTranscript) -> None:
        self.transcript = transcript  # connections are recorded here as opened and closed
        self.listener: socket.socket | None = None
        self.stopping = threading.Event()
        self._workers = Workers(self.thread_name)

    @abc.abstractmethod
    def listen(self) -> socket.socket:
        """The listening socket."""

    @abc.abstractmethod
    def run_session(self, connection: int, sock: socket.socket, sockets: list[socket.socket]) -> str:
        """Serve one connection; return who ended it ("client", "server", "stop").

        ``sockets`` holds ``sock`` and must hold every other socket the
        session opens while it is open, so that ``close`` can wake it.
        """

    def bind(self) -> tuple[str, int]:
        self.listener = self.listen()
        return self.listener.getsockname()[:2]

    def serve(self) -> None:
        assert self.listener is not None
        while not self.stopping.is_set():
            try:
                sock, peer = self.listener.accept()
            except OSError:  # shut down by ``shutdown`` (or failed): stop serving
                if self.stopping.is_set():
                    return
                raise
            connection = self.transcript.new_connection()
            self.transcript.opened(connection, peer[:2])
            sockets = [sock]
            self._workers.submit(functools.partial(self._run, connection, sock, sockets), sockets)

    def _run(self, connection: int, sock: socket.socket, sockets: list[socket.socket],
             release: Release) -> None:
        by = "client"
        try:
            by = self.run_session(connection, sock, sockets)
        except OSError:
            by = "stop" if self.stopping.is_set() else "client"
        finally:
            sock.close()
            release()  # before the close is recorded: a client that sees it finds the thread idle
            self.transcript.closed(connection, by)

    def shutdown(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.close()
        self._workers.close(JOIN_SECONDS)
