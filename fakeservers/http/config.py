"""The fake HTTP server's configuration: routes and the responses they give.

As YAML (every key but ``path`` is optional)::

    host: 127.0.0.1                   # or auto: a random 127.x.y.z, port then defaulting to 80
    port: 0
    rcvbuf: 4194304                   # every connection's receive buffer, fixed (below)
    routes:
    - path: /index.html               # matched against the request target
      method: GET                     # default: any method
      status: 200                     # reason defaults to the standard phrase
      headers: [[Content-Type, text/html], "X-Raw:  kept verbatim"]
      body: "<html>...</html>"        # or !hex, or {size: 1073741824, pattern: "ab"}
      framing: chunked                # length (default) | chunked | close
      chunks: [5, 4096]               # chunk sizes; the last one repeats
    - {path: /moved, redirect: "http://{host}:{port}/index.html", status: 301}
    - {path: /private, auth: {user: luasocket, password: password}, body: secret}
    - {method: POST, path: /echo, echo: true, record_body: digest}
    - {method: POST, path: /sink, record_body: digest, expect_body: {size: 4194304, pattern: "ab"}}
    - {path: /slow, delay: 0.5, body: late}
    - {path: /stuck, stall: true}     # headers, then silence until stopped
    - {path: /bad, raw: "HTTP/1.1 200\\r\\nno colon here\\r\\n\\r\\n"}

A route's ``path`` matches a request whose target equals it, or whose
target with the query (``?...``) or fragment (``#...``) cut off equals it.
Routes are tried in order; no match gives 404. Headers are sent in the
given order; the server adds only the framing header (``Content-Length``
or ``Transfer-Encoding: chunked``, unless the route gives that header
itself: a wrong one is a way to send a malformed response) and
``Connection: close`` (unless given), because it closes every connection
after one response, as LuaSocket 1.3b's client expects.

``expect_body`` (a payload, as ``body``) names the request body the route
expects: the server compares what arrives with it instead of hashing it
(``fakeservers.payload``), and records the same ``body_sha256`` either way;
it changes what is recorded in no case, only what the recording costs.

``rcvbuf`` fixes the receive buffer of every connection, in bytes
(``fakeservers.addresses.set_receive_buffer``): for upload workloads, so
that the client is not kept waiting by a window the kernel would otherwise
grow from 128 KiB while the upload runs. It changes when a client's writes
block against a server that does not read (a stall), so conformance
scenarios leave it out.
"""

from __future__ import annotations

import http
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeservers.addresses import HTTP_PORT
from fakeservers.config import ConfigError, Fields, as_bytes, as_integer, as_list, describe
from fakeservers.payload import FULL, RECORD_MODES, Payload, read_expected, read_payload

LENGTH = "length"
CHUNKED = "chunked"
CLOSE = "close"
FRAMINGS = (LENGTH, CHUNKED, CLOSE)
DEFAULT_CHUNKS = (8192,)

_ROUTE_KEYS = ("path", "method", "status", "reason", "version", "status_line", "headers", "body", "echo",
               "framing", "chunks", "redirect", "auth", "delay", "stall", "raw", "record_body",
               "expect_body")


def standard_reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass(frozen=True)
class BasicAuth:
    user: bytes
    password: bytes
    realm: str = "lsconform"


