"""The fake SMTP server: aiosmtpd sessions on an asyncio loop in the server thread.

(With ``sink: true`` the lean engine of ``sink_server`` serves instead.)

The listening socket is bound by us (not by ``create_server``) so that
``host: auto`` can retry random loopback addresses on port 25; the event
loop is created, run and closed in the server thread. Stopping closes the
listener and every session's transport, cancels what is still running
(delays, stalls, half-read commands) and closes the loop, so nothing
survives ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Mapping
from typing import Any

from fakeservers.addresses import bind_configured
from fakeservers.base import FakeServer
from fakeservers.smtp.config import SmtpConfig, read_smtp_config
from fakeservers.smtp.protocol import MailEnvelope, RecordingHandler, ScriptedSMTP, SmtpState
from fakeservers.smtp.sink_server import SinkLoop
from fakeservers.thread import ServingLoop


class SmtpServer(FakeServer):
    """A scriptable SMTP server (see ``fakeservers.smtp.config`` for the options)."""

    kind = "smtp"

    def __init__(self, config: SmtpConfig | None = None, ready_timeout: float | None = None) -> None:
        self.config = config or SmtpConfig()
        self._lock = threading.Lock()
        super().__init__(ready_timeout)
        self._state = SmtpState(self.config, self.transcript)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None, prefix: str = "") -> SmtpServer:
        return cls(read_smtp_config(raw, prefix))

    def _make_loop(self) -> ServingLoop:
        return SinkLoop(self) if self.config.sink else _AsyncioLoop(self)

    @property
    def received(self) -> list[MailEnvelope]:
        """Every message that reached the end of DATA, in order."""
        with self._lock:
            return list(self._state.envelopes)


class _AsyncioLoop:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listener: socket.socket | None = None
        self.asyncio_server: asyncio.AbstractServer | None = None
        self.stop_requested = threading.Event()

    def bind(self) -> tuple[str, int]:
        config = self.server.config
        self.listener = bind_configured(config.host, config.port)
        state = self.server._state
        handler = RecordingHandler(state, self.server._lock)
        loop = self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ScriptedSMTP(handler, state, loop)  # build one session now: a setup error shows in start()
        self.asyncio_server = loop.run_until_complete(
            loop.create_server(lambda: ScriptedSMTP(handler, state, loop), sock=self.listener))
        return self.listener.getsockname()[:2]

    def serve(self) -> None:
        assert self.loop is not None
        if not self.stop_requested.is_set():
            self.loop.run_forever()

    def shutdown(self) -> None:
        self.stop_requested.set()
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop was already closed
                loop.call_soon_threadsafe(loop.stop)

    def close(self) -> None:
        state = self.server._state
        state.stopping = True
        loop = self.loop
        if loop is None or loop.is_closed():
            if self.listener is not None:
                self.listener.close()
            return
        try:
            loop.run_until_complete(self._wind_down(state))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            asyncio.set_event_loop(None)
            if self.listener is not None:
                self.listener.close()

    async def _wind_down(self, state: SmtpState) -> None:
        if self.asyncio_server is not None:
            self.asyncio_server.close()
        for session in list(state.live):
            if session.transport is not None:
                session.transport.close()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        # Transports finish closing in callbacks scheduled by close(); let them run.
        for _ in range(3):
            await asyncio.sleep(0)
        if self.asyncio_server is not None:
            await self.asyncio_server.wait_closed()
