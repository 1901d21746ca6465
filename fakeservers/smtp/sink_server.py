"""The socket side of ``sink: true``: a blocking accept loop and a thread per session.

Why a sink exists is in ``sink_protocol``. Plain blocking sockets and one
thread per connection keep a session to a few system calls per command,
with no event loop around them. ``shutdown`` wakes the blocked ``accept``
by shutting the listener down; ``close`` shuts every live session's socket
down (which wakes its blocked ``recv``) and joins the threads, so nothing
outlives ``stop()``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING

from fakeservers.addresses import bind_configured
from fakeservers.smtp.protocol import MailEnvelope
from fakeservers.smtp.sink_protocol import SinkSession

if TYPE_CHECKING:
    from fakeservers.smtp.server import SmtpServer

RECV_SIZE = 65536
JOIN_SECONDS = 3.0


class SinkLoop:
    """The ``ServingLoop`` of an SMTP server configured with ``sink: true``."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.transcript = server.transcript
        self.listener: socket.socket | None = None
        self.stopping = threading.Event()
        self.live: dict[int, tuple[threading.Thread, socket.socket]] = {}
        self.live_lock = threading.Lock()

    def bind(self) -> tuple[str, int]:
        config = self.server.config
        self.listener = bind_configured(config.host, config.port)
        return self.listener.getsockname()[:2]

    def serve(self) -> None:
        assert self.listener is not None
        while not self.stopping.is_set():
            try:
                sock, peer = self.listener.accept()
            except OSError:  # the listener was shut down by ``shutdown`` (or failed): stop serving
                if self.stopping.is_set():
                    return
                raise
            self._start_session(sock, peer[:2])

    def _start_session(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        connection = self.transcript.new_connection()
        self.transcript.opened(connection, peer)
        session = SinkSession(connection, self.server.config.hostname, self._record,
                              on_command=lambda line: self.transcript.command(connection, line))
        thread = threading.Thread(target=self._run_session, args=(session, sock),
                                  name=f"lsconform-fake-smtp-sink-{connection}", daemon=True)
        with self.live_lock:
            self.live[connection] = (thread, sock)
        thread.start()

    def _record(self, envelope: MailEnvelope) -> None:
        with self.server._lock:
            self.server._state.envelopes.append(envelope)

    def _run_session(self, session: SinkSession, sock: socket.socket) -> None:
        connection = session.connection
        by = "client"
        try:
            self._send(sock, connection, session.greeting())
            while not session.closed:
                data = sock.recv(RECV_SIZE)
                if not data or self.stopping.is_set():
                    by = "stop" if self.stopping.is_set() else "client"
                    return
                self.transcript.received(connection, data)
                replies = session.receive(data)
                if replies:
                    self._send(sock, connection, replies)
            by = "server"
        except OSError:
            by = "stop" if self.stopping.is_set() else "client"
        finally:
            with self.live_lock:
                self.live.pop(connection, None)
            sock.close()
            self.transcript.closed(connection, by)

    def _send(self, sock: socket.socket, connection: int, data: bytes) -> None:
        self.transcript.reply(connection, data)
        sock.sendall(data)

    def shutdown(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.close()
        with self.live_lock:
            live = list(self.live.values())
        for _, sock in live:
            with contextlib.suppress(OSError):  # wakes a session blocked in recv or sendall
                sock.shutdown(socket.SHUT_RDWR)
        for thread, _ in live:
            thread.join(JOIN_SECONDS)
