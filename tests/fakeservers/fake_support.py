"""Small plain-socket clients for the fake server tests (every socket closes on return)."""

from __future__ import annotations

import socket
import time

from fakeservers import FakeServer
from fakeservers.events import CONTROL, Closed

TIMEOUT = 5.0


def read_until_close(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def http_exchange(host: str, port: int, request: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send ``request`` as is and return everything the server sends until it closes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        return read_until_close(sock)


def split_response(response: bytes) -> tuple[bytes, bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


def read_line(sock: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        line += chunk
    return line


def read_reply(sock: socket.socket) -> bytes:
    """One SMTP/FTP reply, multi-line ones included ("250-..." up to "250 ...")."""
    lines = [read_line(sock)]
    code = lines[0][:3]
    if lines[0][3:4] == b"-":
        while lines[-1] and not (lines[-1][:3] == code and lines[-1][3:4] == b" "):
            lines.append(read_line(sock))
    return b"".join(lines)


def elapsed_since(start: float) -> float:
    return time.monotonic() - start


def wait_sessions_closed(server: FakeServer, count: int = 1) -> None:
    """Wait until ``count`` control connections are recorded closed, as a ``check:`` step settles.

    A server may send its last reply before it records the command (the
    sinks answer first), so what it received is complete only then.
    """
    def closed(_: object) -> bool:
        return sum(isinstance(e, Closed) and e.channel == CONTROL for e in server.transcript.all()) >= count

    assert server.transcript.wait_for(closed, TIMEOUT) is not None, f"{count} session(s) not closed"


def passive_session(server: FakeServer) -> tuple[socket.socket, int]:
    """A control connection logged in as anonymous after PASV, and the data port PASV named."""
    control = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    assert read_reply(control).startswith(b"220")
    for line, code in ((b"USER anonymous", b"331"), (b"PASS a@b", b"230"), (b"PASV", b"227")):
        control.sendall(line + b"\r\n")
        reply = read_reply(control)
        assert reply.startswith(code)
    numbers = reply.split(b"(")[1].split(b")")[0].split(b",")
    return control, int(numbers[4]) * 256 + int(numbers[5])
