"""The kernel's run-queue time of this process's threads, kept for those that have ended.

A thread's run-queue time (``run_delay``: seconds it was ready to run but
had no core) is readable from ``/proc/self/task/TID/schedstat`` only while
the thread lives. The bench's peer meter (``harness.bench.peerload``) adds
up the peers' run-queue time over a candidate's timed part, and a peer
whose script ends inside it (a sender that has sent everything) would take
its share with it. So a peer thread reads its own figure as its last act
(``record_end``) and the meter looks here for threads it no longer finds.
Kept apart from the bench so that the peers can report without importing it.
"""

from __future__ import annotations

import threading

_ended: dict[int, float] = {}
_lock = threading.Lock()


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
    """Keep the calling thread's run-queue time, which ``/proc`` forgets once it ends: call it last."""
    ident = threading.get_native_id()
    delay = run_delay(ident)
    if delay is not None:
        with _lock:
            _ended[ident] = delay


def ended(native_id: int) -> float | None:
    """The run-queue seconds a thread recorded as it ended; None if it did not."""
    with _lock:
        return _ended.get(native_id)


def forget_ended() -> None:
    """Drop every recorded figure: a meter starting a span needs none from before it."""
    with _lock:
        _ended.clear()
