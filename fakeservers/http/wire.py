"""HTTP/1.x framing for the fake server, with no I/O: bytes in, parsed values out.

Request side: find where a request head ends, parse it keeping the raw
lines, and decode its body by ``Content-Length`` or ``chunked`` through
small feed-style decoders. Response side: render a head and frame a body as
chunks. The socket layer (``server.py``) only moves bytes between these
functions and the network, so all of this is testable without a socket.

The parser is deliberately lenient where clients differ (a bare LF ends a
line as well as CRLF; header names are matched case-insensitively) and
strict where a request is unusable (no request line, a header without a
colon, a bad chunk size): those raise ``MalformedRequest``, which the
server answers with 400 and records.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

CRLF = b"\r\n"
_VERSION_RE = re.compile(rb"^HTTP/\d\.\d$")
_HEX_RE = re.compile(rb"^[0-9a-fA-F]+$")
MAX_HEAD = 256 * 1024


class MalformedRequest(ValueError):
    """The bytes received are not an HTTP request the server can answer."""


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str
    request_line: bytes  # exactly as received, line end included
    header_lines: tuple[bytes, ...]  # exactly as received, line ends removed
    headers: Mapping[str, str]  # lower-case names; repeats joined with ", "
    raw: bytes  # the whole head, blank line included


def _text(data: bytes) -> str:
    return data.decode("latin-1")


def find_head_end(buffer: bytes) -> int | None:
    """The offset just past the blank line that ends the head, or None if it has not arrived."""
    start = 0
    while True:
        end = buffer.find(b"\n", start)
        if end < 0:
            if len(buffer) > MAX_HEAD:
                raise MalformedRequest(f"no end of the request head in {len(buffer)} bytes")
            return None
        if start > 0 and buffer[start:end] in (b"", b"\r"):
            return end + 1
        start = end + 1


def parse_head(head: bytes) -> RequestHead:
    """Parse a request head (as delimited by ``find_head_end``)."""
    raw_lines = head.split(b"\n")
    request_line = raw_lines[0] + b"\n"
    parts = raw_lines[0].rstrip(b"\r").split(b" ")
    if len(parts) != 3 or not all(parts) or not _VERSION_RE.match(parts[2]):
        raise MalformedRequest(f"not a request line: {raw_lines[0][:100]!r}")
    lines = tuple(line.rstrip(b"\r") for line in raw_lines[1:])
    while lines and not lines[-1]:
        lines = lines[:-1]
    return RequestHead(method=_text(parts[0]), target=_text(parts[1]), version=_text(parts[2]),
                       request_line=request_line, header_lines=lines, headers=parse_header_lines(lines),
                       raw=head)


def parse_header_lines(lines: Sequence[bytes]) -> dict[str, str]:
    """Header lines as a dict: lower-case names, folded lines joined, repeats joined with ", "."""
    fields: list[list[str]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise MalformedRequest("a continuation line before any header")
            fields[-1][1] += " " + _text(line.strip())
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise MalformedRequest(f"a header line without a name and a colon: {line[:100]!r}")
        fields.append([_text(name.strip()).lower(), _text(value.strip())])
    headers: dict[str, str] = {}
    for name, value in fields:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


# -- request bodies ---------------------------------------------------------


class LengthDecoder:
    """A body of exactly ``length`` bytes."""

    def __init__(self, length: int) -> None:
        self.remaining = length
        self.leftover = b""

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def feed(self, data: bytes | memoryview) -> list[bytes | memoryview]:
        """The body bytes in ``data`` (a view into ``data`` when it is a view); the rest is leftover."""
        piece, self.leftover = data[: self.remaining], self.leftover + data[self.remaining:]
        self.remaining -= len(piece)
        return [piece] if piece else []


class ChunkedDecoder:
    """A ``Transfer-Encoding: chunked`` body: size lines, data, CRLF, ..., 0, trailers, blank line."""

    def __init__(self) -> None:
        self._buffer = b""
        self._state = "size"
        self._remaining = 0
        self.leftover = b""
        self.trailers: list[bytes] = []

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes | memoryview) -> list[bytes | memoryview]:
        if self.done:
            self.leftover += data
            return []
        self._buffer += data
        pieces: list[bytes | memoryview] = []
        while not self.done:
            if self._state == "data":
                piece = self._buffer[: self._remaining]
                self._buffer = self._buffer[len(piece):]
                self._remaining -= len(piece)
                if piece:
                    pieces.append(piece)
                if self._remaining:
                    break
                self._state = "data-end"
                continue
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            line, self._buffer = self._buffer[:end].rstrip(b"\r"), self._buffer[end + 1:]
            self._line(line)
        if self.done:
            self.leftover, self._buffer = self._buffer, b""
        return pieces

    def _line(self, line: bytes) -> None:
        if self._state == "size":
            size_text = line.split(b";", 1)[0].strip()
            if not _HEX_RE.match(size_text):
                raise MalformedRequest(f"invalid chunk size line: {line[:100]!r}")
            self._remaining = int(size_text, 16)
            self._state = "data" if self._remaining else "trailers"
        elif self._state == "data-end":
            if line:
                raise MalformedRequest(f"chunk data not followed by CRLF: {line[:100]!r}")
            self._state = "size"
        elif line:  # trailers
            self.trailers.append(line)
        else:
            self._state = "done"


def body_decoder(head: RequestHead) -> LengthDecoder | ChunkedDecoder:
    """How the request's body is delimited (requests without either header have none)."""
    codings = [coding.strip().lower() for coding in head.headers.get("transfer-encoding", "").split(",")]
    if codings[-1] == "chunked":
        return ChunkedDecoder()
    length = head.headers.get("content-length")
    if length is None:
        return LengthDecoder(0)
    if not length.strip().isdigit():
        raise MalformedRequest(f"invalid Content-Length: {length!r}")
    return LengthDecoder(int(length))


