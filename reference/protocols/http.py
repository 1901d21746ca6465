"""The manual's HTTP functions: ``http_request``, ``http_get``, ``http_post`` and the
indirect (callback) forms ``http_requestindirect``, ``http_getindirect``,
``http_postindirect`` (manual "HTTP"; spec §14).

Returns, as the manual gives them (Python tuples are the Lua return lists):

* ``http_request(method, url [, req_hdrs, req_body, stay])`` and
  ``http_get(url [, req_hdrs, stay])``, ``http_post(url, req_body [, req_hdrs,
  stay])`` -> ``(body, headers, status_line, err)``;
* ``http_requestindirect(method, url, resp_body_cb [, req_hdrs, req_body_cb,
  stay])``, ``http_getindirect(url, resp_body_cb [, req_hdrs, stay])``,
  ``http_postindirect(url, resp_body_cb, req_body_cb [, req_hdrs, stay])`` ->
  ``(headers, status_line, err)``.

``body`` is ``bytes`` (``b""`` when the response has none), ``headers`` a dict
of lower-cased ``str`` names to ``str`` values (latin-1, so bytes round-trip),
``status_line`` the whole line, e.g. ``"HTTP/1.1 200 OK"`` (the manual's example
shows only "401 ..."; spec §16 #6), ``err`` None on success. A 4xx or 5xx
response is a success: the status says what happened.

On failure the call returns whatever it retrieved, nil for the rest, and the
message: ``(None, None, None, "connection refused")`` before a response,
``(None, None, status_line, err)`` when the headers failed, ``(partial_body,
headers, status_line, err)`` when the body failed. Nothing the network or the
peer does raises (1.3b raised in several places: DIVERGENCES.md #33-#35, #41);
only misuse of the API raises :class:`reference.LuaError`.

The request goes to ``host`` (default port 80) over a fresh connection, with
a limit of :data:`HTTP_WAIT` seconds on every wait once connected. Framing,
safety checks, redirects and callbacks follow ``http_framing``,
``http_body``, ``redirects`` and ``callbacks``; the fixed 1.3b defects are
listed in ``reference/DIVERGENCES.md`` ("Protocols").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference.args import settle
from reference.protocols.arguments import (
    callback,
    header_pairs,
    is_set,
    optional_callback,
    optional_data,
    text,
)
from reference.protocols.callbacks import BytesSource, CallbackSink, CallbackSource, Collector, Sink, Source
from reference.protocols.errors import BAD_SCHEME, CallFailed
from reference.protocols.http_body import body_framer
from reference.protocols.http_exchange import Progress, read_body, read_head, send_request
from reference.protocols.http_framing import (
    DEFAULT_PORT,
    basic_credentials,
    check_headers,
    check_method,
    request_headers,
)
from reference.protocols.redirects import RedirectPolicy
from reference.protocols.url import Url, http_target, parse_url
from reference.protocols.wire import Connection

HTTP_WAIT = 60.0

DirectResult = tuple[bytes | None, dict[str, str] | None, str | None, str | None]
IndirectResult = tuple[dict[str, str] | None, str | None, str | None]


@dataclass(frozen=True)
class _Body:
    """The request body: none, a byte string (can be resent) or a send callback."""

    data: bytes | None = None
    producer: Callable[..., Any] | None = None

    @property
    def replayable(self) -> bool:
        return self.producer is None

    def source(self) -> Source | None:
        if self.producer is not None:
            return CallbackSource(self.producer)
        return None if self.data is None else BytesSource(self.data)


def _parse_http_url(url_text: str) -> Url:
    url = parse_url(url_text)
    if url.scheme not in (None, "http"):
        raise CallFailed(BAD_SCHEME)
    return url


def _perform(
    method_text: str, url_text: str, sink: Sink, pairs: list[tuple[str, str]], body: _Body, stay: bool
) -> tuple[Progress, str | None]:
    """Run the request, following redirects; returns the last response's progress and error."""
    progress = Progress()
    try:
        method = check_method(method_text)
        url = _parse_http_url(url_text)
        caller = check_headers(pairs)
        credentials = basic_credentials(url)
        policy = RedirectPolicy(url)
        while True:
            progress = Progress()
            headers = request_headers(
                url,
                policy.caller_headers_for(url, caller),
                credentials if policy.sends_credentials(url) else None,
                None,
            )
            conn = Connection.open(url.host, url.port_or(DEFAULT_PORT), HTTP_WAIT)
            try:
                send_request(conn, method, http_target(url), headers, body.source())
                read_head(conn, progress)
                assert progress.headers is not None
                if policy.should_follow(method, progress.code, progress.headers, stay, body.replayable):
                    url = policy.next_url(url, progress.headers["location"])
                    continue
                progress.body_started = True
                read_body(conn, body_framer(method, progress.code, progress.headers), sink)
            finally:
                conn.close()
            sink.end()
            return progress, None
    except CallFailed as failure:
        return progress, sink.fail(failure.message)


