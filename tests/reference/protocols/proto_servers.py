"""Tiny loopback servers for the protocol clients' tests: one thread per connection.

:class:`ServerThread` listens (port 0 unless a test needs a fixed port),
hands each accepted connection to a handler as a :class:`Peer`, and on exit
closes the listener, every connection and joins every thread, re-raising the
first error a handler hit so that a broken fake fails the test loudly.
Handlers are plain functions: the protocol a test needs is written out in
the test or in ``proto_fakes.py``, never borrowed from the suite's fake
servers, so these tests stay independent of them.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

IO_LIMIT = 10.0  # seconds any server-side read or write may wait


class Peer:
    """The server's side of one connection, with buffered reads and a log."""

    def __init__(self, sock: socket.socket) -> None:
        sock.settimeout(IO_LIMIT)
        self.sock = sock
        self.received = bytearray()  # everything read, in order
        self._buffer = bytearray()
        self.closed_by_client = False

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            self.closed_by_client = True
            return False
        self._buffer += data
        self.received += data
        return True

    def read_line(self) -> bytes | None:
        """One line with its LF, or None if the client closed first."""
        while b"\n" not in self._buffer:
            if not self._fill():
                return None
        end = self._buffer.index(b"\n") + 1
        line = bytes(self._buffer[:end])
        del self._buffer[:end]
        return line

    def read_exact(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not self._fill():
                break
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def read_until_close(self) -> bytes:
        while self._fill():
            pass
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


Handler = Callable[[Peer], None]


class ServerThread:
    """Accept connections and run ``handler`` for each; a context manager."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self.listener = socket.create_server((host, port))
        self.host, self.port = self.listener.getsockname()[:2]
        self.peers: list[Peer] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> ServerThread:
        self._acceptor.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
        if kind is None and self.errors:
            raise self.errors[0]

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return  # the listener was shut down
            peer = Peer(sock)
            thread = threading.Thread(target=self._serve, args=(peer,), daemon=True)
            with self._lock:
                self.connections += 1
                self.peers.append(peer)
                self._threads.append(thread)
            thread.start()

    def _serve(self, peer: Peer) -> None:
        try:
            self._handler(peer)
        except BaseException as error:  # reported when the server stops
            self.errors.append(error)
        finally:
            peer.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        self.listener.close()
        self._acceptor.join(IO_LIMIT)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(IO_LIMIT * 2)
        for peer in self.peers:
            peer.close()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def random_loopback_hosts(tries: int = 200) -> Iterator[str]:
    """Random 127.a.b.c addresses: callers bind the first that is free.

    Drawn at random so that parallel test workers never collide on one.
    """
    rng = random.SystemRandom()
    for _ in range(tries):
        yield f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def unique_loopback_server(handler: Handler, port: int) -> ServerThread:
    """A server on a loopback address of its own at a fixed ``port`` (e.g. SMTP's 25).

    Binding a fixed low port needs root, which callers check first.
    """
    for host in random_loopback_hosts():
        try:
            return ServerThread(handler, host, port)
        except OSError:
            continue
    raise RuntimeError(f"no free loopback address for port {port}")


@contextlib.contextmanager
def quiet_listener(host: str = "127.0.0.1", port: int = 0) -> Iterator[socket.socket]:
    """A non-blocking listener nobody accepts on: shows whether a client connected at all."""
    listener = socket.create_server((host, port))
    listener.setblocking(False)
    try:
        yield listener
    finally:
        listener.close()


def closed_port() -> int:
    """A loopback port nobody listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def connection_attempts(listener: socket.socket) -> int:
    """How many connections wait in a non-blocking ``listener``'s queue (each is closed).

    A client's connect completes in the kernel before ``connect`` returns, so
    right after a call this count says whether the call connected at all.
    """
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def sent_to(listener: socket.socket) -> bytes:
    """Everything the one client that connected to ``listener`` sent before closing."""
    listener.setblocking(True)
    listener.settimeout(IO_LIMIT)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(IO_LIMIT)
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def address_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"{host}:{port}"
