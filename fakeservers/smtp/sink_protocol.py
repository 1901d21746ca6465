"""The server side of an SMTP session's happy path, as a state machine over bytes (no I/O).

The fake SMTP server's normal engine is aiosmtpd, which gives conformance
scenarios a full, standard server and its exact error replies. It costs
about 2.5 ms of CPU a session here, as much as a fast client spends: in a
throughput workload of one session per message the server would set the
pace. ``sink: true`` swaps in this engine instead. It answers the commands
a client needs to deliver mail (HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), enforces their order with aiosmtpd's replies, records envelopes
exactly as the normal engine does (``MailEnvelope``: the DATA phase as sent,
and its content after dot-unstuffing), and answers anything else 500. It
has no reply script.

``SinkSession.receive`` takes bytes as they arrive and returns the replies
to send; the caller (``sink_server``) does the socket work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fakeservers.smtp.protocol import MailEnvelope

MAX_LINE = 4096
"""The longest command line accepted (aiosmtpd's limit is larger; 500 past this one)."""
DATA_END = b"\r\n.\r\n"


@dataclass
class _Transaction:
    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)


class SinkSession:
    """One session: feed it what the client sent, send what it returns."""

    def __init__(self, connection: int, hostname: str, record: Callable[[MailEnvelope], None],
                 on_command: Callable[[bytes], None] | None = None) -> None:
        self.connection = connection
        self.hostname = hostname
        self.record = record
        self.on_command = on_command
        self.helo: str | None = None
        self.closed = False  # after QUIT: the caller closes the connection once the reply is out
        self._transaction = _Transaction()
        self._buffer = bytearray()
        self._in_data = False
        self._scanned = 0  # in DATA: where to look for the end next (the buffer before it has none)

    def greeting(self) -> bytes:
        return f"220 {self.hostname} lsconform SMTP sink\r\n".encode()

    def receive(self, data: bytes) -> bytes:
        """The replies to ``data`` (and to what was buffered before it), in order."""
        self._buffer += data
        replies = bytearray()
        while not self.closed:
            reply = self._message() if self._in_data else self._command()
            if reply is None:
                break
            replies += reply
        return bytes(replies)

    # -- commands ---------------------------------------------------------------

    def _command(self) -> bytes | None:
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) > MAX_LINE:
                self._buffer.clear()
                return b"500 Error: line too long\r\n"
            return None
        line = bytes(self._buffer[:end + 1])
        del self._buffer[:end + 1]
        if self.on_command is not None:
            self.on_command(line)
        if len(line) > MAX_LINE:
            return b"500 Error: line too long\r\n"
        text = line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        verb, _, arg = text.partition(" ")
        return self._answer(verb.upper(), arg.strip()).encode("utf-8", "surrogateescape") + b"\r\n"

    def _answer(self, verb: str, arg: str) -> str:
        if verb in ("HELO", "EHLO"):
            if not arg:
                return f"501 Syntax: {verb} hostname"
            self.helo = arg
            self._transaction = _Transaction()
            return f"250 {self.hostname}"
        if verb == "NOOP":
            return "250 OK"
        if verb == "RSET":
            self._transaction = _Transaction()
            return "250 OK"
        if verb == "QUIT":
            self.closed = True
            return "221 Bye"
        if verb == "MAIL":
            return self._mail(arg)
        if verb == "RCPT":
            return self._rcpt(arg)
        if verb == "DATA":
            return self._data(arg)
        return f'500 Error: command "{verb}" not recognized'

    def _mail(self, arg: str) -> str:
        if self.helo is None:
            return "503 Error: send HELO first"
        if self._transaction.mail_from is not None:
            return "503 Error: nested MAIL command"
        address = _address_after(arg, "FROM:")
        if address is None:
            return "501 Syntax: MAIL FROM: <address>"
        self._transaction.mail_from = address
        return "250 OK"

    def _rcpt(self, arg: str) -> str:
        if self.helo is None:
            return "503 Error: send HELO first"
        if self._transaction.mail_from is None:
            return "503 Error: need MAIL command"
        address = _address_after(arg, "TO:")
        if not address:
            return "501 Syntax: RCPT TO: <address>"
        self._transaction.rcpt_tos.append(address)
        return "250 OK"

    def _data(self, arg: str) -> str:
        if self.helo is None:
            return "503 Error: send HELO first"
        if not self._transaction.rcpt_tos:
            return "503 Error: need RCPT command"
        if arg:
            return "501 Syntax: DATA"
        self._in_data = True
        self._scanned = 0
        return "354 End data with <CR><LF>.<CR><LF>"

    # -- the message --------------------------------------------------------------

    def _message(self) -> bytes | None:
        """The reply to a message complete in the buffer, or None while it is not."""
        buffer = self._buffer
        if buffer.startswith(b".\r\n"):  # an empty message
            end = 3
        else:
            found = buffer.find(DATA_END, max(0, self._scanned - len(DATA_END) + 1))
            if found < 0:
                self._scanned = len(buffer)
                return None
            end = found + len(DATA_END)
        wire = bytes(buffer[:end])
        del buffer[:end]
        self._in_data = False
        transaction, self._transaction = self._transaction, _Transaction()
        self.record(MailEnvelope(connection=self.connection, helo=self.helo,
                                 mail_from=transaction.mail_from, rcpt_tos=tuple(transaction.rcpt_tos),
                                 wire=wire, content=unstuff(wire[:-3])))
        return b"250 OK\r\n"


def unstuff(data: bytes) -> bytes:
    """Dot-unstuffing on CRLF-delimited lines (RFC 5321 4.5.2): a leading dot is dropped."""
    if b"." not in data:
        return data
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in data.split(b"\r\n"))


def _address_after(arg: str, keyword: str) -> str | None:
    """The address of ``FROM:<a> params`` / ``TO:<a>`` (angle brackets dropped); None if malformed."""
    if arg[:len(keyword)].upper() != keyword:
        return None
    rest = arg[len(keyword):].strip()
    if rest.startswith("<"):
        close = rest.find(">")
        return rest[1:close] if close >= 0 else None
    return rest.split(" ", 1)[0] if rest else None
