"""The manual's FTP functions: ``ftp_get``, ``ftp_put``, ``ftp_getindirect``,
``ftp_putindirect`` (manual "FTP"; spec §15).

Returns (Python tuples are the Lua return lists):

* ``ftp_get(url [, type])`` -> ``(data,)`` or ``(None, err)``; the file, or the
  ``NLST`` listing for a URL ending in ``/``, as ``bytes``. Never partial data
  together with an error (1.3b could return both, DIVERGENCES.md #46).
* ``ftp_put(url, data [, type])`` -> ``(None,)`` or ``(err,)``.
* ``ftp_getindirect(url, receive_cb [, type])`` and ``ftp_putindirect(url,
  send_cb [, type])`` -> ``(None,)`` or ``(err,)``; callbacks as in
  ``callbacks.py``. The receive callback's final ``b""`` comes only after the
  server confirmed the transfer (226/250), so a transfer the server reports
  as failed ends with ``(None, err)`` instead.

``type`` is ``"a"`` (ASCII, the default) or ``"b"`` (binary, ``TYPE I``);
``"i"``, FTP's own name for binary, is accepted as binary too (1.3b silently
sent ASCII for it, #44); anything else raises. No line-ending conversion is
done in either type, as in 1.3b: the bytes arrive as the server sends them.

Errors: the connect message, ``"closed"``, ``"timeout"``, a safety refusal,
or the full text of the unexpected reply (``"550 no such file"``). An error
reply to RETR, NLST or STOR is returned at once (1.3b waited 60 s and said
"timeout", #45). Every wait, on the control and the data connection, is
limited to :data:`FTP_WAIT` seconds (the data connection had no limit, #50).
After a failure the client closes the data connection, reads the server's
answer to the interrupted transfer if one is due, and says QUIT.
"""

from __future__ import annotations

from reference.args import check_data, check_text, is_absent, settle
from reference.errors import LuaError
from reference.protocols.arguments import callback, text
from reference.protocols.callbacks import BytesSource, CallbackSink, CallbackSource, Collector, Sink, Source
from reference.protocols.control import ControlChannel
from reference.protocols.errors import CallFailed
from reference.protocols.ftp_session import (
    CWD_OK,
    FTP_BLOCK,
    FTP_WAIT,
    GREETING_READY,
    GREETING_WAIT,
    LOGGED_IN,
    NEEDS_PASSWORD,
    PASSWORD_OK,
    PASV_OK,
    TRANSFER_DONE,
    TRANSFER_STARTS,
    TYPE_OK,
    FtpPlan,
    command,
    data_host,
    parse_pasv,
    plan_transfer,
)
from reference.protocols.wire import Connection

_TYPES = {"a": False, "b": True, "i": True}


def transfer_type(value: object) -> bool:
    """True for binary; raises for a type the manual does not know."""
    if is_absent(value):
        return False
    binary = _TYPES.get(check_text(value))  # exact, as Lua compares strings: "B" is no type
    if binary is None:
        raise LuaError("invalid transfer type (expected 'a' or 'b')")
    return binary


