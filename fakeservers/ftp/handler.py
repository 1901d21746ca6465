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
  the client sent;
* one preliminary reply, 150, whenever the data connection was opened
  (``ABOUT_TO_OPEN``).

pyftpdlib reads its settings as attributes, so each session sets them on
itself from the shared ``FtpState`` (found on the FTPServer object).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from pyftpdlib.exceptions import _RetryError
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.ioloop import AsyncChat

from fakeservers.events import DATA
from fakeservers.ftp.config import MODE_VERBS, TRANSFER_VERBS
from fakeservers.ftp.filesystem import ReplacingFS
from fakeservers.ftp.records import FtpCommand, FtpState, StoredFile, Transfer
from fakeservers.payload import FULL, BodyRecorder
from fakeservers.replies import GREETING, Occurrences, done_point, is_positive

CRLF = b"\r\n"
DATA_READ_SIZE = 1024 * 1024
"""Bytes per read on a data connection (pyftpdlib reads 64 KiB): fewer, larger reads keep the
fake server from being what limits an upload benchmark."""
PACE_STEPS = 10  # rate pacing: reads/writes per second of allowance
BANNER = "lsconform fake FTP ready."
ALREADY_OPEN = "125 "
ABOUT_TO_OPEN = "150 File status okay. About to open data connection."
"""pyftpdlib starts a transfer with 125 if the client's data connection was taken in before the
command, else 150: which one a client sees depends on timing, so a client that accepts only 150
would fail at random. The server always says 150 (as the sink does); 125 is for a script to give."""
PASV_NUMBERS = b"{pasv}"
"""In a canned reply to PASV, the six numbers of the server's own 227 (h1,h2,h3,h4,p1,p2): the port
is chosen only when the command runs, so a script cannot write it, only where it goes."""
_OWN_PASV = re.compile(r"\A227 .*\((\d+,\d+,\d+,\d+,\d+,\d+)\)")


def fill_pasv_numbers(canned: bytes, own: str) -> bytes:
    """``canned`` with :data:`PASV_NUMBERS` replaced by the numbers of ``own``, pyftpdlib's 227."""
    match = _OWN_PASV.match(own)
    if match is None or PASV_NUMBERS not in canned:
        return canned
    return canned.replace(PASV_NUMBERS, match.group(1).encode("ascii"))


class ScriptedFTPHandler(FTPHandler):
    """One control connection."""

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        state: FtpState = server.lsconform_state
        self.state = state
        self.script = state.config.script
        self.authorizer = state.authorizer
        self.masquerade_address = state.config.pasv_host
        self.dtp_handler = ScriptedDTPHandler
        self.abstracted_fs = ReplacingFS
        faults = state.config.transfer
        # sendfile(2) moves a download from the page cache to the socket without passing through
        # Python; the paced and stalling transfers need every write to go through ``send`` below.
        self.use_sendfile = hasattr(os, "sendfile") and not faults.rate and faults.stall_after is None
        self.banner = BANNER
        self.auth_failed_timeout = 0  # pyftpdlib waits 3 s before a 530; script a delay when wanted
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
        if resp.startswith(ALREADY_OPEN):
            resp = ABOUT_TO_OPEN
        self._last_response = resp
        text = resp.encode(self.encoding, self.unicode_errors)
        if self.substitute is not None:
            text, self.substitute = fill_pasv_numbers(self.substitute, resp), None
        self.push(text + CRLF)

    def found_terminator(self) -> None:
        line = b"".join(self._in_buffer) + CRLF
        self.state.transcript.command(self.connection, line)
        self.state.add(FtpCommand.parse(self.connection, line))
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


