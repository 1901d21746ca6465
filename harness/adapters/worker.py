"""One long-lived thread that runs a candidate's calls, waited on with a deadline.

A Python candidate cannot be killed mid-call, so the caller never runs the
call itself: it hands it to this worker and waits for at most the deadline.
A call that misses it keeps running on the worker; the adapter then closes
the candidate's sockets, which makes the stuck call return, and ``stop``
joins the thread within a bound. A worker that still cannot be joined is left
for the leak check to report.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class WorkerBusy(RuntimeError):
    """A new call arrived while an earlier, timed-out call is still running."""


@dataclass
class _Job:
    function: Callable[[], Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None


class CallWorker:
    """Runs one zero-argument function at a time on a dedicated thread."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._current: _Job | None = None

    def run(self, function: Callable[[], Any], deadline: float) -> tuple[bool, Any]:
        """``(True, result)`` if ``function`` returned in time, else ``(False, None)``.

        ``function`` must not raise: the adapter wraps the candidate call so
        that every ending is a value.
        """
        if self._current is not None and not self._current.done.is_set():
            raise WorkerBusy("the previous call is still running after its deadline")
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()
        job = _Job(function)
        self._current = job
        self._jobs.put(job)
        if job.done.wait(deadline):
            return True, job.result
        return False, None

    @property
    def native_id(self) -> int | None:
        """The thread's kernel id, once it has started."""
        return self._thread.native_id if self._thread is not None else None

    def stop(self, join_timeout: float) -> bool:
        """Ask the thread to end after its current job; True if it has ended."""
        if self._thread is None:
            return True
        self._jobs.put(None)
        self._thread.join(join_timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job.result = job.function()
            job.done.set()
