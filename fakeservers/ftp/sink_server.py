"""The socket side of the FTP sink: a thread per control connection (``session_threads``).

Why a sink exists is in ``sink_protocol``. Each session reads command
lines, asks ``SinkControl`` what to do, and does the socket work of PASV
(a data listener on the server's address, port 0), STOR (accept the data
connection, read it to its end into one reused buffer, record the upload,
reply 226) and RETR (accept, send the file through the same buffer, reply
226). ``sendfile(2)`` would spare a copy, but to a loopback socket it was
the slower path here: a 16-session download's ceiling was 590-670 MB/s
with it and 840-880 MB/s with reads and ``sendall``. The configured files
are written to a temporary tree at bind, as for the pyftpdlib engine
(``files.HomeTree``), and removed at close. An expected upload's reads
pause as the HTTP server's do (``fakeservers.read_batching``), its size
telling how much is left.

Stopping is ``session_threads``'s: every socket a session holds, data
connections and listeners included, is shut down, which wakes it.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fakeservers.addresses import bind_configured, bind_listener
from fakeservers.events import DATA
from fakeservers.ftp.files import HomeTree
from fakeservers.ftp.records import FtpCommand, FtpState, StoredFile, Transfer
from fakeservers.ftp.sink_protocol import (
    GREETING,
    Passive,
    Quit,
    Reply,
    Retrieve,
    SinkControl,
    Store,
    passive_reply,
)
from fakeservers.payload import FULL, BodyRecorder
from fakeservers.read_batching import pause_after
from fakeservers.read_buffers import read_buffer
from fakeservers.session_threads import SessionThreads

if TYPE_CHECKING:
    from fakeservers.ftp.server import FtpServer

LINE_LIMIT = 8192
DATA_READ_SIZE = 1024 * 1024
DATA_ACCEPT_SECONDS = 30.0


class FtpSinkLoop(SessionThreads):
    """The ``ServingLoop`` of an FTP server configured with ``sink: true``."""

    thread_name = "lsconform-fake-ftp-sink"

    def __init__(self, server: FtpServer) -> None:
        super().__init__(server.transcript)
        self.server = server
        self.homes = HomeTree()
        self.home_of: dict[str, Path] = {}  # user -> home directory, for RETR

    @property
    def state(self) -> FtpState:
        return self.server._state  # made after the loop, which the server builds first

    def listen(self) -> socket.socket:
        config = self.server.config
        if any(account.files for account in config.logins):
            self.home_of = self.homes.build(config.logins)
        return bind_configured(config.host, config.port)

    def run_session(self, connection: int, sock: socket.socket, sockets: list[socket.socket]) -> str:
        # A reply after a transfer (226) follows the 150 with nothing from the client between:
        # without NODELAY it would wait for the delayed ACK of the 150, 40 ms a transfer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Session(self, connection, sock, sockets).run()

    def close(self) -> None:
        self.state.stopping = True
        super().close()
        self.homes.remove()


class _Session:
    """One control connection and the data connections it opens."""

    def __init__(self, loop: FtpSinkLoop, connection: int, sock: socket.socket,
                 sockets: list[socket.socket]) -> None:
        self.loop = loop
        self.state = loop.state
        self.transcript = loop.transcript
        self.connection = connection
        self.control = sock
        self.sockets = sockets  # every open socket of the session, for the loop's ``close``
        self.protocol = SinkControl(loop.server.config)
        self.data_listener: socket.socket | None = None
        self.unrecorded: list[bytes] = []  # control bytes received, recorded with their command

    def run(self) -> str:
        """Serve the control connection; who ended it ("client", "server" or "stop")."""
        try:
            self._reply(GREETING)
            pending = b""
            while True:
                end = pending.find(b"\n")
                if end < 0:
                    data = self.control.recv(LINE_LIMIT)
                    if not data or self.loop.stopping.is_set():
                        return "stop" if self.loop.stopping.is_set() else "client"
                    self.unrecorded.append(data)
                    pending += data
                    continue
                line, pending = pending[:end + 1], pending[end + 1:]
                if not self._command(line):
                    return "server"
        finally:
            self._record_received()
            self._close_data_listener()

    def _command(self, line: bytes) -> bool:
        """Carry out one command line; False once the session is over.

        A plain reply is sent before the command is recorded: the client
        waits only for the reply, and recording costs more Python than the
        answer (about 25 us of a 170 us round trip), so the recording runs
        while the client reads the reply and writes its next command. The
        transcript keeps its order (received, command, reply), and a check
        settles on the session's close, which is recorded last.
        """
        command = FtpCommand.parse(self.connection, line)
        step = self.protocol.handle(command.verb, command.argument)
        if isinstance(step, Reply | Quit):
            self._reply(step.text, answering=command)
            return not isinstance(step, Quit)
        self._record_command(command)
        if isinstance(step, Passive):
            self._passive()
        elif isinstance(step, Store):
            self._store(step)
        else:
            self._retrieve(step)
        return True

    def _record_command(self, command: FtpCommand) -> None:
        self._record_received()
        self.transcript.command(self.connection, command.line)
        self.state.add(command)

    def _record_received(self) -> None:
        for data in self.unrecorded:
            self.transcript.received(self.connection, data)
        self.unrecorded.clear()

    def _reply(self, text: str, answering: FtpCommand | None = None) -> None:
        """Send a reply, then record it (the client waits for the sending only).

        ``answering``: the command this reply answers, recorded between the
        two, even when the reply could not be sent (it was still received).
        """
        data = text.encode("utf-8", "surrogateescape") + b"\r\n"
        try:
            self.control.sendall(data)
        finally:
            if answering is not None:
                self._record_command(answering)
        self.transcript.reply(self.connection, data)

    def _passive(self) -> None:
        self._close_data_listener()
        host = self.control.getsockname()[0]
        self.data_listener = bind_listener(host, 0, backlog=1, receive_buffer=self.loop.server.config.rcvbuf)
        self.sockets.append(self.data_listener)
        self._reply(passive_reply(host, self.data_listener.getsockname()[1]))

    def _close_data_listener(self) -> None:
        if self.data_listener is not None:
            self._drop(self.data_listener)
            self.data_listener = None

    def _drop(self, sock: socket.socket) -> None:
        with contextlib.suppress(ValueError):
            self.sockets.remove(sock)
        sock.close()

    def _open_data(self, verb: str, argument: str) -> socket.socket | None:
        """Record the transfer, reply 150 and accept the data connection (None: it never came)."""
        listener = self.data_listener
        assert listener is not None  # SinkControl asks for a transfer only after a Passive
        self.data_listener = None
        self.state.add(Transfer(self.connection, verb, argument, "PASV"))
        self._reply("150 File status okay. About to open data connection.")
        listener.settimeout(DATA_ACCEPT_SECONDS)
        try:
            data, peer = listener.accept()
        except OSError:
            self._drop(listener)
            self._reply("425 Can't open data connection.")
            return None
        self._drop(listener)
        data.settimeout(None)
        self.sockets.append(data)
        self.transcript.opened(self.connection, peer[:2], channel=DATA)
        return data

    def _retrieve(self, retrieve: Retrieve) -> None:
        data = self._open_data("RETR", retrieve.argument)
        if data is None:
            return
        complete = False
        try:
            with open(self.loop.home_of[retrieve.user] / retrieve.name, "rb", buffering=0) as file:
                buffer = read_buffer(DATA_READ_SIZE)
                while count := file.readinto(buffer):
                    data.sendall(buffer[:count])
                complete = True
        except OSError:
            pass  # the client left, or the server is stopping: no 226
        finally:
            self._drop(data)
            self.transcript.closed(self.connection, "server" if complete else "stop", channel=DATA)
        if complete:
            self._reply("226 Transfer complete.")

    def _store(self, store: Store) -> None:
        data = self._open_data("STOR", store.argument)
        if data is None:
            return
        complete = False
        config = self.loop.server.config
        expected = config.expect_uploads.get(store.path)
        recorder = BodyRecorder(FULL, keep_limit=config.record_limit, expected=expected)
        try:
            complete = self._receive(data, recorder, expected.length if expected is not None else None)
        finally:
            self._drop(data)
            self.transcript.closed(self.connection, "client" if complete else "stop", channel=DATA)
        user = self.protocol.user or ""
        self.state.add(StoredFile(self.connection, user, store.path, recorder.result(), complete=complete))
        if complete:
            self._reply("226 Transfer complete.")

    def _receive(self, data: socket.socket, recorder: BodyRecorder, expected_length: int | None) -> bool:
        """Read the data connection to its end into ``recorder``; False if the server stopped first."""
        buffer = read_buffer(DATA_READ_SIZE)
        received = 0
        while True:
            try:
                count = data.recv_into(buffer)
            except OSError:
                return not self.loop.stopping.is_set()  # a reset ends the upload, as pyftpdlib has it
            if not count:
                return not self.loop.stopping.is_set()
            recorder.add(buffer[:count])
            received += count
            if expected_length is not None:
                pause = pause_after(count, expected_length - received)
                if pause:
                    time.sleep(pause)
