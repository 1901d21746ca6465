"""Plain-socket clients that measure what the peers alone can deliver: each workload's ceiling.

A candidate's figure means something only if the peer on the other end was
not the limit. Each client here does a workload's exchange with nothing but
Python's ``socket`` module (and the standard library's FTP client, which
is plain sockets too), against the same peers the
candidate meets, and times its work the way a candidate's own loop is
timed: from the first request to the last byte. Its rate is reported beside
the candidate's as the peer's ceiling: a candidate close to it is being
held back by the harness, not by itself. So a client does as little as it
can: the downloads read into one reused buffer, the uploads hand their
bodies to the kernel from a file (``upload_source``) instead of copying
them out of this process.

A client runs in a child process of its own (``ceiling_child``), as a
driver does, so that it never competes with the peers for this
interpreter. It gets a ``ClientJob`` (plain data: the peer's address, the
workload's size and repetitions, the client's parameters from
``workload.ceiling`` and, for ``udp-receive``, the descriptor of a socket
the harness bound and published beforehand) and returns its seconds, or
raises ``CeilingError`` when the exchange went wrong.
"""

from __future__ import annotations

import ftplib
import io
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from harness.peers.udp_batch import DatagramReader

CLIENT_PARAMS: dict[str, tuple[str, ...]] = {
    "tcp-drain": (),
    "tcp-echo": ("length!",),
    "udp-receive": ("save!", "signal!"),
    "http-get": ("path!",),
    "http-post": ("path!", "pattern"),
    "ftp-get": ("path!",),
    "ftp-put": ("path!", "pattern"),
    "smtp-send": ("from!", "to!", "length!"),
}
"""Each client's parameters in ``workload.ceiling`` (besides ``client`` and ``peer``); ``!`` = required."""

RECEIVE_BLOCK = 1 << 20
UPLOAD_FILE_SIZE = 1 << 22
"""Bytes of the upload pattern in the file the upload clients send from (at most; less for a smaller body)."""
DATAGRAM_TIMEOUT = 2.0
"""Seconds ``udp-receive`` waits for the next datagram before calling the rest lost."""
IO_TIMEOUT = 60.0


