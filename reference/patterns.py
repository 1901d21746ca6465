"""Receive patterns over a per-socket read buffer: bytes in, results out.

No sockets here. The TCP layer feeds received chunks into a :class:`ReadBuffer`
and runs one *reader* per pattern. A reader's ``step(buffer)`` either returns
the pattern's value (``bytes``) or returns ``None``, meaning "need more data";
before returning ``None`` it has moved everything buffered into its own
partial result, so the buffer is empty whenever the socket must be read
again. When the socket cannot deliver more (peer closed, or the time is up),
``finish(reason)`` gives the pattern's final ``(value, error)`` pair.

Pattern table (manual, Appendix A of the spec; DIVERGENCES.md for choices):

=========  ==============================================================
``*l``     a line: bytes up to LF; the LF and one CR just before it dropped
``*lu``    a line with only the LF dropped (a CR before it stays)
``*a``     everything until the peer closes; that close is not an error
``*w``     skip C-locale whitespace, then the longest run of non-whitespace;
           the whitespace byte that ends the word stays unread
number n   exactly ``int(n)`` bytes; ``n <= 0`` gives ``b""`` at once
=========  ==============================================================

Theory of the buffer. One ``bytes`` chunk plus a read position, so a pattern
result is one slice. Lines are the hot case: while lines are read back to
back, the buffer cuts a window of complete lines in one ``split`` and hands
them out one by one; any other operation first puts the read position back
where the handed-out lines end. The buffer persists across calls, which is
what lets patterns mix freely and ``select`` see buffered data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Protocol

from reference.args import check_text, lua_type, to_number, truncate
from reference.errors import CLOSED, LuaError

_SPACES = re.compile(rb"[ \t\n\v\f\r]*")
_WORD = re.compile(rb"[^ \t\n\v\f\r]*")

# Bytes cut into lines at once when lines are read back to back: big enough
# to amortise the split, small enough that an abandoned window costs little.
_CUT_WINDOW = 32768
# Consecutive line reads after which the buffer starts cutting windows.
_CUT_AFTER = 2


class ReadBuffer:
    """Received bytes not yet consumed by any pattern (spec §5.6 buffering)."""

    __slots__ = ("_data", "_pos", "_lines", "_line_index", "_line_count", "_lines_end", "_cr_free",
                 "_streak")

    def __init__(self) -> None:
        self._data = b""
        self._pos = 0
        self._lines: list[bytes] | None = None  # complete lines cut from _pos on
        self._line_index = 0
        self._line_count = 0
        self._lines_end = 0  # offset in _data just past the last cut line
        self._cr_free = True  # no CR anywhere in the cut lines
        self._streak = 0  # line reads in a row

    # -- state ----------------------------------------------------------

    def __len__(self) -> int:
        """Bytes available without touching the network."""
        self._settle()
        return len(self._data) - self._pos

    def _settle(self) -> None:
        """Drop the cut lines, moving the read position past those handed out."""
        lines = self._lines
        if lines is None:
            return
        used = self._line_index
        if used >= self._line_count:
            self._pos = self._lines_end
        else:
            self._pos += sum(map(len, lines[:used])) + used  # each line had one LF
        self._lines = None

    def _other_use(self) -> None:
        """Called before any non-line operation: ends a run of line reads."""
        if self._lines is not None:
            self._settle()
        self._streak = 0

    def feed(self, chunk: bytes) -> None:
        """Append bytes just received."""
        self._settle()
        if self._pos >= len(self._data):
            self._data = chunk
        else:
            self._data = self._data[self._pos :] + chunk
        self._pos = 0

    # -- consuming ------------------------------------------------------

    def take(self, count: int) -> bytes:
        """Up to ``count`` bytes from the front."""
        self._other_use()
        data, pos = self._data, self._pos
        end = min(pos + count, len(data))
        self._pos = end
        return data[pos:end]

    def take_exact(self, count: int) -> bytes | None:
        """Exactly ``count`` (> 0) bytes if that many are buffered, else None."""
        if self._lines is not None or self._streak:
            self._other_use()
        pos = self._pos
        end = pos + count
        if count <= 0 or end > len(self._data):
            return None
        self._pos = end
        return self._data[pos:end]

    def take_all(self) -> bytes:
        """Everything buffered (the same object when nothing was consumed)."""
        self._other_use()
        data, pos = self._data, self._pos
        self._data, self._pos = b"", 0
        return data[pos:]

    def next_line(self, strip_cr: bool) -> bytes | None:
        """The next complete line without its LF, or None if no LF is buffered.

        With ``strip_cr`` a CR just before the LF is dropped too.
        """
        lines = self._lines
        if lines is not None:
            index = self._line_index
            if index < self._line_count:
                self._line_index = index + 1
                line = lines[index]
                if strip_cr and not self._cr_free and line[-1:] == b"\r":
                    return line[:-1]
                return line
            self._pos = self._lines_end
            self._lines = None
        data, pos = self._data, self._pos
        newline = data.find(b"\n", pos)
        if newline < 0:
            return None
        self._pos = newline + 1
        self._streak += 1
        if self._streak >= _CUT_AFTER:
            self._cut_lines()
        if strip_cr and newline > pos and data[newline - 1] == 13:
            return data[pos : newline - 1]
        return data[pos:newline]

    def _cut_lines(self) -> None:
        """Split the complete lines of the next window in one go."""
        data, pos = self._data, self._pos
        last = data.rfind(b"\n", pos, pos + _CUT_WINDOW)
        if last < 0:
            return  # a line longer than the window: keep finding LFs one by one
        window = data[pos:last]
        self._lines = window.split(b"\n")
        self._line_index = 0
        self._line_count = len(self._lines)
        self._lines_end = last + 1
        self._cr_free = b"\r" not in window

    def skip_space(self) -> bool:
        """Consume leading whitespace; True if a non-space byte now leads."""
        self._other_use()
        data = self._data
        self._pos = _SPACES.match(data, self._pos).end()  # type: ignore[union-attr]
        return self._pos < len(data)

    def take_word(self) -> tuple[bytes, bool]:
        """The leading run of non-whitespace and whether whitespace ended it."""
        self._other_use()
        data, pos = self._data, self._pos
        end = _WORD.match(data, pos).end()  # type: ignore[union-attr]
        self._pos = end
        return data[pos:end], end < len(data)


# -- readers ----------------------------------------------------------------


class Reader(Protocol):
    def step(self, buffer: ReadBuffer) -> bytes | None:
        """The value if complete, else None after consuming all buffered data."""

    def finish(self, reason: str) -> tuple[bytes, str | None]:
        """(value, error) when no more data will come for ``reason``."""


class _Collecting:
    """Shared part: data gathered so far for one pattern."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def collected(self) -> bytes:
        return b"".join(self.parts)

    def finish(self, reason: str) -> tuple[bytes, str | None]:
        # A failed pattern returns what it gathered (spec §5.6 [C]).
        return self.collected(), reason


