"""A timestamped record of one scenario run, written from several threads.

Steps (the runner's thread), every peer (its own thread) and the sync board
all write to the same transcript, so the order of lines is the order in which
things happened. A non-passing result keeps it so that a reader can replay the
run: which call returned what, what each peer sent and saw, and when.
"""

from __future__ import annotations

import threading
import time

from harness.scenario.model import TranscriptEntry


class Transcript:
    """Collects ``TranscriptEntry`` lines, timed from the scenario's start."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._entries: list[TranscriptEntry] = []

    def elapsed(self) -> float:
        """Seconds since the transcript began (the scenario's clock)."""
        return time.monotonic() - self._start

    def record(self, source: str, text: str) -> TranscriptEntry:
        """Add one line; ``source`` is "candidate", "peer:<name>" or "harness"."""
        entry = TranscriptEntry(at=round(self.elapsed(), 6), source=source, text=text)
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> tuple[TranscriptEntry, ...]:
        with self._lock:
            return tuple(self._entries)
