"""pyftpdlib's control session and data channel, taught to record and to follow a script.

pyftpdlib does FTP (login, CWD, PASV and PORT, RETR/STOR/NLST...) and
accepts commands in any case; the subclasses here add, without changing its
parsing:

* byte-exact records: every byte read on the control connection, every
  command line, each transfer with its data-connection mode, and every
  uploaded file (recorded *before* the transfer-complete reply is sent, so a
  client that saw 226 can rely on the record);
* the reply script (``fakeservers.replies``): canned replies, delays and
  stalls at the greeting, at any command and after a transfer
  (``RETR-DONE``...);
* transfer faults on data connections: a byte rate and a stall after N
  bytes;
* byte-exact transfers in both TYPE modes: files are stored and sent
  without newline conversion, so what a scenario reads back is exactly what
  the client sent.

pyftpdlib reads its settings as attributes, so each session sets them on
itself from the shared ``FtpState`` (found on the FTPServer object).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyftpdlib.exceptions import _RetryError
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.ioloop import AsyncChat

from fakeservers.events import DATA
from fakeservers.ftp.config import MODE_VERBS, TRANSFER_VERBS
from fakeservers.ftp.records import FtpCommand, FtpState, StoredFile, Transfer
from fakeservers.payload import FULL, BodyRecorder
from fakeservers.replies import GREETING, Occurrences, done_point, is_positive

CRLF = b"\r\n"
BANNER = "lsconform fake FTP ready."


class ScriptedFTPHandler(FTPHandler):
    """One control connection."""

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        state: FtpState = server.lsconform_state
        self.state = state
        self.script = state.config.script
        self.authorizer = state.authorizer
        self.masquerade_address = state.config.pasv_host
        self.dtp_handler = ScriptedDTPHandler
        self.use_sendfile = False
        self.banner = BANNER
        self.connection = state.transcript.new_connection()
        self.occurrences = Occurrences()
        self.mode: str | None = None
        self.substitute: bytes | None = None
        self.done_point: str | None = None
        self.closed_by = "server"
        super().__init__(conn, server, ioloop)
        if self.connected:
            state.transcript.opened(self.connection, (self.remote_ip, self.remote_port))
            state.live.add(self)

    # -- bytes in and out -------------------------------------------------------

    def recv(self, buffer_size: int) -> bytes:
        data = super().recv(buffer_size)
        self.state.transcript.received(self.connection, data)
        return data

    def push(self, data: str | bytes) -> None:
        raw = data.encode(self.encoding, self.unicode_errors) if isinstance(data, str) else data
        self.state.transcript.reply(self.connection, raw)
        AsyncChat.push(self, raw)

    def respond(self, resp: str, logfun: Any = None) -> None:
        self._last_response = resp
        text = resp.encode(self.encoding, self.unicode_errors)
        if self.substitute is not None:
            text, self.substitute = self.substitute, None
        self.push(text + CRLF)

    def found_terminator(self) -> None:
        line = b"".join(self._in_buffer) + CRLF
        self.state.transcript.command(self.connection, line)
        verb, _, argument = line[:-2].decode(self.encoding, "replace").partition(" ")
        self.state.add(FtpCommand(self.connection, line, verb.upper(), argument))
        super().found_terminator()

    # -- the reply script -------------------------------------------------------

    def handle(self) -> None:
        """Send the greeting, or the scripted one, late, or never."""
        canned = self.script.reply_for(GREETING, 0)
        if self._stalls(GREETING):
            return
        delay = self._delay(GREETING)
        if delay:
            self.call_later(delay, self._greet, canned)
        else:
            self._greet(canned)

    def _greet(self, canned: bytes | None) -> None:
        if canned is None:
            super().handle()
        else:
            self.on_connect()
            self.push(canned + CRLF)

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        if cmd in MODE_VERBS:
            self.mode = cmd
        if cmd in TRANSFER_VERBS:
            self.state.add(Transfer(self.connection, cmd, arg, self.mode))
        canned = self.script.reply_for(cmd, self.occurrences.next(cmd))
        if self._stalls(cmd):
            return
        delay = self._delay(cmd)
        if delay:
            self.call_later(delay, self._run_command, line, cmd, arg, canned)
        else:
            self._run_command(line, cmd, arg, canned)

    def _run_command(self, line: str, cmd: str, arg: str, canned: bytes | None) -> None:
        if canned is not None and not is_positive(canned):
            self.push(canned + CRLF)
            return
        if cmd in TRANSFER_VERBS:
            self.done_point = done_point(cmd)
        self.substitute = canned
        try:
            super().pre_process_command(line, cmd, arg)
        finally:
            self.substitute = None

    def transfer_done(self, own_reply: str) -> None:
        """Send the reply that ends a transfer (called by the data channel as it closes)."""
        point, self.done_point = self.done_point or "", None
        canned = self.script.reply_for(point, self.occurrences.next(point)) if point else None
        text = canned if canned is not None else own_reply.encode(self.encoding, self.unicode_errors)
        if self._closed or self._stalls(point):
            return
        delay = self._delay(point)
        if delay:
            self.call_later(delay, self.push, text + CRLF)
        else:
            self.push(text + CRLF)

    def _stalls(self, point: str) -> bool:
        if not self.script.stalls_at(point):
            return False
        self.state.transcript.note(self.connection, f"stalled at {point}: no reply until stopped")
        return True

    def _delay(self, point: str) -> float:
        delay = self.script.delay_for(point)
        if delay:
            self.state.transcript.note(self.connection, f"delaying the {point} reply {delay:g}s")
        return delay

    # -- byte-exact transfers and lifecycle -----------------------------------

    def ftp_RETR(self, file: str) -> Any:
        # The file producer converts LF to CRLF in TYPE A; serve the bytes as configured instead.
        kept, self._current_type = self._current_type, "i"
        try:
            return super().ftp_RETR(file)
        finally:
            self._current_type = kept

    def handle_close(self) -> None:
        self.closed_by = "client"
        super().handle_close()

    def close(self) -> None:
        if not self._closed:
            self.state.live.discard(self)
            by = "stop" if self.state.stopping else self.closed_by
            super().close()
            self.state.transcript.closed(self.connection, by)
        else:
            super().close()


class ScriptedDTPHandler(ThrottledDTPHandler):
    """One data connection: records uploads, applies the rate and stall faults."""

    def __init__(self, sock: Any, cmd_channel: ScriptedFTPHandler) -> None:
        faults = cmd_channel.state.config.transfer
        self.read_limit = self.write_limit = faults.rate
        self.stall_after = faults.stall_after
        self.stalled = False
        self.channel = cmd_channel
        self.announced = False
        super().__init__(sock, cmd_channel)
        if self.connected:
            self.announced = True
            transcript = cmd_channel.state.transcript
            transcript.opened(cmd_channel.connection, sock.getpeername()[:2], channel=DATA)
            mode = cmd_channel.mode or "default"
            transcript.note(cmd_channel.connection, f"data connection set up by {mode}")

    def enable_receiving(self, type: str, cmd: str) -> None:
        super().enable_receiving("i", cmd)  # store exactly what arrives, whatever the TYPE

    def send(self, data: Any) -> int:
        if self.stall_after is not None:
            room = self.stall_after - self.tot_bytes_sent
            if room <= 0:
                self._stall()
                return 0
            data = data[:room]
        sent = super().send(data)
        if self.stall_after is not None and self.tot_bytes_sent >= self.stall_after:
            self._stall()
        return sent

    def recv(self, buffer_size: int) -> bytes:
        if self.stall_after is not None:
            room = self.stall_after - self.tot_bytes_received
            if room <= 0:
                self._stall()
                raise _RetryError
            buffer_size = min(buffer_size, room)
        chunk = super().recv(buffer_size)
        if self.stall_after is not None and self.tot_bytes_received + len(chunk) >= self.stall_after:
            self._stall()
        return chunk

    def _stall(self) -> None:
        """Stop reading and writing; the connection stays open until the client or ``stop`` ends it."""
        if self.stalled:
            return
        self.stalled = True
        self._cancel_throttler()
        self.modify_ioloop_events(0)
        moved = self.get_transmitted_bytes()
        transcript = self.channel.state.transcript
        transcript.note(self.channel.connection, f"data connection stalled after {moved} bytes")

    def close(self) -> None:
        if self._closed:
            super().close()
            return
        channel = self.channel
        self._record_upload()
        reply, self._resp = self._resp, ()
        finished = self.transfer_finished
        super().close()
        if self.announced:
            by = "stop" if channel.state.stopping else "client" if self.receive or not finished else "server"
            channel.state.transcript.closed(channel.connection, by, channel=DATA)
        if reply:
            channel.transfer_done(reply[0])

    def _record_upload(self) -> None:
        file = self.file_obj
        if not self.receive or file is None or file.closed:
            return
        file.flush()
        state = self.channel.state
        recorder = BodyRecorder(FULL, keep_limit=state.config.record_limit)
        with open(file.name, "rb") as stored:
            while piece := stored.read(64 * 1024):
                recorder.add(piece)
        fs = self.channel.fs
        path = fs.fs2ftp(file.name) if fs is not None else "/" + Path(file.name).name
        state.add(StoredFile(self.channel.connection, self.channel.username, path, recorder.result(),
                             complete=self.transfer_finished))
