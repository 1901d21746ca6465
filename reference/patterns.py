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

The buffer itself, and how it makes lines cheap, is in ``readbuffer.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from reference.args import check_text, lua_type, to_number, truncate
from reference.errors import CLOSED, LuaError
from reference.readbuffer import ReadBuffer

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
