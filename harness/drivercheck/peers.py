"""The harness-side ends of the driver self-test: plain sockets on loopback, port 0.

Each peer serves one connection on a thread and records what it saw, so a
check can say which direction mangled a byte. Every peer is a context
manager; leaving it closes its sockets and joins its thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

LOOPBACK = "127.0.0.1"
JOIN_TIMEOUT = 5.0


class _OneConnection:
    """Listen on loopback, accept one connection, run ``serve`` on it in a thread."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        name = f"drivercheck-{type(self).__name__}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conn = conn
            with conn:
                conn.settimeout(0.05)
                self.serve(conn)
            return

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stopping(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(JOIN_TIMEOUT)

    def __enter__(self) -> _OneConnection:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class RecordingPeer(_OneConnection):
    """Records every byte received (and echoes it back if ``echo``); notes the peer's close."""

    def __init__(self, echo: bool = True) -> None:
        self.echo = echo
        self._data = bytearray()
        self._changed = threading.Condition()
        self._eof = False
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        while not self.stopping():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if chunk and self.echo:
                with contextlib.suppress(OSError):
                    conn.sendall(chunk)
            with self._changed:
                if chunk:
                    self._data += chunk
                else:
                    self._eof = True
                self._changed.notify_all()
            if not chunk:
                return

    def wait_for(self, size: int, timeout: float) -> bytes:
        """Everything received once ``size`` bytes have arrived (or the peer closed, or time ran out)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._data) >= size or self._eof, timeout)
            return bytes(self._data)

    def wait_closed(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._eof, timeout)


class Feeder:
    """Connects to ``port``, sends ``data`` and closes: the far end of a bulk receive."""

    def __init__(self, port: int, data: bytes) -> None:
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, args=(port, data), name="drivercheck-feeder",
                                        daemon=True)
        self._thread.start()

    def _run(self, port: int, data: bytes) -> None:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=JOIN_TIMEOUT) as sock:
                sock.sendall(data)
        except OSError as error:
            self.error = error

    def close(self) -> None:
        self._thread.join(JOIN_TIMEOUT)

    def __enter__(self) -> Feeder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpPeer(_OneConnection):
    """Answers one HTTP request with ``body`` (content-length framing) and records the request.

    ``request`` is the head; ``uploaded`` the request body, read up to its
    ``content-length`` before the answer goes out.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.request = b""
        self.uploaded = b""
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        received = bytearray()
        while b"\r\n\r\n" not in received and not self.stopping():
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            received += chunk
        head_end = received.find(b"\r\n\r\n") + 4
        self.request = bytes(received[:head_end])
        self.uploaded = self._read_body(conn, bytes(received[head_end:]))
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        with contextlib.suppress(OSError):
            conn.sendall(head.encode("ascii") + self.body)


    def _read_body(self, conn: socket.socket, start: bytes) -> bytes:
        """The request body that follows the head: ``content-length`` bytes (none without the header)."""
        length = 0
        for line in self.request.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length" and value.strip().isdigit():
                length = int(value.strip())
        body = bytearray(start)
        while len(body) < length and not self.stopping():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            body += chunk
        return bytes(body)


class FtpPeer(_OneConnection):
    """Serves one file over FTP: login, cwd, type, PORT or PASV/EPSV, RETR; records the commands.

    A STOR is accepted too: what arrives on its data connection is ``stored``.
    """

    REPLIES = {"user": "331 password please", "pass": "230 logged in", "cwd": "250 ok", "type": "200 ok",
               "quit": "221 bye"}

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.commands: list[str] = []
        self.stored = b""
        self._data_listener: socket.socket | None = None
        self._active: tuple[str, int] | None = None
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 drivercheck ftp\r\n")
        while not self.stopping():
            try:
                line = reader.readline()
            except TimeoutError:
                continue
            except OSError:
                break
            if not line:
                break
            command, _, argument = line.decode("latin-1").strip().partition(" ")
            verb = command.lower()
            self.commands.append(f"{verb} {argument}".strip())
            conn.sendall((self._answer(conn, verb, argument) + "\r\n").encode("latin-1"))
            if verb == "quit":
                break
        reader.close()
        if self._data_listener is not None:
            self._data_listener.close()

    def _answer(self, conn: socket.socket, verb: str, argument: str) -> str:
        if verb in ("pasv", "epsv"):
            self._data_listener = socket.create_server((LOOPBACK, 0))
            port = self._data_listener.getsockname()[1]
            if verb == "epsv":
                return f"229 entering extended passive mode (|||{port}|)"
            return f"227 entering passive mode (127,0,0,1,{port >> 8},{port & 255})"
        if verb in ("port", "eprt"):
            self._active = _parse_port(verb, argument)
            return "200 ok"
        if verb in ("retr", "nlst", "list"):
            conn.sendall(b"150 opening data connection\r\n")
            self._send_data()
            return "226 transfer complete"
        if verb == "stor":
            conn.sendall(b"150 opening data connection\r\n")
            self.stored = self._receive_data()
            return "226 transfer complete"
        return self.REPLIES.get(verb, "200 ok")

    def _data_connection(self) -> socket.socket | None:
        if self._active is not None:
            return socket.create_connection(self._active, timeout=JOIN_TIMEOUT)
        if self._data_listener is not None:
            self._data_listener.settimeout(JOIN_TIMEOUT)
            return self._data_listener.accept()[0]
        return None

    def _send_data(self) -> None:
        data = self._data_connection()
        if data is None:
            return
        with data, contextlib.suppress(OSError):
            data.sendall(self.body)

    def _receive_data(self) -> bytes:
        """Everything the client sends on the data connection, up to its close."""
        data = self._data_connection()
        if data is None:
            return b""
        received = bytearray()
        data.settimeout(JOIN_TIMEOUT)
        with data, contextlib.suppress(OSError):
            while chunk := data.recv(65536):
                received += chunk
        return bytes(received)


def _parse_port(verb: str, argument: str) -> tuple[str, int]:
    """``PORT h1,h2,h3,h4,p1,p2`` or ``EPRT |1|host|port|`` as an address."""
    if verb == "eprt":
        parts = argument.split(argument[:1])
        return parts[2], int(parts[3])
    numbers = [int(part) for part in argument.split(",")]
    return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]
