"""The socket side of the SMTP ``sink: true`` engine: a thread per session (``session_threads``).

Why a sink exists is in ``sink_protocol``; this module only moves bytes
between a blocking socket and a ``SinkSession`` and records them.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from fakeservers.addresses import bind_configured
from fakeservers.session_threads import SessionThreads
from fakeservers.smtp.protocol import MailEnvelope
from fakeservers.smtp.sink_protocol import SinkSession

if TYPE_CHECKING:
    from fakeservers.smtp.server import SmtpServer

RECV_SIZE = 65536


class SinkLoop(SessionThreads):
    """The ``ServingLoop`` of an SMTP server configured with ``sink: true``."""

    thread_name = "lsconform-fake-smtp-sink"

    def __init__(self, server: SmtpServer) -> None:
        super().__init__(server.transcript)
        self.server = server

    def listen(self) -> socket.socket:
        config = self.server.config
        return bind_configured(config.host, config.port)

    def run_session(self, connection: int, sock: socket.socket, sockets: list[socket.socket]) -> str:
        transcript = self.transcript
        session = SinkSession(connection, self.server.config.hostname, self._record,
                              on_command=lambda line: transcript.command(connection, line))
        self._send(sock, connection, session.greeting())
        while not session.closed:
            data = sock.recv(RECV_SIZE)
            if not data or self.stopping.is_set():
                return "stop" if self.stopping.is_set() else "client"
            transcript.received(connection, data)
            replies = session.receive(data)
            if replies:
                self._send(sock, connection, replies)
        return "server"

    def _record(self, envelope: MailEnvelope) -> None:
        with self.server._lock:
            self.server._state.envelopes.append(envelope)

    def _send(self, sock: socket.socket, connection: int, data: bytes) -> None:
        self.transcript.reply(connection, data)
        sock.sendall(data)
