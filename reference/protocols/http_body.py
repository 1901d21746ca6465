"""HTTP response body framing, with no I/O: bytes in, body pieces out (spec §14.7).

A *framer* knows where the body ends. The socket layer asks it what to read
next (:meth:`next_read`: one line, or up to some number of bytes), feeds it
what arrived (:meth:`feed`, which returns the body pieces found), and tells
it when the peer closed (:meth:`at_close`). Framers accept bytes in any
split, which is how the tests drive them; the socket layer feeds exactly what
:meth:`next_read` asked for, so pieces are never copied.

Which framer (:func:`body_framer`), in this order:

1. no body for ``HEAD``, 1xx, 204 and 304;
2. ``transfer-encoding`` whose last coding is ``chunked``, in any letter case
   (1.3b required exactly "chunked", DIVERGENCES.md #38): chunked; any other
   transfer-encoding: until the peer closes;
3. ``content-length``: exactly that many bytes (extra bytes ignored). A value
   that is not a decimal number, or repeated differing values, fail with
   "invalid content-length";
4. otherwise until the peer closes.

Chunked bodies: a size line (hex, extensions after ``;`` ignored, spaces and
tabs around the number tolerated), the data, an empty line; a zero size ends
the data, then trailer lines up to an empty line (1.3b read one). Anything
else fails ("invalid chunk size", "invalid chunk terminator", "invalid chunk
trailer"). Each HTTP chunk reaches the caller in pieces of at most ``block``
bytes, so one huge chunk never sits in memory (1.3b passed each chunk whole).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from reference.errors import CLOSED
from reference.protocols.errors import (
    BAD_CHUNK_END,
    BAD_CHUNK_SIZE,
    BAD_CONTENT_LENGTH,
    BAD_TRAILERS,
    CallFailed,
)

BLOCK = 8192  # bytes per read, as in 1.3b: content-length pieces are min(8192, left)
LINE = -1  # next_read(): read one line (the framer wants the LF too)
MAX_LINE = 4096  # a chunk-size or trailer line longer than this is refused
MAX_TRAILERS = 100

_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,19}")


class BodyFramer(Protocol):
    done: bool

    def next_read(self) -> int:
        """:data:`LINE`, or how many bytes the framer can take at most now."""

    def feed(self, data: bytes) -> list[bytes]:
        """Bytes received; returns the body pieces they hold (never empty ones)."""

    def at_close(self) -> None:
        """The peer closed; raises :class:`CallFailed` if the body was cut short."""


class NoBody:
    """A response that has no body at all."""

    done = True

    def next_read(self) -> int:
        return 0

    def feed(self, data: bytes) -> list[bytes]:
        return []

    def at_close(self) -> None:
        return None


class LengthBody:
    """A body of ``content-length`` bytes."""

    def __init__(self, length: int, block: int = BLOCK) -> None:
        self._left = length
        self._block = block
        self.done = length == 0

    def next_read(self) -> int:
        return min(self._left, self._block)

    def feed(self, data: bytes) -> list[bytes]:
        if self.done or not data:
            return []
        if len(data) >= self._left:
            data = data[: self._left]
            self.done = True
        self._left -= len(data)
        return [data]

    def at_close(self) -> None:
        if not self.done:
            raise CallFailed(CLOSED)


class CloseBody:
    """A body that ends when the peer closes the connection."""

    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self.done = False

    def next_read(self) -> int:
        return self._block

    def feed(self, data: bytes) -> list[bytes]:
        return [data] if data and not self.done else []

    def at_close(self) -> None:
        self.done = True


class ChunkedBody:
    """The chunked transfer coding, decoded incrementally."""

    _SIZE_LINE, _DATA, _DATA_END, _TRAILER = range(4)

    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._state = self._SIZE_LINE
        self._left = 0  # data bytes left in the current chunk
        self._line = bytearray()
        self._trailers = 0
        self.done = False

    def next_read(self) -> int:
        if self.done:
            return 0
        if self._state == self._DATA:
            return min(self._left, self._block)
        return LINE

    def feed(self, data: bytes) -> list[bytes]:
        pieces: list[bytes] = []
        pos, end = 0, len(data)
        while pos < end and not self.done:
            if self._state == self._DATA:
                take = min(self._left, end - pos)
                pieces.append(data if pos == 0 and take == end else data[pos : pos + take])
                pos += take
                self._left -= take
                if not self._left:
                    self._state = self._DATA_END
                continue
            newline = data.find(b"\n", pos)
            stop = end if newline == -1 else newline
            self._line += data[pos:stop]
            if len(self._line) > MAX_LINE:
                self._fail_line()
            if newline == -1:
                break
            pos = newline + 1
            line = bytes(self._line)
            self._line.clear()
            self._take_line(line[:-1] if line.endswith(b"\r") else line)
        return pieces

    def at_close(self) -> None:
        if not self.done:
            raise CallFailed(CLOSED)

    def _take_line(self, line: bytes) -> None:
        if self._state == self._SIZE_LINE:
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not _SIZE.fullmatch(size_text):
                raise CallFailed(BAD_CHUNK_SIZE)
            self._left = int(size_text, 16)
            self._state = self._DATA if self._left else self._TRAILER
        elif self._state == self._DATA_END:
            if line:
                raise CallFailed(BAD_CHUNK_END)
            self._state = self._SIZE_LINE
        elif not line:
            self.done = True
        else:
            self._trailers += 1
            if self._trailers > MAX_TRAILERS:
                raise CallFailed(BAD_TRAILERS)

    def _fail_line(self) -> None:
        messages = {self._SIZE_LINE: BAD_CHUNK_SIZE, self._DATA_END: BAD_CHUNK_END}
        raise CallFailed(messages.get(self._state, BAD_TRAILERS))


def has_body(method: str, code: int) -> bool:
    """Whether a response to ``method`` with status ``code`` carries a body."""
    return not (method == "HEAD" or 100 <= code < 200 or code in (204, 304))


def body_framer(method: str, code: int, headers: Mapping[str, str], block: int = BLOCK) -> BodyFramer:
    """The framer for a response, by the rules in the module docstring."""
    if not has_body(method, code):
        return NoBody()
    coding = headers.get("transfer-encoding")
    if coding is not None:
        codings = [item.strip().lower() for item in coding.split(",") if item.strip()]
        if codings and codings[-1] == "chunked":
            return ChunkedBody(block)
        return CloseBody(block)
    length = headers.get("content-length")
    if length is not None:
        values = {item.strip() for item in length.split(",")}
        if len(values) != 1:
            raise CallFailed(BAD_CONTENT_LENGTH)
        (value,) = values
        if not _DECIMAL.fullmatch(value):
            raise CallFailed(BAD_CONTENT_LENGTH)
        return LengthBody(int(value), block)
    return CloseBody(block)
