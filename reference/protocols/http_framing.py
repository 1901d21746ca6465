"""HTTP/1.1 message heads, with no I/O: the request we send, the response head we read.

Request (spec §14.3, with the fixes of DIVERGENCES.md #37)::

    METHOD target HTTP/1.1
    host: <host>[:<port unless 80>]
    user-agent: LuaSocket 1.3b HTTP 1.1
    <caller headers, names lower-cased>
    [authorization: Basic <base64(user:password)>]
    connection: close
    [content-length: <total>]

* The caller may replace ``host`` and ``user-agent`` (1.3b could not). The
  framing headers are always the client's own: ``connection: close`` (one
  request per connection), ``content-length`` from the body, and no
  ``transfer-encoding``; caller values for those three are dropped, since a
  wrong one would make the server read a different request than the one sent.
* Header names must be tokens and neither names nor values may hold CR, LF
  or other control characters (a tab in a value is fine); otherwise the
  request is refused before connecting. The method must be a token too; it
  is upper-cased as in 1.3b.

Response head (spec §14.4, §14.5):

* The status line is returned verbatim (e.g. ``"HTTP/1.1 200 OK"``); it must
  be ``HTTP/x.y``, a space and three digits, optionally followed by a space or
  tab and a reason phrase (1.3b raised when the reason phrase was missing).
* Header lines end at an empty line. Each splits at its first ``:``; the name
  is lower-cased, the value loses its leading whitespace. A line starting
  with a space or tab continues the previous value and is appended as is.
  Repeated names are joined with ``", "``. A line without ``:`` fails with
  "malformed reponse headers" (1.3b's spelling). More than
  :data:`MAX_HEADER_BYTES` of header lines fails too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reference.protocols.base64_codec import encode
from reference.protocols.errors import (
    BAD_HEADER_CHARACTER,
    BAD_HEADER_NAME,
    BAD_HEADERS,
    BAD_METHOD,
    BAD_STATUS_LINE,
    HEADERS_TOO_LONG,
    CallFailed,
)
from reference.protocols.url import Url

DEFAULT_PORT = 80
USER_AGENT = "LuaSocket 1.3b HTTP 1.1"
MAX_HEADER_BYTES = 256 * 1024

FRAMING_HEADERS = frozenset({"connection", "content-length", "transfer-encoding"})

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LINE_BREAK = re.compile(r"[\r\n]")
# Controls (a tab is allowed in values) and characters no Lua string can hold.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0100-\U0010ffff]")
_STATUS = re.compile(r"HTTP/[0-9]+\.[0-9]+ ([0-9]{3})(?:[ \t].*)?", re.DOTALL)


def check_method(method: str) -> str:
    """The method, upper-cased; refused unless it is a token."""
    if not _TOKEN.fullmatch(method):
        raise CallFailed(BAD_METHOD)
    return method.upper()


def check_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Caller headers with lower-cased names, after the safety checks."""
    checked = []
    for name, value in pairs:
        if _LINE_BREAK.search(name) or _CONTROL.search(value):
            raise CallFailed(BAD_HEADER_CHARACTER)
        if not _TOKEN.fullmatch(name):
            raise CallFailed(BAD_HEADER_NAME)
        checked.append((name.lower(), value))
    return checked


def basic_credentials(url: Url) -> str | None:
    """``Basic <base64(user:password)>`` when the URL has both parts, else None.

    ``user@`` without a colon gives no credentials (1.3b did the same);
    ``user:@`` sends an empty password.
    """
    if url.user is None or url.password is None:
        return None
    secret = f"{url.user}:{url.password}".encode("latin-1")
    return "Basic " + encode(secret).decode("ascii")


def host_header(url: Url) -> str:
    """The ``host`` value: the URL's host, with the port unless it is 80."""
    port = url.port_or(DEFAULT_PORT)
    return url.host if port == DEFAULT_PORT else f"{url.host}:{port}"


def request_headers(
    url: Url,
    caller: Iterable[tuple[str, str]],
    authorization: str | None,
    content_length: int | None,
) -> dict[str, str]:
    """The header table to send, in order (see the module docstring).

    ``caller`` must come from :func:`check_headers` and must already lack any
    ``authorization`` the redirect rules withheld; ``authorization``, when
    given, replaces the caller's.
    """
    headers = {"host": host_header(url), "user-agent": USER_AGENT}
    for name, value in caller:
        if name not in FRAMING_HEADERS:
            headers[name] = value
    if authorization is not None:
        headers["authorization"] = authorization
    headers["connection"] = "close"
    if content_length is not None:
        headers["content-length"] = str(content_length)
    return headers


def request_head(method: str, target: str, headers: dict[str, str]) -> bytes:
    """The request line and header block, ready to send."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def status_code(line: str) -> int:
    """The three-digit code of a status line; refuses anything else."""
    match = _STATUS.fullmatch(line)
    if match is None:
        raise CallFailed(BAD_STATUS_LINE)
    return int(match.group(1))


class HeaderParser:
    """Collects response header lines (CR/LF already removed) into a dict."""

    def __init__(self, max_bytes: int = MAX_HEADER_BYTES) -> None:
        self.headers: dict[str, str] = {}
        self._last: str | None = None
        self._left = max_bytes

    def add_line(self, raw: bytes) -> bool:
        """Take one line; True once the empty line ended the header block."""
        self._left -= len(raw) + 2
        if self._left < 0:
            raise CallFailed(HEADERS_TOO_LONG)
        if not raw:
            return True
        line = raw.decode("latin-1")
        if line[0] in " \t":
            if self._last is None:
                raise CallFailed(BAD_HEADERS)
            self.headers[self._last] += line
            return False
        name, colon, value = line.partition(":")
        if not colon:
            raise CallFailed(BAD_HEADERS)
        name = name.lower()
        value = value.lstrip(" \t")
        previous = self.headers.get(name)
        self.headers[name] = value if previous is None else f"{previous}, {value}"
        self._last = name
        return False