class _Session:
    """One control connection and, during a transfer, one data connection."""

    def __init__(self, plan: FtpPlan) -> None:
        self.plan = plan
        self.channel = ControlChannel(Connection.open(plan.host, plan.port, FTP_WAIT))
        self.data: Connection | None = None
        self.reply_due = False  # a transfer started: its final reply is still to come

    def prepare(self) -> None:
        """Greeting, login, directory, type, passive data connection."""
        channel = self.channel
        greeting = channel.reply()
        if greeting.is_one_of(GREETING_WAIT):
            greeting = channel.reply()
        channel.expect(greeting, GREETING_READY)
        reply = channel.command(command("USER", self.plan.user))
        if reply.is_one_of(NEEDS_PASSWORD):
            channel.expect(channel.command(command("PASS", self.plan.password)), PASSWORD_OK)
        else:
            channel.expect(reply, LOGGED_IN)
        if self.plan.directory is not None:
            channel.expect(channel.command(command("CWD", self.plan.directory)), CWD_OK)
        channel.expect(channel.command(self.plan.type_command), TYPE_OK)
        named_host, port = parse_pasv(channel.expect(channel.command("PASV"), PASV_OK).text)
        peer = channel.conn.peer_ip() or self.plan.host
        self.data = Connection.open(data_host(named_host, peer), port, FTP_WAIT)

    def start(self, upload: bool) -> Connection:
        """Send RETR, NLST or STOR; returns the data connection once the server agreed."""
        self.channel.expect(self.channel.command(self.plan.transfer_command(upload)), TRANSFER_STARTS)
        self.reply_due = True
        assert self.data is not None
        return self.data

    def finish(self) -> None:
        """Close the data connection and check the server's verdict on the transfer."""
        self.close_data()
        self.reply_due = False
        self.channel.expect(self.channel.reply(), TRANSFER_DONE)

    def close_data(self) -> None:
        if self.data is not None:
            self.data.close()
            self.data = None

    def end(self, failed: bool) -> None:
        """Orderly end: after a failure, collect the interrupted transfer's reply; QUIT; close."""
        try:
            self.close_data()
            if failed and self.reply_due:
                try:
                    self.channel.reply()
                except CallFailed:
                    return
            self.channel.quit()
        finally:
            self.channel.conn.close()


def _download(data: Connection, sink: Sink) -> None:
    while True:
        block = data.read_until_close(FTP_BLOCK)
        if block is None:
            return
        sink.chunk(block)


def _upload(data: Connection, source: Source) -> None:
    source.start()
    for piece in source.chunks():
        data.send(piece)


def _transfer(url: str, binary: bool, sink: Sink | None = None, source: Source | None = None) -> str | None:
    """Run one transfer; returns None or the error (after telling the sink)."""
    upload = source is not None
    try:
        session = _Session(plan_transfer(url, binary, upload))
    except CallFailed as failure:
        return sink.fail(failure.message) if sink else failure.message
    failed = True
    try:
        session.prepare()
        data = session.start(upload)
        if source is not None:
            _upload(data, source)
        elif sink is not None:
            _download(data, sink)
        session.finish()
        if sink is not None:
            sink.end()
        failed = False
        return None
    except CallFailed as failure:
        return sink.fail(failure.message) if sink else failure.message
    finally:
        session.end(failed)


def ftp_get(*args: object) -> tuple[bytes] | tuple[None, str]:
    """``ftp_get(url [, type])`` -> ``(data,)`` or ``(None, err)``."""
    url, kind = settle(args, 2)
    collector = Collector()
    error = _transfer(text(url), transfer_type(kind), sink=collector)
    return (None, error) if error is not None else (collector.data(),)


def ftp_put(*args: object) -> tuple[str | None]:
    """``ftp_put(url, data [, type])`` -> ``(None,)`` or ``(err,)``."""
    url, data, kind = settle(args, 3)
    return (_transfer(text(url), transfer_type(kind), source=BytesSource(check_data(data))),)


def ftp_getindirect(*args: object) -> tuple[str | None]:
    """``ftp_getindirect(url, receive_cb [, type])`` -> ``(None,)`` or ``(err,)``."""
    url, receive_cb, kind = settle(args, 3)
    sink = CallbackSink(callback(receive_cb, "receive_cb"))
    return (_transfer(text(url), transfer_type(kind), sink=sink),)


def ftp_putindirect(*args: object) -> tuple[str | None]:
    """``ftp_putindirect(url, send_cb [, type])`` -> ``(None,)`` or ``(err,)``."""
    url, send_cb, kind = settle(args, 3)
    source = CallbackSource(callback(send_cb, "send_cb"))
    return (_transfer(text(url), transfer_type(kind), source=source),)
