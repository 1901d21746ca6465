"""Scriptable HTTP, FTP and SMTP servers for the client tests, built on ``proto_servers``.

Each fake records what the client sent (the raw bytes, and parsed requests or
command lines), so tests assert on the wire, and takes overrides so a test
can script a fault: a reply per command verb, a response function per HTTP
request, a PASV reply naming another host.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

import pytest
from proto_servers import IO_LIMIT, Peer, ServerThread, unique_loopback_server

# -- HTTP ---------------------------------------------------------------------


@dataclass
class HttpRequest:
    head: bytes
    request_line: str
    headers: dict[str, str]
    body: bytes


def read_request(peer: Peer) -> HttpRequest | None:
    """Read one request (head, then a content-length body); None if the client left."""
    lines: list[bytes] = []
    while True:
        line = peer.read_line()
        if line is None:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
    headers: dict[str, str] = {}
    for raw in lines[1:-1]:
        name, _, value = raw.decode("latin-1").rstrip("\r\n").partition(":")
        headers[name] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = peer.read_exact(length)
    return HttpRequest(b"".join(lines), lines[0].decode("latin-1").rstrip("\r\n"), headers, body)


Response = bytes | Iterable[bytes]


class HttpFake:
    """Answers each request with ``respond(request)``: bytes, or an iterable of bytes."""

    def __init__(self, respond: Callable[[HttpRequest], Response]) -> None:
        self._respond = respond
        self.requests: list[HttpRequest] = []
        self.server = ServerThread(self._handle)

    def _handle(self, peer: Peer) -> None:
        request = read_request(peer)
        if request is None:
            return
        self.requests.append(request)
        answer = self._respond(request)
        try:
            if isinstance(answer, bytes):
                peer.send(answer)
            else:
                for piece in answer:
                    peer.send(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (an abort test)

    def url(self, path: str = "/", userinfo: str = "") -> str:
        return f"http://{userinfo}{self.server.address}{path}"

    def __enter__(self) -> HttpFake:
        self.server.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.__exit__(kind, error, trace)


def response(status: str = "200 OK", body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response with a content-length (unless headers give framing)."""
    fields = dict(headers or {})
    if "Transfer-Encoding" not in fields and "Content-Length" not in fields:
        fields["Content-Length"] = str(len(body))
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


# -- FTP ----------------------------------------------------------------------


