"""The read buffer one TCP socket keeps for its whole life (spec §5.6).

Bytes received and not yet returned by any pattern stay here between calls,
so patterns mix freely within a call and across calls, and ``select`` can
tell that a socket has data without asking the OS. No I/O happens here: the
socket layer feeds chunks in, the pattern readers take bytes out.

Theory of operation. The buffer is one ``bytes`` chunk and a read position,
so most results are a single slice. Lines are the hot case, so they get more
care: the first line or two are found one ``find`` at a time, and when lines
keep being read back to back the buffer *cuts* the next window of complete
lines in one ``split`` into :attr:`ReadBuffer.lines`, already in ``"*l"``
form (LF and one CR before it removed). The socket's ``receive()`` pops from
that deque directly, which is what makes a line cost little more than a
function call. Any other use of the buffer first *settles* the cut: the read
position moves past the lines handed out and the rest of the window is
forgotten, so nothing is ever read twice or skipped.

The window starts small and doubles each time a cut is used up, and drops
back when a cut is abandoned, so a stream of lines gets large cheap cuts
while a protocol that reads one line and then a block wastes little.
"""

from __future__ import annotations

import re
from collections import deque

_SPACES = re.compile(rb"[ \t\n\v\f\r]*")
_WORD = re.compile(rb"[^ \t\n\v\f\r]*")

_MIN_WINDOW = 1024
_MAX_WINDOW = 65536
_CUT_AFTER = 2  # line reads in a row before cutting pays off


class ReadBuffer:
    """Received bytes not yet consumed by a pattern."""

    __slots__ = ("_data", "_pos", "lines", "_cut_start", "_cut_end", "_cut_count", "_cut_had_crlf",
                 "_streak", "_window")

    def __init__(self) -> None:
        self._data = b""
        self._pos = 0  # first unread byte of _data, when no cut is active
        self.lines: deque[bytes] = deque()  # cut lines in "*l" form; never replaced, only refilled
        self._cut_start = 0  # offset of the first cut line in _data
        self._cut_end = 0  # offset just past the last cut line
        self._cut_count = 0  # lines in the active cut; 0 when no cut is active
        self._cut_had_crlf = False  # the cut stripped CRs, so "*lu" may not use it
        self._streak = 0  # line reads in a row
        self._window = _MIN_WINDOW

    # -- state ------------------------------------------------------------

    def __len__(self) -> int:
        """Bytes available without touching the network."""
        self._settle()
        return len(self._data) - self._pos

    def has_data(self) -> bool:
        """Whether anything is buffered (cheap: leaves an active cut alone)."""
        if self.lines:
            return True
        return len(self._data) > (self._cut_end if self._cut_count else self._pos)

    def _settle(self) -> None:
        """End the active cut: move the read position past the lines handed out."""
        count = self._cut_count
        if not count:
            return
        lines = self.lines
        left = len(lines)
        if not left:
            self._pos = self._cut_end
            self._window = min(self._window * 2, _MAX_WINDOW)
        elif not self._cut_had_crlf:
            self._pos = self._cut_end - sum(map(len, lines)) - left  # each remaining line had one LF
        else:
            pos, data = self._cut_start, self._data
            for _ in range(count - left):
                pos = data.index(b"\n", pos) + 1
            self._pos = pos
        if left:
            lines.clear()
            self._window = _MIN_WINDOW
        self._cut_count = 0

    def _other_use(self) -> None:
        """Called before any non-line operation: ends a run of line reads."""
        if self._cut_count:
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

    # -- consuming ---------------------------------------------------------

    def take(self, count: int) -> bytes:
        """Up to ``count`` bytes from the front."""
        self._other_use()
        data, pos = self._data, self._pos
        end = min(pos + count, len(data))
        self._pos = end
        return data[pos:end]

    def take_exact(self, count: int) -> bytes | None:
        """Exactly ``count`` (> 0) bytes if that many are buffered, else None."""
        if self._cut_count or self._streak:
            self._other_use()
        pos = self._pos
        end = pos + count
        if count <= 0 or end > len(self._data):
            return None
        self._pos = end
        return self._data[pos:end]

    def take_all(self) -> bytes:
        """Everything buffered (the very chunk received when nothing was consumed)."""
        self._other_use()
        data, pos = self._data, self._pos
        self._data, self._pos = b"", 0
        return data[pos:]

    def next_line(self, strip_cr: bool) -> bytes | None:
        """The next complete line without its LF, or None if no LF is buffered.

        With ``strip_cr`` (``"*l"``) a CR just before the LF is dropped too.
        """
        lines = self.lines
        if lines and (strip_cr or not self._cut_had_crlf):
            return lines.popleft()
        if self._cut_count:
            self._settle()
        data, pos = self._data, self._pos
        newline = data.find(b"\n", pos)
        if newline < 0:
            return None
        self._pos = newline + 1
        self._streak += 1
        if self._streak >= _CUT_AFTER:
            self._cut(strip_cr)
        if strip_cr and newline > pos and data[newline - 1] == 13:
            return data[pos : newline - 1]
        return data[pos:newline]

    def _cut(self, strip_cr: bool) -> None:
        """Split the complete lines of the next window into :attr:`lines`."""
        data, pos = self._data, self._pos
        last = data.rfind(b"\n", pos, pos + self._window)
        if last < 0:
            return  # a line longer than the window: keep finding LFs one by one
        # A one-byte find is a memchr; look for the pair only if a CR is there at all.
        had_crlf = data.find(b"\r", pos, last) >= 0 and data.find(b"\r\n", pos, last + 1) >= 0
        if had_crlf and not strip_cr:
            self._streak = 0  # "*lu" lines keep their CR: stay with find() for a while
            return
        window = data[pos : last + 1]
        if had_crlf:
            window = window.replace(b"\r\n", b"\n")
        pieces = window.split(b"\n")
        pieces.pop()  # the empty piece after the last LF
        self.lines.extend(pieces)
        self._cut_start, self._cut_end = pos, last + 1
        self._cut_count, self._cut_had_crlf = len(pieces), had_crlf

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
