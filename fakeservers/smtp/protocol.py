"""aiosmtpd's SMTP session, taught to record byte for byte and to follow a reply script.

aiosmtpd does the SMTP state machine (HELO, MAIL, RCPT, DATA with
dot-unstuffing); ``ScriptedSMTP`` adds four things around it without
changing how it parses:

* every byte received goes to the transcript (``data_received``), and every
  line aiosmtpd reads goes through a ``LineTap`` that records command lines
  and, during DATA, collects the message exactly as sent (dot-stuffing and
  the final ``.\\r\\n`` included);
* every command handler is wrapped so that a canned reply can replace it
  (negative codes) or replace the text of its reply (positive codes);
* every reply goes through ``push``, which applies canned text, delays and
  stalls for the current reply point and records what was sent;
* ``RecordingHandler.handle_DATA`` stores the finished envelope before the
  final reply is sent, so a client that saw "250" can rely on the record.

Unstuffing is aiosmtpd's, on CRLF-delimited lines as RFC 5321 4.5.2 says:
a dot after a bare LF is data, not stuffing. ``wire`` keeps the original so
a scenario can check what the client really sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from aiosmtpd.smtp import SMTP, Envelope, Session

from fakeservers.events import WireTranscript
from fakeservers.replies import GREETING, Occurrences, ReplyScript, done_point, is_positive
from fakeservers.smtp.config import SmtpConfig

IDENT = "lsconform fake SMTP"
_SYNTAX_ATTRIBUTES = ("__smtp_syntax__", "__smtp_syntax_extended__", "__smtp_syntax_when__")
"""What aiosmtpd's ``@syntax`` puts on a command handler for HELP; copied onto our wrappers."""


@dataclass(frozen=True)
class MailEnvelope:
    """One message as received.

    ``wire`` is the DATA phase exactly as sent: from the byte after the 354
    reply through the final ``.\\r\\n``. ``content`` is the message after
    dot-unstuffing, without the final dot line.
    """

    connection: int
    helo: str | None
    mail_from: str | None
    rcpt_tos: tuple[str, ...]
    wire: bytes
    content: bytes


class SmtpState:
    """What all sessions of one server share: configuration, records, live sessions."""

    def __init__(self, config: SmtpConfig, transcript: WireTranscript) -> None:
        self.config = config
        self.script: ReplyScript = config.script
        self.transcript = transcript
        self.envelopes: list[MailEnvelope] = []
        self.live: set[ScriptedSMTP] = set()
        self.stopping = False


class RecordingHandler:
    """The aiosmtpd handler: keeps every envelope that reached the end of DATA."""

    def __init__(self, state: SmtpState, lock: Any) -> None:
        self.state = state
        self.lock = lock

    async def handle_DATA(self, server: ScriptedSMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        record = MailEnvelope(connection=server.connection, helo=session.host_name,
                              mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos),
                              wire=bytes(server.data_wire or b""), content=bytes(content))
        with self.lock:
            self.state.envelopes.append(record)
        return "250 OK"


