"""A SHA-256 of what a timed loop produced, computed off that loop's clock.

Throughput workloads check every byte a candidate received (PROTOCOL.md
section 7, ``discard: "digest"``), but hashing costs about as much as a
fast receive: a digest updated inside the loop would measure the hash as
much as the candidate. So the strings are kept in a small batch and hashed
when it fills up (and at the end), with the time spent hashing recorded in
``paused`` (and the CPU time of the hashing thread in ``paused_cpu``) so
the loop can subtract it. Batches stay small (about 1 MiB or
1024 strings), so a 256 MiB stream never sits in memory whole.

The drivers do the same in their own language (drivers/lua/lsdriver/
digest.lua, drivers/python/driver.py), so every candidate's figure leaves the
hashing out in the same way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

FLUSH_BYTES = 1 << 20
FLUSH_COUNT = 1024


class OffClockDigest:
    """Feed it with ``add``; read ``hexdigest()``, ``paused`` (seconds spent hashing) and ``paused_cpu``."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.paused = 0.0
        self.paused_cpu = 0.0
        self.length = 0

    def add(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        self.length += len(data)
        if self._pending_bytes >= FLUSH_BYTES or len(self._pending) >= FLUSH_COUNT:
            self.flush()

    def flush(self) -> None:
        """Hash the batch now; its time goes to ``paused``."""
        if not self._pending:
            return
        began, began_cpu = time.perf_counter(), time.thread_time()
        update = self._hash.update
        for data in self._pending:
            update(data)
        self._pending.clear()
        self._pending_bytes = 0
        self.paused += time.perf_counter() - began
        self.paused_cpu += time.thread_time() - began_cpu

    def hexdigest(self) -> str:
        self.flush()
        return self._hash.hexdigest()


class LoopClock:
    """A timed loop's wall and CPU clocks (this thread's), started at construction.

    ``stop`` gives both spans less what the loop's digests spent hashing in
    it, so that the time and the CPU time leave out the same work.
    """

    def __init__(self) -> None:
        self._started, self._started_cpu = time.perf_counter(), time.thread_time()

    def stop(self, digests: Iterable[OffClockDigest]) -> tuple[float, float]:
        """(elapsed, cpu) in seconds since the start, hashing excluded, never below 0."""
        elapsed, cpu = time.perf_counter() - self._started, time.thread_time() - self._started_cpu
        for digest in digests:
            elapsed, cpu = elapsed - digest.paused, cpu - digest.paused_cpu
        return max(0.0, elapsed), max(0.0, cpu)