@dataclass(frozen=True)
class Route:
    """One path (and method) and the response it gets."""

    path: str
    method: str | None = None
    status: int = 200
    reason: str | None = None  # None: the standard phrase
    version: str = "HTTP/1.1"
    status_line: bytes | None = None  # sent verbatim instead of version/status/reason
    headers: tuple[bytes, ...] = ()  # raw header lines, in order
    body: Payload = field(default_factory=lambda: Payload.of(b""))
    echo: bool = False
    framing: str = LENGTH
    chunks: tuple[int, ...] = DEFAULT_CHUNKS
    redirect: str | None = None
    auth: BasicAuth | None = None
    delay: float = 0.0
    stall: bool | int = False  # True: after the headers; a number: after that many body bytes
    raw: bytes | None = None
    record_body: str = FULL
    expect_body: Payload | None = None  # compared with the request body as it arrives (its digest read)

    def matches(self, method: str, target: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if target == self.path:
            return True
        return "?" not in self.path and "#" not in self.path and _path_part(target) == self.path


def _path_part(target: str) -> str:
    for mark in ("?", "#"):
        target = target.split(mark, 1)[0]
    return target


@dataclass(frozen=True)
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 0
    routes: tuple[Route, ...] = ()
    rcvbuf: int | None = None  # bytes; None: the kernel's autotuned buffer

    def route_for(self, method: str, target: str) -> Route | None:
        return next((route for route in self.routes if route.matches(method, target)), None)


def read_http_config(raw: Mapping[str, Any] | None, prefix: str = "") -> HttpConfig:
    """Validate a configuration mapping (see the module docstring)."""
    fields = Fields(raw if raw is not None else {}, prefix, ("host", "port", "routes", "rcvbuf"))
    routes = tuple(_read_route(item, item_field)
                   for item_field, item in as_list(fields.get("routes", []), fields.field("routes")))
    host, port = fields.address(HTTP_PORT)
    return HttpConfig(host=host, port=port, routes=routes,
                      rcvbuf=fields.receive_buffer())


def _read_route(raw: Any, path: str) -> Route:
    fields = Fields(raw, path, _ROUTE_KEYS, required=("path",))
    target = fields.text("path")
    if not target:
        raise ConfigError(fields.field("path"), "expected a request target such as /index.html")
    method = fields.text("method", None)
    redirect = fields.text("redirect", None)
    if redirect is not None:
        unknown = sorted(set(re.findall(r"\{([^{}]*)\}", redirect)) - {"host", "port"})
        if unknown:
            raise ConfigError(fields.field("redirect"), f"{{{unknown[0]}}} is no placeholder: the server "
                                                        "fills in {host} and {port} only")
    auth = _read_auth(fields.get("auth"), fields.field("auth")) if "auth" in fields else None
    status = fields.integer("status", 302 if redirect is not None else 200, 100, 999)
    if "body" in fields and fields.get("echo"):
        raise ConfigError(fields.field("echo"), "a route has either a body or echo, not both")
    body = read_payload(fields.get("body"), fields.field("body")) if "body" in fields else Payload.of(b"")
    return Route(
        path=target,
        method=method.upper() if method else None,
        status=status,
        reason=fields.text("reason", None),
        version=fields.text("version", "HTTP/1.1"),
        status_line=fields.data("status_line", None),
        headers=tuple(_read_header(item, item_field)
                      for item_field, item in as_list(fields.get("headers", []), fields.field("headers"))),
        body=body,
        echo=fields.flag("echo", False),
        framing=fields.choice("framing", FRAMINGS, LENGTH),
        chunks=_read_chunks(fields),
        redirect=redirect,
        auth=auth,
        delay=fields.number("delay", 0.0),
        stall=_read_stall(fields),
        raw=fields.data("raw", None),
        record_body=fields.choice("record_body", RECORD_MODES, FULL),
        expect_body=(read_expected(fields.get("expect_body"), fields.field("expect_body"))
                     if "expect_body" in fields else None),
    )


def _read_header(raw: Any, field: str) -> bytes:
    """A ``[name, value]`` pair, or one raw line sent exactly as written."""
    if isinstance(raw, (str, bytes, bytearray)):
        line = as_bytes(raw, field)
    else:
        items = as_list(raw, field)
        if len(items) != 2:
            raise ConfigError(field, f"expected [name, value] or one header line, got {len(items)} items")
        (name_field, name), (value_field, value) = items
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        value_bytes = as_bytes(value, value_field)
        line = as_bytes(name, name_field) + b": " + value_bytes
    if b"\r" in line or b"\n" in line:
        raise ConfigError(field, "a header line cannot contain CR or LF; use raw: for such responses")
    return line


def _read_chunks(fields: Fields) -> tuple[int, ...]:
    if "chunks" not in fields:
        return DEFAULT_CHUNKS
    sizes = tuple(as_integer(item, item_field, 1) for item_field, item in as_list(fields.get("chunks"),
                                                                                 fields.field("chunks")))
    if not sizes:
        raise ConfigError(fields.field("chunks"), "expected at least one chunk size")
    return sizes


def _read_stall(fields: Fields) -> bool | int:
    raw = fields.get("stall", False)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw >= 0:
        return raw
    raise ConfigError(fields.field("stall"), f"expected true (after the headers) or a body byte count, "
                                             f"got {describe(raw)}")


def _read_auth(raw: Any, path: str) -> BasicAuth:
    fields = Fields(raw, path, ("user", "password", "realm"), required=("user", "password"))
    user = fields.data("user")
    if b":" in user:
        raise ConfigError(fields.field("user"), "Basic credentials cannot have ':' in the user name")
    return BasicAuth(user, fields.data("password"), fields.text("realm", "lsconform"))
