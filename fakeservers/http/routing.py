"""Which response a request gets: routes, redirects, the Basic challenge. No I/O.

``plan_response`` turns a parsed request and the configuration into a
``ResponsePlan``: the exact head bytes, the body payload and how to frame
it, and the timing faults (delay, stall) the socket layer must apply. The
plan is plain data, so every routing rule is testable without a network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fakeservers.http.config import CHUNKED, CLOSE, DEFAULT_CHUNKS, LENGTH, HttpConfig, Route, standard_reason
from fakeservers.http.wire import (
    RequestHead,
    authorization_matches,
    chunk_frames,
    has_header,
    has_no_body,
    render_head,
    status_line,
)
from fakeservers.payload import Payload

CHALLENGE_BODY = b"401 Authorization Required\n"
NOT_FOUND_BODY = b"404 Not Found\n"
BAD_REQUEST_BODY = b"400 Bad Request\n"


@dataclass(frozen=True)
class ResponsePlan:
    """Everything the socket layer needs to send one response."""

    head: bytes
    body: Payload
    framing: str = LENGTH
    chunks: tuple[int, ...] = DEFAULT_CHUNKS
    delay: float = 0.0
    stall: bool | int = False  # True: after the head; N: after N body bytes (before framing)
    raw: bytes | None = None  # sent instead of head and body
    summary: str = ""
    warning: bool = False  # the request matched nothing configured: the summary is a warning note

    def body_frames(self) -> Iterator[bytes]:
        """The body as it goes on the wire (chunk framing included)."""
        if self.framing == CHUNKED:
            return chunk_frames(self.body.chunks(), self.chunks)
        return self.body.chunks()


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def expand_url(template: str, host: str, port: int) -> str:
    """Fill ``{host}`` and ``{port}`` with this server's address (IPv6 hosts get brackets)."""
    return template.replace("{host}", url_host(host)).replace("{port}", str(port))


def plan_response(config: HttpConfig, head: RequestHead, request_body: bytes | None,
                  host: str, port: int) -> ResponsePlan:
    """The response to a well-formed request; ``request_body`` is only needed by echo routes."""
    route = config.route_for(head.method, head.target)
    if route is None:
        return simple_response(404, NOT_FOUND_BODY, head.method, f"no route for {head.method} {head.target}",
                               warning=True)
    if route.raw is not None:
        return ResponsePlan(head=b"", body=Payload.of(b""), delay=route.delay, stall=route.stall,
                            raw=route.raw, summary=f"route {route.path}: {len(route.raw)} raw bytes")
    if route.auth is not None and not authorization_matches(head.headers.get("authorization"),
                                                            route.auth.user, route.auth.password):
        challenge = (f'WWW-Authenticate: Basic realm="{route.auth.realm}"').encode("latin-1")
        plan = simple_response(401, CHALLENGE_BODY, head.method, f"route {route.path}: 401 challenge",
                               extra=(challenge,), reason="Authorization Required")
        return ResponsePlan(head=plan.head, body=plan.body, delay=route.delay, summary=plan.summary)
    body = Payload.of(request_body or b"") if route.echo else route.body
    return _route_response(route, head.method, body, host, port)


def _route_response(route: Route, method: str, body: Payload, host: str, port: int) -> ResponsePlan:
    headers = list(route.headers)
    if route.redirect is not None and not has_header(headers, "location"):
        headers.append(b"Location: " + expand_url(route.redirect, host, port).encode("latin-1"))
    first = route.status_line
    if first is None:
        reason = route.reason if route.reason is not None else standard_reason(route.status)
        first = status_line(route.version, route.status, reason)
    framing = route.framing
    if has_no_body(method, route.status):
        # HEAD still announces the length the body would have; 1xx/204/304 announce nothing.
        if method == "HEAD" and framing == LENGTH and not has_header(headers, "content-length"):
            headers.append(b"Content-Length: %d" % body.length)
        body, framing = Payload.of(b""), LENGTH
    elif framing == LENGTH and not has_header(headers, "content-length"):
        headers.append(b"Content-Length: %d" % body.length)
    elif framing == CHUNKED and not has_header(headers, "transfer-encoding"):
        headers.append(b"Transfer-Encoding: chunked")
    if not has_header(headers, "connection"):
        headers.append(b"Connection: close")
    summary = f"route {route.path}: {first.decode('latin-1')}, {body.length} body bytes, {framing} framing"
    if framing == CLOSE:
        summary += " (end of body = close)"
    return ResponsePlan(head=render_head(first, headers), body=body, framing=framing, chunks=route.chunks,
                        delay=route.delay, stall=route.stall, summary=summary)


def simple_response(status: int, body: bytes, method: str, summary: str, extra: tuple[bytes, ...] = (),
                    reason: str | None = None, warning: bool = False) -> ResponsePlan:
    """A small fixed response with Content-Length (404, 400, the 401 challenge)."""
    first = status_line("HTTP/1.1", status, reason if reason is not None else standard_reason(status))
    headers = [*extra, b"Content-Type: text/plain", b"Content-Length: %d" % len(body), b"Connection: close"]
    payload = Payload.of(b"" if method == "HEAD" else body)
    return ResponsePlan(head=render_head(first, headers), body=payload, summary=summary, warning=warning)