class LineTap:
    """Wraps the session's StreamReader: everything aiosmtpd reads is reported to ``on_read``."""

    def __init__(self, reader: asyncio.StreamReader, on_read: Callable[[bytes], None]) -> None:
        self._reader = reader
        self._on_read = on_read

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        return self._report(await self._reader.readuntil(separator))

    async def readline(self) -> bytes:
        return self._report(await self._reader.readline())

    async def read(self, n: int = -1) -> bytes:
        return self._report(await self._reader.read(n))

    async def readexactly(self, n: int) -> bytes:
        return self._report(await self._reader.readexactly(n))

    def _report(self, data: bytes) -> bytes:
        self._on_read(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class ScriptedSMTP(SMTP):
    """One SMTP session (aiosmtpd makes one protocol object per connection)."""

    _REFLECTED = ("auth_", "smtp_")
    """The names aiosmtpd looks for with ``dir``/``inspect.getmembers`` when it builds a session."""
    _reflected_names: ClassVar[list[str]]  # set on each class by its first ``__dir__``

    def __dir__(self) -> list[str]:
        """Only the class's ``auth_*`` and ``smtp_*`` names, listed once per class.

        aiosmtpd finds a session's commands and AUTH mechanisms by reflection
        on every new connection, reading every attribute of the object to
        keep those few; that was a tenth of the fake server's CPU in the SMTP
        throughput workload (one session per message). What it keeps is the
        same, since no other name starts with those prefixes.
        """
        cls = type(self)
        names = cls.__dict__.get("_reflected_names")
        if names is None:
            names = [name for name in object.__dir__(self) if name.startswith(self._REFLECTED)]
            cls._reflected_names = names
        return list(names)

    def __init__(self, handler: RecordingHandler, state: SmtpState, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(handler, hostname=state.config.hostname, ident=IDENT, data_size_limit=None,
                         enable_SMTPUTF8=True, loop=loop)
        self.state = state
        self.connection = 0
        self.point = ""  # the reply point of the command being handled
        self.substitute: bytes | None = None
        self.data_wire: bytearray | None = None
        self._occurrences = Occurrences()
        self._greeted = False
        self._eof = False
        script = self.state.script
        scripted = {*script.replies, *script.delays, *script.stalls}
        verbs = set(self._smtp_methods) | {point for point in scripted
                                           if point != GREETING and not point.endswith("-DONE")}
        for verb in verbs:
            self._smtp_methods[verb] = self._scripted(verb, self._smtp_methods.get(verb))

    # -- connection events ----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connection = self.state.transcript.new_connection()
        peer = transport.get_extra_info("peername")
        self.state.transcript.opened(self.connection, peer[:2] if peer else "unknown")
        self.state.live.add(self)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.state.transcript.received(self.connection, data)
        super().data_received(data)

    def eof_received(self) -> bool | None:
        self._eof = True
        return super().eof_received()

    def connection_lost(self, error: Exception | None) -> None:
        self.state.live.discard(self)
        by = "stop" if self.state.stopping else "client" if self._eof or error else "server"
        self.state.transcript.closed(self.connection, by)
        super().connection_lost(error)

    def _cb_client_connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super()._cb_client_connected(reader, writer)
        self._reader = LineTap(reader, self._line_read)  # type: ignore[assignment]

    def _line_read(self, data: bytes) -> None:
        if self.data_wire is not None:
            self.data_wire += data
        elif data:
            self.state.transcript.command(self.connection, data)
            self.point = ""  # until a command handler claims the line

    # -- the reply script -----------------------------------------------------

    def _scripted(self, verb: str, method: Callable[[str | None], Awaitable[None]] | None
                  ) -> Callable[[str | None], Awaitable[None]]:
        async def run(arg: str | None) -> None:
            self.point = verb
            canned = self.state.script.reply_for(verb, self._occurrences.next(verb))
            if method is None or (canned is not None and not is_positive(canned)):
                unknown = f'500 Error: command "{verb}" not recognized'
                await self.push(canned if canned is not None else unknown)
                return
            self.substitute = canned
            try:
                await method(arg)
            finally:
                self.data_wire = None
                self.substitute = None
        for attribute in _SYNTAX_ATTRIBUTES:  # HELP lists, and explains, only commands that carry them
            if hasattr(method, attribute):
                setattr(run, attribute, getattr(method, attribute))
        return run

    async def push(self, status: str | bytes) -> None:
        own = status.encode("utf-8", "surrogateescape") if isinstance(status, str) else status
        point = self.point
        text = own
        if not self._greeted:
            self._greeted = True
            point = GREETING
            text = self.state.script.reply_for(GREETING, 0) or own
        elif self.substitute is not None:
            text, self.substitute = self.substitute, None
        await self._before_reply(point)
        self.state.transcript.reply(self.connection, text + b"\r\n")
        self._writer.write(text + b"\r\n")
        await self._writer.drain()
        if point == "DATA" and own.startswith(b"354"):
            # aiosmtpd now reads the message: collect it, and script the reply that ends it.
            self.data_wire = bytearray()
            self.point = done_point("DATA")
            self.substitute = self.state.script.reply_for(self.point, self._occurrences.next(self.point))

    async def _before_reply(self, point: str) -> None:
        delay = self.state.script.delay_for(point)
        if delay:
            self.state.transcript.note(self.connection, f"delaying the {point or 'next'} reply {delay:g}s")
            await asyncio.sleep(delay)
        if self.state.script.stalls_at(point):
            self.state.transcript.note(self.connection, f"stalled at {point}: no reply until stopped")
            await asyncio.get_running_loop().create_future()  # cancelled when the session ends