class LineReader(_Collecting):
    """``*l`` (``strip_cr``) and ``*lu``."""

    __slots__ = ("strip_cr",)

    def __init__(self, strip_cr: bool) -> None:
        super().__init__()
        self.strip_cr = strip_cr

    def step(self, buffer: ReadBuffer) -> bytes | None:
        if not self.parts:
            line = buffer.next_line(self.strip_cr)
            if line is not None:
                return line
        else:
            # The CR may end an earlier part, so strip after joining.
            line = buffer.next_line(False)
            if line is not None:
                self.parts.append(line)
                whole = self.collected()
                return whole[:-1] if self.strip_cr and whole.endswith(b"\r") else whole
        self.parts.append(buffer.take_all())
        return None


class CountReader(_Collecting):
    """A number pattern: exactly ``count`` bytes."""

    __slots__ = ("missing",)

    def __init__(self, count: int) -> None:
        super().__init__()
        self.missing = max(count, 0)

    def step(self, buffer: ReadBuffer) -> bytes | None:
        if self.missing:
            chunk = buffer.take(self.missing)
            self.missing -= len(chunk)
            self.parts.append(chunk)
            if self.missing:
                return None
        return self.collected()


class AllReader(_Collecting):
    """``*a``: everything up to the peer's close, which is normal completion."""

    __slots__ = ()

    def step(self, buffer: ReadBuffer) -> bytes | None:
        chunk = buffer.take_all()
        if chunk:
            self.parts.append(chunk)
        return None

    def finish(self, reason: str) -> tuple[bytes, str | None]:
        return self.collected(), None if reason == CLOSED else reason


class WordReader(_Collecting):
    """``*w``: a word after optional whitespace."""

    __slots__ = ("in_word",)

    def __init__(self) -> None:
        super().__init__()
        self.in_word = False

    def step(self, buffer: ReadBuffer) -> bytes | None:
        if not self.in_word:
            if not buffer.skip_space():
                return None
            self.in_word = True
        part, ended = buffer.take_word()
        self.parts.append(part)
        return self.collected() if ended else None

    def finish(self, reason: str) -> tuple[bytes, str | None]:
        word = self.collected()
        if reason == CLOSED and word:
            return word, None  # a word ended by the close is complete
        return word, reason


_NAMED: dict[str, Callable[[], Reader]] = {
    "*l": partial(LineReader, True),
    "*lu": partial(LineReader, False),
    "*a": AllReader,
    "*w": WordReader,
}


def make_reader(pattern: object) -> Reader:
    """The reader for one receive pattern; raises LuaError for a bad one."""
    if isinstance(pattern, (int, float)) and not isinstance(pattern, bool):
        return CountReader(truncate(pattern))
    text = check_text(pattern) if isinstance(pattern, (str, bytes, bytearray)) else None
    if text is None:
        raise LuaError(f"string expected, got {lua_type(pattern)}")
    factory = _NAMED.get(text)
    if factory is not None:
        return factory()
    number = to_number(text)
    if number is None:
        raise LuaError("invalid receive pattern")
    return CountReader(truncate(number))
