"""SMTP and FTP server replies: bytes in, :class:`Reply` values out (spec §13.2).

Both protocols answer every command with a three-digit code and some text,
on one line or several:

* A reply starts with a line whose first three characters are digits; the
  fourth is the separator. A ``-`` there opens a multi-line reply, which
  runs until a line that starts with the same three digits and a space.
  Lines in between may hold anything.
* The reply's text is all its lines joined with ``"\\n"``, line-ending CRs
  removed; that text is what the clients return as an error message.
* A first line that is not three digits followed by at least one more
  character (``"250"`` alone, ``"hello"``) is a malformed reply: its code is
  None, so no expected code matches it, and its text is the line (as 1.3b
  did).

:class:`ReplyReader` accepts the bytes in any split (a test can feed one byte
at a time), so the socket layer may hand it lines or blocks as it likes. A
reply longer than :data:`MAX_REPLY_BYTES`, line endings included, fails with
"reply too long" rather than growing without limit.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass

from reference.protocols.errors import REPLY_TOO_LONG, CallFailed

MAX_REPLY_BYTES = 65536

_FIRST_LINE = re.compile(r"([0-9]{3})(.)", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One complete reply; ``code`` is None when its first line is malformed."""

    code: int | None
    text: str

    def is_one_of(self, codes: Collection[int]) -> bool:
        return self.code is not None and self.code in codes

    @property
    def is_preliminary(self) -> bool:
        """A 1xx reply: the server will send another one for the same command."""
        return self.code is not None and 100 <= self.code < 200


class ReplyReader:
    """Incremental reply parser: :meth:`feed` bytes, take :meth:`next_reply`."""

    def __init__(self, max_bytes: int = MAX_REPLY_BYTES) -> None:
        self._max_bytes = max_bytes
        self._partial = bytearray()  # an unterminated line
        self._lines: list[str] = []  # lines of the reply in progress
        self._size = 0  # bytes of the reply in progress
        self._end_prefix: str | None = None  # "ddd " while a multi-line reply is open
        self._ready: deque[Reply] = deque()

    def feed(self, data: bytes) -> None:
        """Add received bytes; complete replies become available at once."""
        self._partial += data
        while True:
            newline = self._partial.find(b"\n")
            if newline == -1:
                break
            raw = bytes(self._partial[: newline + 1])
            del self._partial[: newline + 1]
            self._add_line(raw)
        if self._size + len(self._partial) > self._max_bytes:
            raise CallFailed(REPLY_TOO_LONG)

    def next_reply(self) -> Reply | None:
        """The oldest complete reply not yet taken, or None if none is complete."""
        return self._ready.popleft() if self._ready else None

    def _add_line(self, raw: bytes) -> None:
        self._size += len(raw)
        if self._size > self._max_bytes:
            raise CallFailed(REPLY_TOO_LONG)
        line = raw.rstrip(b"\n").rstrip(b"\r").decode("latin-1")
        self._lines.append(line)
        if self._end_prefix is not None:
            if line.startswith(self._end_prefix):
                self._finish(int(self._end_prefix[:3]))
            return
        match = _FIRST_LINE.match(line)
        if match is None:
            self._finish(None)
        elif match.group(2) == "-":
            self._end_prefix = match.group(1) + " "
        else:
            self._finish(int(match.group(1)))

    def _finish(self, code: int | None) -> None:
        self._ready.append(Reply(code, "\n".join(self._lines)))
        self._lines = []
        self._size = 0
        self._end_prefix = None