@dataclass
class FtpFake:
    """A passive-mode FTP server over ``files`` (keys like ``"pub/a.txt"``)."""

    files: dict[str, bytes] = field(default_factory=dict)
    passwords: dict[str, str | None] = field(default_factory=lambda: {"anonymous": "anonymous@anonymous.org"})
    replies: dict[str, bytes] = field(default_factory=dict)  # verb -> canned reply instead of the normal one
    after_transfer: bytes = b"226 Transfer complete\r\n"
    pasv_host: str | None = None  # "a,b,c,d" to name another host in the 227 reply
    data_listener_host: str = "127.0.0.1"
    commands: list[str] = field(default_factory=list)
    data_connections: int = 0

    def __post_init__(self) -> None:
        self.server = ServerThread(self._control)

    def url(self, path: str, userinfo: str = "") -> str:
        return f"ftp://{userinfo}{self.server.address}{path}"

    def __enter__(self) -> FtpFake:
        self.server.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.__exit__(kind, error, trace)

    def _control(self, peer: Peer) -> None:
        peer.send(self.replies.get("GREETING", b"220 fake ready\r\n"))
        state = _FtpState()
        try:
            while True:
                line = peer.read_line()
                if line is None:
                    return
                text = line.decode("latin-1").rstrip("\r\n")
                self.commands.append(text)
                verb, _, argument = text.partition(" ")
                if verb in self.replies:
                    peer.send(self.replies[verb])
                    continue
                if not self._command(peer, state, verb, argument):
                    return
        finally:
            if state.listener is not None:
                state.listener.close()

    def _command(self, peer: Peer, state: _FtpState, verb: str, argument: str) -> bool:
        if verb == "USER":
            state.user = argument
            needs = self.passwords.get(argument, "") is not None
            peer.send(b"331 password please\r\n" if needs else b"230 welcome\r\n")
        elif verb == "PASS":
            expected = self.passwords.get(state.user or "")
            ok = expected is not None and argument == expected
            peer.send(b"230 logged in\r\n" if ok else b"530 login incorrect\r\n")
        elif verb == "CWD":
            state.directory = argument
            peer.send(b"250 ok\r\n")
        elif verb == "TYPE":
            peer.send(b"200 type set\r\n")
        elif verb == "PASV":
            state.listener = socket.create_server((self.data_listener_host, 0))
            state.listener.settimeout(IO_LIMIT)
            port = state.listener.getsockname()[1]
            host = self.pasv_host or "127,0,0,1"
            peer.send(f"227 Entering Passive Mode ({host},{port // 256},{port % 256})\r\n".encode())
        elif verb in ("RETR", "NLST", "STOR"):
            self._transfer(peer, state, verb, argument)
        elif verb == "QUIT":
            peer.send(b"221 bye\r\n")
            return False
        else:
            peer.send(b"502 not implemented\r\n")
        return True

    def _transfer(self, peer: Peer, state: _FtpState, verb: str, argument: str) -> None:
        path = f"{state.directory}/{argument}" if state.directory else argument
        if verb == "RETR" and path not in self.files:
            peer.send(b"550 no such file\r\n")
            return
        assert state.listener is not None, "transfer without PASV"
        peer.send(b"150 opening data connection\r\n")
        data, _ = state.listener.accept()
        self.data_connections += 1
        state.listener.close()
        state.listener = None
        with data:
            data.settimeout(IO_LIMIT)
            try:
                if verb == "STOR":
                    self.files[path] = _read_all(data)
                elif verb == "RETR":
                    data.sendall(self.files[path])
                else:
                    prefix = f"{state.directory}/" if state.directory else ""
                    names = [key[len(prefix) :] for key in self.files if key.startswith(prefix)]
                    data.sendall(b"".join(name.encode() + b"\r\n" for name in names if "/" not in name))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client aborted
        peer.send(self.after_transfer)


@dataclass
class _FtpState:
    user: str | None = None
    directory: str = ""
    listener: socket.socket | None = None


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


# -- SMTP ---------------------------------------------------------------------


def require_root_for_port_25() -> None:
    if os.geteuid() != 0:
        pytest.skip("SMTP tests bind a loopback address on port 25, which needs root")


@dataclass
class SmtpFake:
    """An SMTP server on its own 127.a.b.c, port 25 (the manual fixes the port)."""

    # verb (or "GREETING", "MESSAGE" for the end of DATA) -> reply; None: hang up instead
    replies: dict[str, bytes | None] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)  # DATA content, terminator included

    def __post_init__(self) -> None:
        require_root_for_port_25()
        self.server = unique_loopback_server(self._session, 25)

    @property
    def host(self) -> str:
        return str(self.server.host)

    def __enter__(self) -> SmtpFake:
        self.server.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.server.__exit__(kind, error, trace)

    def _reply(self, peer: Peer, key: str, default: bytes) -> bool:
        """Send the reply for ``key``; False if the script says to hang up instead."""
        reply = self.replies.get(key, default)
        if reply is None:
            return False
        peer.send(reply)
        return True

    def _session(self, peer: Peer) -> None:
        if not self._reply(peer, "GREETING", b"220 fake smtp\r\n"):
            return
        while True:
            line = peer.read_line()
            if line is None:
                return
            text = line.decode("latin-1").rstrip("\r\n")
            self.commands.append(text)
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "DATA" and "DATA" not in self.replies:
                peer.send(b"354 go ahead\r\n")
                self.messages.append(_read_message(peer))
                verb = "MESSAGE"
            if verb == "QUIT":
                self._reply(peer, "QUIT", b"221 bye\r\n")
                return
            if not self._reply(peer, verb, b"250 queued\r\n" if verb == "MESSAGE" else b"250 ok\r\n"):
                return


def _read_message(peer: Peer) -> bytes:
    lines = []
    while True:
        line = peer.read_line()
        if line is None:
            break
        lines.append(line)
        if line == b".\r\n":
            break
    return b"".join(lines)
