"""The kernel's run-queue time of this process's threads, kept for those that have ended.

A thread's run-queue time (``run_delay``: seconds it was ready to run but
had no core) is readable from ``/proc/self/task/TID/schedstat`` only while
the thread lives. The bench's peer meter (``harness.bench.peerload``) adds
up the peers' run-queue time over a candidate's timed part, and a peer
whose script ends inside it (a sender that has sent everything) would take
its share with it. So a peer thread reads its own figure as its last act
(``record_end``) and the meter looks here for threads it no longer finds.
Figures are kept only while a meter is measuring (``keeping_ended``): a
conformance run, where nothing measures, reads nothing from ``/proc`` and
keeps nothing, and a long session's figures do not pile up.
Kept apart from the bench so that the peers can report without importing it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_ended: dict[int, float] = {}
_lock = threading.Lock()
_keeping = 0  # meters measuring now; figures are kept only while there is one


def run_delay(native_id: int) -> float | None:
    """Seconds a live thread of this process has spent runnable but waiting for a core; None if unknown.

    Linux's ``schedstat`` (CONFIG_SCHED_INFO) gives on-CPU time, run-queue
    time and time slices, in that order; the second is this.
    """
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", "rb") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def record_end() -> None:
    """Keep the calling thread's run-queue time, which ``/proc`` forgets once it ends: call it last.

    Nothing is read or kept while no meter is measuring (``keeping_ended``).
    """
    if not _keeping:
        return
    ident = threading.get_native_id()
    delay = run_delay(ident)
    if delay is not None:
        with _lock:
            if _keeping:
                _ended[ident] = delay


def ended(native_id: int) -> float | None:
    """The run-queue seconds a thread recorded as it ended; None if it did not."""
    with _lock:
        return _ended.get(native_id)


@contextmanager
def keeping_ended() -> Iterator[None]:
    """Keep the figures of threads that end inside the block; read them (``ended``) before it ends.

    What was kept is dropped when the last such block ends. Nothing is kept
    outside one (``record_end`` checks under the lock), so none from before
    the first is there when it begins.
    """
    global _keeping
    with _lock:
        _keeping += 1
    try:
        yield
    finally:
        with _lock:
            _keeping -= 1
            if not _keeping:
                _ended.clear()
