"""One HTTP request and its response over one connection (the socket side of HTTP).

The steps, each delegated to a pure module for its rules:

1. :func:`send_request`: the send callback (if any) is asked for its first
   piece and the total *before* anything is written, because the head
   carries the content-length; so a callback that fails at once leaves
   nothing half-sent (1.3b had already sent the request line). Then the head
   and the body pieces go out.
2. :func:`read_head`: the status line and headers. Interim 1xx responses
   (``100 Continue``) are read and skipped, at most :data:`MAX_INTERIM` of
   them (1.3b returned "100 Continue" as the answer, DIVERGENCES.md #38).
3. :func:`read_body`: the framer decides what to read; each piece goes to
   the sink as soon as it arrives, so memory stays bounded by one block.

What was received so far is recorded in a :class:`Progress`, so that a call
that fails half-way can return "whatever it managed to retrieve" (manual).
"""

from __future__ import annotations

from dataclasses import dataclass

from reference.errors import CLOSED
from reference.protocols.callbacks import Sink, Source
from reference.protocols.errors import TOO_MANY_INTERIM, CallFailed
from reference.protocols.http_body import LINE, BodyFramer
from reference.protocols.http_framing import HeaderParser, request_head, status_code
from reference.protocols.wire import Connection

MAX_INTERIM = 10


@dataclass
class Progress:
    """What one response has delivered so far: None until received."""

    status_line: str | None = None
    headers: dict[str, str] | None = None
    code: int = 0
    body_started: bool = False


def send_request(
    conn: Connection, method: str, target: str, headers: dict[str, str], source: Source | None
) -> None:
    """Write the request; ``headers`` lacks content-length, added here from the source."""
    if source is None:
        conn.send(request_head(method, target, headers))
        return
    total = source.start()
    headers = {**headers, "content-length": str(total)}
    conn.send(request_head(method, target, headers))
    for piece in source.chunks():
        conn.send(piece)


def read_head(conn: Connection, progress: Progress) -> None:
    """Read status line and headers into ``progress``, skipping 1xx responses."""
    for _ in range(MAX_INTERIM + 1):
        status = conn.line().decode("latin-1")
        code = status_code(status)
        progress.status_line = status
        parser = HeaderParser()
        while not parser.add_line(conn.line()):
            pass
        if not 100 <= code < 200:
            progress.code = code
            progress.headers = parser.headers
            return
        progress.status_line = None
    raise CallFailed(TOO_MANY_INTERIM)


def read_body(conn: Connection, framer: BodyFramer, sink: Sink) -> None:
    """Stream the body into ``sink`` until the framer says it is complete."""
    while not framer.done:
        wanted = framer.next_read()
        if wanted == LINE:
            data, error = conn.raw_line()
        else:
            data, error = conn.read(wanted)
        for piece in framer.feed(data):
            sink.chunk(piece)
        if error == CLOSED:
            framer.at_close()
            return
        if error is not None:
            raise CallFailed(error)