@contextmanager
def upload_source(job: ClientJob) -> Iterator[BinaryIO]:
    """An in-memory file (a ``memfd``) of whole periods of the upload's ``pattern`` (default "u").

    The upload clients hand the body to the kernel with ``sendfile``, so
    that no copy from this process's memory is timed. That copy was the
    ceiling clients' own limit, and an erratic one: its speed depends on
    where the source starts within a page relative to where the kernel
    puts the bytes, which the client does not choose. In the same child
    process, against the same server, ``perf.ftp.put.64mib`` ran at
    medians of 1050-1315 MB/s sent from the start of a page and 2013-2299
    from 64 or 2048 bytes in, and ``perf.http.post.64mib`` the other way
    round, 2491-2666 from the start of a page and 1112-1140 from 64 bytes
    in (its request head had moved the kernel's side). From this file, in
    rounds alternating with the reference's own client: medians of 1479
    and 1775 against the reference's 1162 and 1640 for the FTP upload,
    2341 against 2423 for the HTTP one.

    Give a workload's own pattern so that a server told to expect it
    (``expect_body``, ``expect_uploads``) compares instead of hashing, as it
    does for the candidates; whole periods keep consecutive sends in phase.
    """
    pattern = str(job.params.get("pattern", "u")).encode("latin-1") or b"u"
    periods = max(1, min(job.per_repetition, UPLOAD_FILE_SIZE) // len(pattern))
    with os.fdopen(os.memfd_create("lsconform-upload"), "w+b") as source:
        source.write(pattern * periods)
        source.flush()
        yield source


def send_body(sock: socket.socket, source: BinaryIO, size: int) -> None:
    """Send ``size`` bytes of ``source``'s content, over and over from its start, with ``sendfile``."""
    length = os.fstat(source.fileno()).st_size
    left = size
    while left:
        count = min(left, length)
        sock.sendfile(source, 0, count)  # all of it, or it raises
        left -= count


class CeilingError(Exception):
    """The plain-socket exchange did not go as the workload says."""


@dataclass(frozen=True)
class ClientJob:
    """Everything a client needs, as plain data that can cross to a child process."""

    client: str
    host: str
    port: int
    size: int
    repetitions: int
    params: Mapping[str, Any] = field(default_factory=dict)
    fd: int | None = None  # udp-receive: the socket the harness bound and published

    @property
    def per_repetition(self) -> int:
        """Units of work in one repetition of the timed call (the size split evenly)."""
        return self.size // self.repetitions


Client = Callable[[ClientJob], float]


def tcp_drain(job: ClientJob) -> float:
    """Connect and read until the peer closes, into one reused buffer."""
    with socket.create_connection((job.host, job.port), timeout=IO_TIMEOUT) as sock:
        view = memoryview(bytearray(RECEIVE_BLOCK))
        total = 0
        started = time.perf_counter()
        while received := sock.recv_into(view):
            total += received
        elapsed = time.perf_counter() - started
    if not total:
        raise CeilingError("the peer sent nothing")
    return elapsed


def tcp_echo(job: ClientJob) -> float:
    """``size`` request/response exchanges of ``length`` bytes each, one at a time."""
    length = int(job.params["length"])
    message = b"p" * length
    reply = memoryview(bytearray(length))
    with socket.create_connection((job.host, job.port), timeout=IO_TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.perf_counter()
        for number in range(job.size):
            sock.sendall(message)
            got = 0
            while got < length:
                received = sock.recv_into(reply[got:])
                if not received:
                    raise CeilingError(f"the peer closed during exchange {number + 1}")
                got += received
        return time.perf_counter() - started


def udp_receive(job: ClientJob) -> float:
    """Receive ``size`` datagrams on the socket the harness bound (its address is what the peer reads).

    Many per system call (``harness.peers.udp_batch``): a plain ``recv``
    loop in Python is slower than a C candidate, and would make the peer
    look slower than it is.
    """
    if job.fd is None:
        raise CeilingError("udp-receive needs the socket the harness bound")
    with socket.socket(fileno=job.fd) as sock:
        sock.setblocking(True)
        seconds = int(DATAGRAM_TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                        struct.pack("ll", seconds, int((DATAGRAM_TIMEOUT - seconds) * 1e6)))
        reader = DatagramReader(sock)
        received = 0
        started = time.perf_counter()
        while received < job.size:
            count = reader.read()
            if not count:
                raise CeilingError(f"datagram {received + 1} of {job.size} did not arrive within "
                                   f"{DATAGRAM_TIMEOUT:g}s")
            received += count
        return time.perf_counter() - started


def http_get(job: ClientJob) -> float:
    """The timed call's repetitions as plain HTTP/1.0 GETs, each read to the end."""
    request = (f"GET {job.params['path']} HTTP/1.0\r\nHost: {job.host}:{job.port}\r\n\r\n"
               .encode("latin-1"))
    view = memoryview(bytearray(RECEIVE_BLOCK))
    started = time.perf_counter()
    for _ in range(job.repetitions):
        with socket.create_connection((job.host, job.port), timeout=IO_TIMEOUT) as sock:
            sock.sendall(request)
            while sock.recv_into(view):
                pass
    return time.perf_counter() - started


def http_post(job: ClientJob) -> float:
    """The timed call's repetitions as plain POSTs of an equal share of the size each."""
    body_size = job.per_repetition
    head = (f"POST {job.params['path']} HTTP/1.0\r\nHost: {job.host}:{job.port}\r\n"
            f"Content-Length: {body_size}\r\n\r\n").encode("latin-1")
    view = memoryview(bytearray(65536))
    with upload_source(job) as source:
        started = time.perf_counter()
        for _ in range(job.repetitions):
            with socket.create_connection((job.host, job.port), timeout=IO_TIMEOUT) as sock:
                sock.sendall(head)
                send_body(sock, source, body_size)
                while sock.recv_into(view):
                    pass
        return time.perf_counter() - started


def _ftp_session(job: ClientJob) -> ftplib.FTP:
    session = ftplib.FTP(timeout=IO_TIMEOUT)
    session.connect(job.host, job.port)
    session.login()  # anonymous
    return session


def _ftp(work: Callable[[], None]) -> None:
    """Run an FTP exchange; the server's error replies become ``CeilingError``s."""
    try:
        work()
    except ftplib.Error as error:
        raise CeilingError(f"FTP: {error}") from None


def ftp_get(job: ClientJob) -> float:
    """One anonymous session per repetition, each retrieving the file in binary mode into one buffer.

    The data connection is read with ``recv_into``, as ``http-get`` reads:
    ftplib's ``retrbinary`` makes a new bytes object of every read, which
    held this ceiling near 600 MB/s, below what candidates reach.
    """
    view = memoryview(bytearray(RECEIVE_BLOCK))
    received = 0

    def work() -> None:
        nonlocal received
        for _ in range(job.repetitions):
            session = _ftp_session(job)
            session.voidcmd("TYPE I")
            with session.transfercmd(f"RETR {job.params['path']}") as data:
                while count := data.recv_into(view):
                    received += count
            session.voidresp()
            session.quit()

    started = time.perf_counter()
    _ftp(work)
    elapsed = time.perf_counter() - started
    if received != job.size:
        raise CeilingError(f"the FTP server sent {received} bytes in all, not {job.size}")
    return elapsed


def ftp_put(job: ClientJob) -> float:
    """One anonymous session per repetition, each storing an equal share of the size in binary mode."""

    def work() -> None:
        for _ in range(job.repetitions):
            session = _ftp_session(job)
            session.voidcmd("TYPE I")
            with session.transfercmd(f"STOR {job.params['path']}") as data:
                send_body(data, source, job.per_repetition)
            session.voidresp()
            session.quit()

    with upload_source(job) as source:
        started = time.perf_counter()
        _ftp(work)
        return time.perf_counter() - started


SMTP_LINE = b"\r\n" + b"m" * 62
"""The ceiling's message body is made of such 64-byte pieces: short lines, as SMTP requires."""


def _smtp_reply(stream: io.BufferedReader, expected: bytes) -> None:
    """Read one (possibly multi-line) reply; its code must be ``expected``."""
    while True:
        line = stream.readline()
        if not line:
            raise CeilingError("the SMTP server closed the connection")
        if line[3:4] != b"-":
            break
    if not line.startswith(expected):
        raise CeilingError(f"SMTP reply {line.strip()!r}, expected {expected.decode()}")


def smtp_send(job: ClientJob) -> float:
    """``size`` messages, one session each, the dialogue ``smtp_mail`` has, over a plain socket."""
    sender, recipient = str(job.params["from"]), str(job.params["to"])
    body = SMTP_LINE * (int(job.params["length"]) // len(SMTP_LINE))
    dialogue = [(None, b"220"), (b"HELO localhost\r\n", b"250"),
                (f"MAIL FROM:<{sender}>\r\n".encode("latin-1"), b"250"),
                (f"RCPT TO:<{recipient}>\r\n".encode("latin-1"), b"250"), (b"DATA\r\n", b"354"),
                (b"Subject: ceiling\r\n\r\n" + body + b"\r\n.\r\n", b"250"), (b"QUIT\r\n", b"221")]
    started = time.perf_counter()
    for _ in range(job.size):
        with socket.create_connection((job.host, job.port), timeout=IO_TIMEOUT) as sock, \
                sock.makefile("rb") as stream:
            for line, expected in dialogue:
                if line is not None:
                    sock.sendall(line)
                _smtp_reply(stream, expected)
    return time.perf_counter() - started


CLIENTS: dict[str, Client] = {
    "tcp-drain": tcp_drain,
    "tcp-echo": tcp_echo,
    "udp-receive": udp_receive,
    "http-get": http_get,
    "http-post": http_post,
    "ftp-get": ftp_get,
    "ftp-put": ftp_put,
    "smtp-send": smtp_send,
}
assert set(CLIENTS) == set(CLIENT_PARAMS), "every ceiling client needs its parameter list"
