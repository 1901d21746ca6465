"""How busy the harness's own peers were while a candidate's timed part ran.

A peer's ceiling (``ceilings``) says what it can do against a plain-socket
client; it cannot tell a peer that limits a figure from a workload that
limits everyone alike (a ping-pong bound by the machine's wake-up latency
reaches the same rate with any client). This measures the run itself.
During the timed call the calling thread only waits for the candidate, and a
driver candidate runs in a process of its own, so the CPU time this process
spends in that span, less the calling thread's and (for a candidate in
process) the candidate's own threads', is the work of the peers and fake
servers. Divided by the candidate's timed seconds it is the peers' **load**
(in cores): near 1 a peer thread had no idle time and was what the
candidate waited for; well below 1 the peers waited for the candidate.

Below 1 could also mean a peer was ready to work but had no core to work
on: on two cores, the candidate, the kernel's copies and the peers share
them. That time is measured too, as the peers' **wait**: the seconds their
threads spent runnable on a run queue (the kernel's ``run_delay``, second
field of ``/proc/self/task/TID/schedstat``), per timed second. Load plus
wait is the share of the span the peers were working or ready to; the rest
they spent blocked, waiting for the candidate. A peer thread that ends
inside the span (a sender done with its script) reads its own figure as it
ends (``harness.threadtimes``); one that ended without doing so leaves the
wait unknown rather than understated.

The span is the whole adapter call, a little wider than the candidate's
clock, and the harness's own threads other than the caller (there are
none busy during a timed call) would count as peers: both errors make the
load larger, never smaller, so a low load is not an artefact.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from harness import threadtimes

Delays = dict[int, float | None]
"""Run-queue seconds per thread id (None: unreadable)."""
ThreadIds = Callable[[], Iterable[int]]
"""The kernel thread ids (``native_id``) of the candidate's threads in this process (none for a driver)."""


def thread_cpu(native_id: int) -> float | None:
    """CPU seconds a live thread of this process has used, or None if there is no such thread.

    The clock is named by the kernel's thread id (Linux's encoding of a
    per-thread CPU clock, as ``pthread_getcpuclockid`` builds it), not by a
    ``pthread_t``: asking after a thread that has ended is then a plain
    error, where a stale ``pthread_t`` may point at freed memory or at a new
    thread that reused it.
    """
    try:
        return time.clock_gettime(((~native_id) << 3) | _PER_THREAD_SCHED_CLOCK)
    except (OSError, OverflowError, ValueError):
        return None


_PER_THREAD_SCHED_CLOCK = 6
"""Linux: CPUCLOCK_PERTHREAD_MASK (4) | CPUCLOCK_SCHED (2), the low bits of a thread's CPU clock id."""


def _threads() -> set[int] | None:
    """The kernel ids of this process's live threads; None where ``/proc`` does not list them."""
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except (OSError, ValueError):
        return None


def waited_between(before: Delays | None, after: Delays | None,
                   ended: Callable[[int], float | None] = lambda ident: None) -> float | None:
    """Run-queue seconds between two readings; None if a thread is unreadable or left no figure.

    A thread of the first reading missing from the second ended in between:
    its last figure is what ``ended`` gives (``threadtimes.ended``), and
    without one the total is unknown rather than understated. A thread of
    the second reading only started in between, and counts from 0.
    """
    if before is None or after is None:
        return None
    waited = 0.0
    for ident, start in before.items():
        end = after.get(ident) if ident in after else ended(ident)
        if start is None or end is None:
            return None
        waited += end - start
    for ident, now in after.items():
        if ident not in before:
            if now is None:
                return None
            waited += now
    return max(0.0, waited)


def _peer_delays(excluded: list[int]) -> Delays | None:
    """Each peer thread's run-queue seconds so far: every live thread but the ``excluded`` ones."""
    threads = _threads()
    if threads is None:
        return None
    return {ident: threadtimes.run_delay(ident) for ident in threads.difference(excluded)}


class PeerCpu:
    """The CPU seconds of this process outside the calling thread and the candidate's, over a span."""

    def __init__(self, candidate_threads: ThreadIds) -> None:
        self._candidate_threads = candidate_threads
        self.seconds: float | None = None
        self.waited: float | None = None
        """Run-queue seconds of the peers' threads over the span; None if one ended in it or is unreadable."""

    @contextmanager
    def span(self) -> Iterator[None]:
        """Measure the block; ``seconds`` stays None if a candidate thread could not be read."""
        caller = threading.get_native_id()
        excluded = self._excluded(caller)
        before = {ident: thread_cpu(ident) for ident in excluded}
        with threadtimes.keeping_ended():
            delays_before = _peer_delays(excluded)
            process_before = time.process_time()
            try:
                yield
            finally:
                process_spent = time.process_time() - process_before
                excluded = self._excluded(caller)  # again: a candidate thread may have started in the span
                self.seconds = self._spent(excluded, before, process_spent)
                self.waited = waited_between(delays_before, _peer_delays(excluded), threadtimes.ended)

    @staticmethod
    def _spent(excluded: list[int], before: dict[int, float | None], process_spent: float) -> float | None:
        """The process's CPU seconds less the excluded threads'; None if one of those is unknown."""
        excluded_spent = 0.0
        for ident in excluded:
            now = thread_cpu(ident)
            start = before.get(ident, 0.0)  # a thread started inside the span began at 0
            if now is None or start is None:
                return None  # a candidate thread ended or was unreadable: its share is unknown
            excluded_spent += now - start
        return max(0.0, process_spent - excluded_spent)

    def _excluded(self, caller: int) -> list[int]:
        return list(dict.fromkeys([caller, *self._candidate_threads()]))
