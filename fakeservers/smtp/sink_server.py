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
        """Answer, then record: the client waits only for the replies.

        Recording a chunk's events costs more Python than answering it, so
        the replies go out first and the events (received, commands,
        replies, in that order) are recorded while the client reads them and
        writes its next command. A check settles on the session's close,
        which is recorded last (``SessionThreads``).
        """
        transcript = self.transcript
        commands: list[bytes] = []
        session = SinkSession(connection, self.server.config.hostname, self._record,
                              on_command=commands.append)
        greeting = session.greeting()
        sock.sendall(greeting)
        transcript.reply(connection, greeting)
        while not session.closed:
            data = sock.recv(RECV_SIZE)
            if not data or self.stopping.is_set():
                return "stop" if self.stopping.is_set() else "client"
            replies = session.receive(data)
            try:
                if replies:
                    sock.sendall(replies)
            finally:  # what could not be answered was still received
                transcript.received(connection, data)
                for line in commands:
                    transcript.command(connection, line)
                commands.clear()
            if replies:
                transcript.reply(connection, replies)
        return "server"

    def _record(self, envelope: MailEnvelope) -> None:
        with self.server._lock:
            self.server._state.envelopes.append(envelope)
