"""One HTTP connection of the fake server: read a request, answer it, close gracefully.

Runs in its own thread with a blocking socket. The parsing and the choice of
response live in ``wire.py`` and ``routing.py``; this module moves bytes and
applies the timing faults (delay, stall). Stopping the server shuts the
socket down, which wakes any blocking call here, and sets ``stopping``,
which ends any delay or stall.

One request per connection: after the response the server half-closes its
side and reads until the client closes (a "lingering close", so the client
never sees a reset while data is still unread), then closes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fakeservers.events import REPLY_KEEP, WireTranscript
from fakeservers.http.config import HttpConfig
from fakeservers.http.routing import BAD_REQUEST_BODY, ResponsePlan, plan_response, simple_response
from fakeservers.http.wire import (
    LengthDecoder,
    MalformedRequest,
    RequestHead,
    body_decoder,
    find_head_end,
    parse_head,
)
from fakeservers.payload import DIGEST, FULL, BodyRecorder, Payload
from fakeservers.read_batching import pause_after
from fakeservers.read_buffers import read_buffer

RECV_SIZE = 64 * 1024
BODY_RECV_SIZE = 1024 * 1024
"""Bytes per read of a body that is only digested: large reads into one reused buffer keep the
server's per-byte work to the kernel's copy and the SHA-256, or the comparison with the route's
``expect_body`` (no allocation per read), so the fake server is not what limits an upload benchmark."""
LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class HttpRequest:
    """One request as the server received it.

    ``raw`` is every byte of the request as it arrived (head and body, chunk
    framing included); for a route with ``record_body: digest`` it holds the
    head only and the body is known by ``body_length`` and ``body_sha256``
    (``body`` is then None). ``error`` is set for a request the server could
    not parse or that ended early; the other fields hold what was understood.
    """

    connection: int
    method: str = ""
    target: str = ""
    version: str = ""
    request_line: bytes = b""
    header_lines: tuple[bytes, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = b""
    body_length: int = 0
    body_sha256: str = ""
    raw: bytes = b""
    error: str = ""


class Stopped(Exception):
    """The server is stopping: end this exchange now."""


class Exchange:
    """Serves one accepted connection; ``run`` always closes it and records how it ended."""

    def __init__(self, sock: socket.socket, connection: int, config: HttpConfig, transcript: WireTranscript,
                 record: Callable[[HttpRequest], None], stopping: threading.Event,
                 address: tuple[str, int]) -> None:
        self.sock = sock
        self.connection = connection
        self.config = config
        self.transcript = transcript
        self.record = record
        self.stopping = stopping
        self.address = address

    def run(self, before_close: Callable[[], None] = lambda: None) -> None:
        """Serve the connection; ``before_close`` is called just before the close is recorded."""
        by = "client"
        try:
            plan = self._read_request()
            if plan is not None:
                self._send(plan)
                by = self._linger()
        except Stopped:
            by = "stop"
        except OSError:
            by = "stop" if self.stopping.is_set() else "client"
        except Exception as error:  # a bug here: leave a trace in the transcript, then let it surface
            self.transcript.note(self.connection, f"internal error: {error!r}", warning=True)
            by = "server"
            raise
        finally:
            self.sock.close()
            before_close()
            self.transcript.closed(self.connection, by)

    # -- request --------------------------------------------------------------

    def _recv(self, record: bool = True) -> bytes:
        data = self.sock.recv(RECV_SIZE)
        if self.stopping.is_set():
            raise Stopped
        if record:
            self.transcript.received(self.connection, data)
        return data

    def _recv_into(self, buffer: memoryview) -> memoryview:
        """A read the transcript does not keep, into ``buffer``: valid until the next read."""
        count = self.sock.recv_into(buffer)
        if self.stopping.is_set():
            raise Stopped
        return buffer[:count]

    def _read_request(self) -> ResponsePlan | None:
        buffer = b""
        try:
            while (end := find_head_end(buffer)) is None:
                data = self._recv()
                if not data:
                    if buffer:
                        self.record(HttpRequest(self.connection, raw=buffer,
                                                error="connection closed before the end of the request head"))
                    return None
                buffer += data
            head = parse_head(buffer[:end])
        except MalformedRequest as error:
            return self._bad_request(buffer, str(error))
        self.transcript.command(self.connection, head.request_line)
        route = self.config.route_for(head.method, head.target)
        mode = route.record_body if route is not None else FULL
        echo = route is not None and route.echo
        try:
            body, problem = self._read_body(head, buffer[end:], mode, echo,
                                            route.expect_body if route is not None else None)
        except MalformedRequest as error:
            return self._bad_request(buffer, str(error), head)
        self.record(_request(self.connection, head, body, mode, problem))
        if problem:
            return None
        return plan_response(self.config, head, body.data if echo else None, *self.address)

    def _read_body(self, head: RequestHead, first: bytes, mode: str, echo: bool,
                   expected: Payload | None) -> tuple[_Body, str]:
        decoder = body_decoder(head)
        # An echo route needs the bytes whatever is recorded; the record drops them later.
        recorder = BodyRecorder(FULL if echo else mode, expected=expected)
        raw_parts = [head.raw]
        # A body kept in full is recorded as it arrives; one only digested is read in place
        # (the decoders and the recorder copy whatever they keep).
        # Such a read pauses after a small read while much is still to come (``read_batching``).
        buffer = None if mode == FULL else read_buffer(BODY_RECV_SIZE)
        data: bytes | memoryview = first
        pause = 0.0
        while True:
            if mode == FULL:
                raw_parts.append(data)
            for piece in decoder.feed(data):
                recorder.add(piece)
            if decoder.done:
                break
            if buffer is None:
                data = self._recv()
            else:
                if pause:
                    time.sleep(pause)
                data = self._recv_into(buffer)
                left = decoder.remaining - len(data) if isinstance(decoder, LengthDecoder) else None
                pause = pause_after(len(data), left)
            if not data:
                return _Body(recorder, raw_parts), f"connection closed after {recorder.length} body bytes"
        if mode == DIGEST and recorder.length:
            result = recorder.result()
            summary = f"request body: {result.length} bytes, sha256 {result.sha256}"
            self.transcript.note(self.connection, summary)
        return _Body(recorder, raw_parts), ""

    def _bad_request(self, buffer: bytes, message: str, head: RequestHead | None = None) -> ResponsePlan:
        fields: dict[str, Any] = {}
        if head is not None:
            fields = {"method": head.method, "target": head.target, "version": head.version,
                      "request_line": head.request_line, "header_lines": head.header_lines,
                      "headers": dict(head.headers)}
        self.record(HttpRequest(self.connection, raw=buffer, error=message, **fields))
        self.transcript.note(self.connection, f"malformed request: {message}", warning=True)
        return simple_response(400, BAD_REQUEST_BODY, "GET", f"400: {message}")

    # -- response -------------------------------------------------------------

    def _send(self, plan: ResponsePlan) -> None:
        self.transcript.note(self.connection, plan.summary, warning=plan.warning)
        if plan.delay:
            self.transcript.note(self.connection, f"delaying the response {plan.delay:g}s")
            if self.stopping.wait(plan.delay):
                raise Stopped
        body_limit = None if isinstance(plan.stall, bool) else plan.stall
        if plan.raw is not None:
            self._send_pieces(iter([plan.raw]), body_limit)
        else:
            self._send_pieces(iter([plan.head]), None)
            if plan.stall is not True:
                self._send_pieces(plan.body_frames(), body_limit)
        if plan.stall is not False:
            self._stall()

    def _send_pieces(self, pieces: Iterator[bytes], limit: int | None) -> None:
        """Send pieces as one reply (in the transcript); with ``limit``, no more than that many bytes."""
        kept = bytearray()
        sent = 0
        try:
            for piece in pieces:
                if limit is not None:
                    piece = piece[: limit - sent]
                self.sock.sendall(piece)
                sent += len(piece)
                if len(kept) < REPLY_KEEP:
                    kept += piece[: REPLY_KEEP - len(kept)]
                if limit is not None and sent >= limit:
                    break
        finally:
            if sent:
                self.transcript.reply(self.connection, bytes(kept), size=sent)

    def _stall(self) -> None:
        """Go silent until the server stops (or the client leaves), reading whatever arrives."""
        self.transcript.note(self.connection, "stalled: nothing more will be sent")
        while self._recv():
            pass
        raise OSError("the client closed during a stall")

    def _linger(self) -> str:
        """Half-close, then read until the client closes (bounded); who closed first."""
        self.sock.shutdown(socket.SHUT_WR)
        self.sock.settimeout(LINGER_SECONDS)
        try:
            while self._recv():
                pass
        except TimeoutError:
            pass
        return "server"


class _Body:
    """The request body as read: bytes for echo routes and the record, plus the raw request."""

    def __init__(self, recorder: BodyRecorder, raw_parts: list[bytes]) -> None:
        self.record = recorder.result()
        self.raw = b"".join(raw_parts)

    @property
    def data(self) -> bytes:
        return self.record.data or b""


def _request(connection: int, head: RequestHead, body: _Body, mode: str, problem: str) -> HttpRequest:
    return HttpRequest(
        connection=connection, method=head.method, target=head.target, version=head.version,
        request_line=head.request_line, header_lines=head.header_lines, headers=dict(head.headers),
        body=body.record.data if mode == FULL else None, body_length=body.record.length,
        body_sha256=body.record.sha256, raw=body.raw, error=problem)
