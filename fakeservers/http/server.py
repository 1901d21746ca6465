"""The fake HTTP server: an accept loop on raw sockets and a thread per live connection.

Raw sockets rather than ``http.server`` because scenarios need responses no
well-behaved library would send (a status line without a reason, a lying
Content-Length, a stall after the headers), and byte-exact records of the
request. The accept loop waits on a selector together with a wake-up
socket pair, so ``stop`` takes effect at once without polling. Connections
run on ``fakeservers.workers`` threads, reused from one to the next.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Mapping
from typing import Any

from fakeservers.addresses import bind_configured
from fakeservers.base import FakeServer
from fakeservers.events import WireTranscript
from fakeservers.http.config import HttpConfig, read_http_config
from fakeservers.http.exchange import Exchange, HttpRequest
from fakeservers.http.routing import url_host
from fakeservers.thread import ServingLoop
from fakeservers.workers import Workers

JOIN_SECONDS = 3.0


class HttpServer(FakeServer):
    """A scriptable HTTP/1.1 server (see ``fakeservers.http.config`` for the options)."""

    kind = "http"

    def __init__(self, config: HttpConfig | None = None, ready_timeout: float | None = None) -> None:
        self.config = config or HttpConfig()
        self._requests: list[HttpRequest] = []
        self._requests_lock = threading.Lock()
        super().__init__(ready_timeout)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None, prefix: str = "") -> HttpServer:
        return cls(read_http_config(raw, prefix))

    def _make_loop(self) -> ServingLoop:
        return _AcceptLoop(self.config, self.transcript, self._record)

    def _record(self, request: HttpRequest) -> None:
        with self._requests_lock:
            self._requests.append(request)

    @property
    def received(self) -> list[HttpRequest]:
        """Every request so far, in arrival order."""
        with self._requests_lock:
            return list(self._requests)

    def url(self, path: str = "/") -> str:
        return f"http://{url_host(self.host)}:{self.port}{path}"


class _AcceptLoop:
    """Accepts connections and hands each to an ``Exchange`` in its own thread."""

    def __init__(self, config: HttpConfig, transcript: WireTranscript, record: Any) -> None:
        self.config = config
        self.transcript = transcript
        self.record = record
        self.stopping = threading.Event()
        self.listener: socket.socket | None = None
        self.address: tuple[str, int] = (config.host, config.port)
        self.selector: selectors.BaseSelector | None = None
        self.wake_reader: socket.socket | None = None
        self.wake_writer: socket.socket | None = None
        self.workers = Workers("lsconform-fake-http")

    def bind(self) -> tuple[str, int]:
        self.listener = bind_configured(self.config.host, self.config.port, receive_buffer=self.config.rcvbuf)
        self.listener.setblocking(False)
        self.wake_reader, self.wake_writer = socket.socketpair()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self.wake_reader, selectors.EVENT_READ)
        self.address = self.listener.getsockname()[:2]
        return self.address

    def serve(self) -> None:
        assert self.selector is not None and self.listener is not None
        while not self.stopping.is_set():
            for key, _ in self.selector.select():
                if key.fileobj is self.listener and not self.stopping.is_set():
                    self._accept()

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            sock, peer = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(True)
        connection = self.transcript.new_connection()
        self.transcript.opened(connection, peer[:2])
        exchange = Exchange(sock, connection, self.config, self.transcript, self.record, self.stopping,
                            self.address)
        # Released just before the close is recorded: a client that sees it finds the thread idle.
        self.workers.submit(exchange.run, [sock])

    def shutdown(self) -> None:
        self.stopping.set()
        if self.wake_writer is not None:
            with contextlib.suppress(OSError):
                self.wake_writer.send(b"x")

    def close(self) -> None:
        self.stopping.set()
        if self.selector is not None:
            self.selector.close()
        for sock in (self.listener, self.wake_reader, self.wake_writer):
            if sock is not None:
                sock.close()
        self.workers.close(JOIN_SECONDS)  # wakes a thread blocked in recv/sendall by a shutdown
