"""Threads that serve one connection after another, for the servers that give each connection a thread.

Starting a Python thread costs about 175 us on the CI machine, and a
client's first exchange waits for it: in a workload of one connection per
message, file or request, every connection paid it when each had a thread
of its own. ``Workers`` hands a connection to a thread an earlier one left
idle, and starts a thread only when none is.

A job comes with the sockets its connection holds (a list the job may
add to while it runs), and ``close`` shuts down those of every live job,
which wakes a thread blocked in ``accept``, ``recv`` or ``sendall`` on
them; the job closes its sockets itself. A job is called with
``release``, which it calls once its connection is done and before it
records that (the close is the event a waiting test or ``check:`` step
settles on): by then its sockets are no longer live and the thread counts
as idle, so the next connection of a client that saw the close finds it
waiting. A job that does not call it is released when it returns. A
job's exception is reported through ``threading.excepthook``, as a
thread's own would be, and the thread serves on: a thread counted idle
must take the job it may be given.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import sys
import threading
from collections.abc import Callable

Release = Callable[[], None]
Job = Callable[[Release], None]


class Workers:
    """A growing set of threads named ``NAME-1``, ``NAME-2``...; ``close`` dismisses and joins them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()  # guards _threads, _live, _idle and _closing
        self._threads: list[threading.Thread] = []
        self._live: set[_Turn] = set()  # jobs submitted and not yet released
        self._idle = 0  # threads that will take a job from _jobs
        self._closing = False
        self._jobs: queue.SimpleQueue[_Turn | None] = queue.SimpleQueue()

    def submit(self, job: Job, sockets: list[socket.socket]) -> None:
        """Run ``job`` (its connection holding ``sockets``) on an idle thread, or a new one if none is."""
        turn = _Turn(self, job, sockets)
        with self._lock:
            self._live.add(turn)
            if self._idle:
                self._idle -= 1
                self._jobs.put(turn)
                return
            thread = threading.Thread(target=self._work, args=(turn,),
                                      name=f"{self.name}-{len(self._threads) + 1}", daemon=True)
            self._threads.append(thread)
        thread.start()

    def close(self, timeout: float) -> None:
        """Shut down every live job's sockets, dismiss each thread once its job returns, join each.

        Each join waits up to ``timeout``.
        """
        with self._lock:
            self._closing = True
            threads = list(self._threads)
            live = list(self._live)
        for turn in live:
            for sock in list(turn.sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for _ in threads:  # one dismissal each: a thread takes at most one, then ends
            self._jobs.put(None)
        for thread in threads:
            thread.join(timeout)

    def _work(self, turn: _Turn | None) -> None:
        while turn is not None:
            try:
                turn.job(turn.release)
            except Exception:
                threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), threading.current_thread())))
            turn.release()
            if not turn.stays:
                return
            turn = self._jobs.get()

    def _end(self, turn: _Turn) -> bool:
        """``turn`` is done: no longer live; True if its thread is now idle (False: closing)."""
        with self._lock:
            self._live.discard(turn)
            if self._closing:
                return False
            self._idle += 1
            return True


class _Turn:
    """One job's run on a thread: released at most once."""

    def __init__(self, workers: Workers, job: Job, sockets: list[socket.socket]) -> None:
        self.workers = workers
        self.job = job
        self.sockets = sockets
        self.released = False
        self.stays = False  # after the job: wait for another

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.stays = self.workers._end(self)