def _direct(
    method: str, url: str, pairs: list[tuple[str, str]], data: bytes | None, stay: bool
) -> DirectResult:
    collector = Collector()
    progress, error = _perform(method, url, collector, pairs, _Body(data=data), stay)
    body = collector.data() if progress.body_started else None
    return body, progress.headers, progress.status_line, error


def _indirect(
    method: str,
    url: str,
    receive_cb: Callable[..., Any],
    pairs: list[tuple[str, str]],
    send_cb: Callable[..., Any] | None,
    stay: bool,
) -> IndirectResult:
    progress, error = _perform(method, url, CallbackSink(receive_cb), pairs, _Body(producer=send_cb), stay)
    return progress.headers, progress.status_line, error


def http_request(*args: object) -> DirectResult:
    """``http_request(method, url [, req_hdrs, req_body, stay])``."""
    method, url, req_hdrs, req_body, stay = settle(args, 5)
    return _direct(text(method), text(url), header_pairs(req_hdrs), optional_data(req_body), is_set(stay))


def http_get(*args: object) -> DirectResult:
    """``http_get(url [, req_hdrs, stay])``: GET, with no body (1.3b sent ``stay`` as one, #31)."""
    url, req_hdrs, stay = settle(args, 3)
    return _direct("GET", text(url), header_pairs(req_hdrs), None, is_set(stay))


def http_post(*args: object) -> DirectResult:
    """``http_post(url, req_body [, req_hdrs, stay])``."""
    url, req_body, req_hdrs, stay = settle(args, 4)
    return _direct("POST", text(url), header_pairs(req_hdrs), optional_data(req_body), is_set(stay))


def http_requestindirect(*args: object) -> IndirectResult:
    """``http_requestindirect(method, url, resp_body_cb [, req_hdrs, req_body_cb, stay])``."""
    method, url, resp_body_cb, req_hdrs, req_body_cb, stay = settle(args, 6)
    return _indirect(
        text(method),
        text(url),
        callback(resp_body_cb, "resp_body_cb"),
        header_pairs(req_hdrs),
        optional_callback(req_body_cb, "req_body_cb"),
        is_set(stay),
    )


def http_getindirect(*args: object) -> IndirectResult:
    """``http_getindirect(url, resp_body_cb [, req_hdrs, stay])`` (1.3b's took a send callback, #32)."""
    url, resp_body_cb, req_hdrs, stay = settle(args, 4)
    return _indirect(
        "GET", text(url), callback(resp_body_cb, "resp_body_cb"), header_pairs(req_hdrs), None, is_set(stay)
    )


def http_postindirect(*args: object) -> IndirectResult:
    """``http_postindirect(url, resp_body_cb, req_body_cb [, req_hdrs, stay])`` (missing in 1.3b, #32)."""
    url, resp_body_cb, req_body_cb, req_hdrs, stay = settle(args, 5)
    return _indirect(
        "POST",
        text(url),
        callback(resp_body_cb, "resp_body_cb"),
        header_pairs(req_hdrs),
        callback(req_body_cb, "req_body_cb"),
        is_set(stay),
    )