# -- responses --------------------------------------------------------------


def status_line(version: str, status: int, reason: str) -> bytes:
    return f"{version} {status} {reason}".encode("latin-1")


def render_head(first_line: bytes, header_lines: Iterable[bytes]) -> bytes:
    return first_line + CRLF + b"".join(line + CRLF for line in header_lines) + CRLF


def has_header(header_lines: Iterable[bytes], name: str) -> bool:
    wanted = name.lower().encode("latin-1")
    return any(line.partition(b":")[0].strip().lower() == wanted for line in header_lines)


def has_no_body(method: str, status: int) -> bool:
    """Responses that never carry a body (RFC 9112 section 6.3)."""
    return method == "HEAD" or 100 <= status < 200 or status in (204, 304)


def chunk_frames(pieces: Iterable[bytes], sizes: Sequence[int]) -> Iterator[bytes]:
    """Re-cut a byte stream into chunks of ``sizes`` (the last size repeats) and frame each one.

    The final zero-size chunk and the blank line that ends the body are
    yielded too, so the output is the complete chunked body.
    """
    index = 0
    pending = b""
    for piece in pieces:
        pending += piece
        offset = 0
        while len(pending) - offset >= sizes[index]:
            size = sizes[index]
            yield b"%x\r\n" % size + pending[offset:offset + size] + CRLF
            offset += size
            index = min(index + 1, len(sizes) - 1)
        pending = pending[offset:]
    if pending:
        yield b"%x\r\n" % len(pending) + pending + CRLF
    yield b"0\r\n\r\n"


def basic_authorization(user: bytes, password: bytes) -> str:
    """The ``Authorization`` value a client sends for these Basic credentials."""
    return "Basic " + base64.b64encode(user + b":" + password).decode("ascii")


def authorization_matches(header: str | None, user: bytes, password: bytes) -> bool:
    if header is None:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except ValueError:
        return False
    return decoded == user + b":" + password