class ScriptedDTPHandler(DTPHandler):
    """One data connection: records uploads, applies the rate and stall faults.

    The rate is paced smoothly: at most a tenth of a second's worth of bytes
    moves per read or write, and after each one the channel pauses (no I/O
    events) until the bytes moved so far are due.
    """

    ac_in_buffer_size = DATA_READ_SIZE
    ac_out_buffer_size = DATA_READ_SIZE  # also the most one sendfile(2) call moves

    def __init__(self, sock: Any, cmd_channel: ScriptedFTPHandler) -> None:
        faults = cmd_channel.state.config.transfer
        self.rate = faults.rate
        self.stall_after = faults.stall_after
        self.stalled = False
        self.paused = False
        self.clock_start: float | None = None
        self.closed_by = "server"  # unless handle_close learns otherwise
        self.channel = cmd_channel
        self.announced = False
        self.recorder: BodyRecorder | None = None  # an upload digested as it arrives
        super().__init__(sock, cmd_channel)
        if self.connected:
            self.announced = True
            transcript = cmd_channel.state.transcript
            transcript.opened(cmd_channel.connection, sock.getpeername()[:2], channel=DATA)
            mode = cmd_channel.mode or "default"
            transcript.note(cmd_channel.connection, f"data connection set up by {mode}")

    def enable_receiving(self, type: str, cmd: str) -> None:
        super().enable_receiving("i", cmd)  # store exactly what arrives, whatever the TYPE
        # A file written from its start holds exactly the bytes received: digest them as they
        # arrive rather than read the file back. Appends and restarts (REST) are read back.
        # Where the scenario said what the upload should hold, compare rather than hash.
        file = self.file_obj
        if file is None or file.mode != "wb" or file.tell() != 0:
            self.recorder = None
            return
        config = self.channel.state.config
        expected = config.expect_uploads.get(self._ftp_path(file.name))
        self.recorder = BodyRecorder(FULL, keep_limit=config.record_limit, expected=expected)

    def _ftp_path(self, name: str) -> str:
        """The path of a file of ours as the client names it from its home (``/up.bin``)."""
        fs = self.channel.fs
        return fs.fs2ftp(name) if fs is not None else "/" + Path(name).name

    def send(self, data: Any) -> int:
        room = self._room(self.tot_bytes_sent, len(data))
        if not room:
            return 0
        sent = super().send(data[:room])
        self._moved(self.tot_bytes_sent)
        return sent

    def recv(self, buffer_size: int) -> bytes:
        if not self.receive:
            # A sending channel reads only to notice the client leaving (see _stall); data is dropped.
            if AsyncChat.recv(self, buffer_size):
                raise _RetryError
            return b""
        room = self._room(self.tot_bytes_received, buffer_size)
        if not room:
            raise _RetryError
        chunk = super().recv(room)
        if self.recorder is not None:
            self.recorder.add(chunk)
        self._moved(self.tot_bytes_received + len(chunk))
        return chunk

    def _room(self, moved: int, wanted: int) -> int:
        """How many of ``wanted`` bytes may move now; 0 while stalled or paused."""
        if self.stall_after is not None and moved >= self.stall_after:
            self._stall(moved)
        if self.stalled or self.paused:
            return 0
        if self.stall_after is not None:
            wanted = min(wanted, self.stall_after - moved)
        if self.rate:
            wanted = min(wanted, max(1, self.rate // PACE_STEPS))
            if self.clock_start is None:
                self.clock_start = time.monotonic()
        return wanted

    def _moved(self, total: int) -> None:
        if self.stall_after is not None and total >= self.stall_after:
            self._stall(total)
        elif self.rate and self.clock_start is not None:
            wait = self.clock_start + total / self.rate - time.monotonic()
            if wait > 0:
                self.paused = True
                self.modify_ioloop_events(0)
                self.call_later(wait, self._resume)

    def _resume(self) -> None:
        self.paused = False
        if not self.stalled and not self._closed:
            self.modify_ioloop_events(self.ioloop.READ if self.receive else self.ioloop.WRITE)

    def _stall(self, moved: int) -> None:
        """Stop moving data; the connection stays open until the client or ``stop`` ends it.

        A receiving channel stops reading altogether (the client's writes
        back up). A sending channel keeps watching for the client's close,
        so that a client giving up is answered as a real server would.
        """
        if self.stalled:
            return
        self.stalled = True
        self.modify_ioloop_events(0 if self.receive else self.ioloop.READ)
        transcript = self.channel.state.transcript
        transcript.note(self.channel.connection, f"data connection stalled after {moved} bytes")

    def readable(self) -> bool:
        # pyftpdlib ignores read events on a sending channel; a stalled one watches for the close.
        return True if self.stalled and not self.receive else bool(super().readable())

    def handle_close(self) -> None:
        # Receiving: the client's end of stream. Sending: all handed over (the server closes)
        # or a send that failed because the client went away.
        self.closed_by = "client" if self.receive or self.producer_fifo else "server"
        super().handle_close()

    def close(self) -> None:
        if self._closed:
            super().close()
            return
        channel = self.channel
        self._record_upload()
        reply, self._resp = self._resp, ()
        super().close()
        if self.announced:
            by = "stop" if channel.state.stopping else self.closed_by
            channel.state.transcript.closed(channel.connection, by, channel=DATA)
        if reply:
            channel.transfer_done(reply[0])

    def _record_upload(self) -> None:
        file = self.file_obj
        if not self.receive or file is None or file.closed:
            return
        file.flush()
        state = self.channel.state
        recorder = self.recorder
        if recorder is None or not self.transfer_finished:  # a write may have failed: the file says
            recorder = BodyRecorder(FULL, keep_limit=state.config.record_limit)
            with open(file.name, "rb") as stored:
                while piece := stored.read(DATA_READ_SIZE):
                    recorder.add(piece)
        state.add(StoredFile(self.channel.connection, self.channel.username, self._ftp_path(file.name),
                             recorder.result(), complete=self.transfer_finished))
