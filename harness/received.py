"""What a fake server received, as Lua values a ``check:`` step can match.

The fake servers record in their own Python terms (``HttpRequest``,
``MailEnvelope``, ``FtpReceived``); scenarios match Lua values with the
suite's matchers. This module is the whole translation, with no I/O: each
record becomes a ``LuaTable`` keyed by the field names the scenario format
documents (``schema.RECORD_FIELDS``), text becomes bytes one code point per
byte, and a field the record lacks (a body kept only as a digest, a
transfer with no mode set) is simply absent, which reads as nil.

FTP logins and SMTP commands are not records of the server's: they are
read off the wire transcript (USER and PASS with the reply that settled
them; every command line the SMTP server read outside the message).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fakeservers.events import CONTROL, Command, Event, Reply
from fakeservers.ftp.records import FtpCommand, FtpReceived, StoredFile, Transfer
from fakeservers.http.exchange import HttpRequest
from fakeservers.smtp.protocol import MailEnvelope
from harness.values import LuaTable

ACCEPTED_LOGIN = (b"230", b"202")
ASKS_FOR_PASSWORD = (b"331", b"332")


def lua_text(text: str) -> bytes:
    """Server-side text as a Lua string: one byte per code point where possible, else UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def table(**fields: Any) -> LuaTable:
    """A table with byte-string keys; None values are left out (Lua tables hold no nil)."""
    result = LuaTable()
    for name, value in fields.items():
        if value is not None:
            result[name.encode()] = value
    return result


def http_request(request: HttpRequest) -> LuaTable:
    headers = LuaTable()
    for name, value in request.headers.items():
        headers[lua_text(name.lower())] = lua_text(value)
    return table(method=lua_text(request.method), target=lua_text(request.target),
                 version=lua_text(request.version), request_line=request.request_line, headers=headers,
                 body=request.body, body_length=request.body_length,
                 body_sha256=lua_text(request.body_sha256), raw=request.raw, error=lua_text(request.error))


def smtp_envelope(envelope: MailEnvelope) -> LuaTable:
    recipients = LuaTable(array=[lua_text(address) for address in envelope.rcpt_tos])
    return table(helo=None if envelope.helo is None else lua_text(envelope.helo),
                 mail_from=None if envelope.mail_from is None else lua_text(envelope.mail_from),
                 rcpt_tos=recipients, content=envelope.content, wire=envelope.wire)


def smtp_commands(events: Iterable[Event]) -> list[LuaTable]:
    """Every command line the SMTP server read, in order, shaped like an FTP command.

    The lines of a message (after a 354) are not commands and are not
    among them; bytes that arrived after a DATA the server refused are, since
    the server read them as commands.
    """
    return [command_table(event.line, event.verb) for event in events if isinstance(event, Command)]


def ftp_command(command: FtpCommand) -> LuaTable:
    return command_table(command.line, command.verb, command.argument)


def command_table(line: bytes, verb: str, argument: str | None = None) -> LuaTable:
    """``line`` (raw, CRLF included), ``text`` (without the line end), ``verb``, ``argument``."""
    text = line.rstrip(b"\r\n")
    if argument is None:
        argument = text.partition(b" ")[2].decode("latin-1")
    return table(line=line, text=text, verb=lua_text(verb), argument=lua_text(argument))


def ftp_transfer(transfer: Transfer) -> LuaTable:
    return table(verb=lua_text(transfer.verb), argument=lua_text(transfer.argument),
                 mode=None if transfer.mode is None else lua_text(transfer.mode))


def ftp_upload(stored: StoredFile) -> LuaTable:
    """One upload, in arrival order: ``path``, ``user``, ``length``, ``sha256`` (hex), ``complete``;
    ``data`` only when the server kept it (below its ``record_limit``)."""
    return table(path=lua_text(stored.path), user=lua_text(stored.user), length=stored.content.length,
                 sha256=lua_text(stored.content.sha256), complete=stored.complete, data=stored.content.data)


def ftp_logins(events: Iterable[Event]) -> list[LuaTable]:
    """Each USER command as ``{user, password, accepted}``, in order.

    ``password`` is the PASS argument that followed on the same connection
    (absent if none did); ``accepted`` is true once the server answered
    USER or PASS with 230 (or PASS with 202), false on any other final reply.
    """
    logins: list[LuaTable] = []
    awaiting: dict[int, LuaTable] = {}  # connection -> the login whose reply is due
    current: dict[int, LuaTable] = {}  # connection -> its latest login
    for event in events:
        if isinstance(event, Command):
            words = event.line.rstrip(b"\r\n").split(b" ", 1)
            verb, argument = words[0].upper(), words[1] if len(words) > 1 else b""
            if verb == b"USER":
                login = table(user=argument, accepted=False)
                logins.append(login)
                current[event.connection] = awaiting[event.connection] = login
            elif verb == b"PASS" and event.connection in current:
                login = current[event.connection]
                login[b"password"] = argument
                awaiting[event.connection] = login
        elif isinstance(event, Reply) and event.channel == CONTROL and event.connection in awaiting:
            code = event.data[:3]
            if code in ASKS_FOR_PASSWORD:
                del awaiting[event.connection]
                continue
            awaiting.pop(event.connection)[b"accepted"] = code in ACCEPTED_LOGIN
    return logins


def records(server_kind: str, received: Any, events: list[Event]) -> dict[str, list[LuaTable]]:
    """Every record list a ``check:`` of this server kind can name, as Lua tables."""
    if server_kind == "http":
        return {"requests": [http_request(request) for request in received]}
    if server_kind == "smtp":
        return {"envelopes": [smtp_envelope(envelope) for envelope in received],
                "commands": smtp_commands(events)}
    assert isinstance(received, FtpReceived)
    return {"commands": [ftp_command(command) for command in received.commands],
            "transfers": [ftp_transfer(transfer) for transfer in received.transfers],
            "uploads": [ftp_upload(stored) for stored in received.stored],
            "logins": ftp_logins(events)}
