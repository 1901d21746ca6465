"""The serving loop the sink engines share: a blocking accept and a thread per live connection.

Plain blocking sockets keep a session to a few system calls per command
with no event loop around them, which is the point of the sinks
(``fakeservers.smtp.sink_server``, ``fakeservers.ftp.sink_server``).
A session's thread is taken from the threads earlier sessions left idle
and only started when none is: starting a thread costs about 175 us
here, paid by every session of a workload of one session per message or
per file when each had a thread of its own.
``shutdown`` wakes the blocked ``accept`` by shutting the listener down;
``close`` shuts down every socket a live session holds (which wakes a
blocked ``accept``, ``recv`` or ``sendall``), dismisses the idle threads
and joins them all, so nothing outlives ``stop()``.
"""

from __future__ import annotations

import abc
import contextlib
import queue
import socket
import threading

from fakeservers.events import WireTranscript

JOIN_SECONDS = 3.0

Job = tuple[int, socket.socket, list[socket.socket]]  # connection, its socket, the sockets it holds


class SessionThreads(abc.ABC):
    """A ``ServingLoop``: subclasses say where to listen and what one connection does."""

    thread_name = "lsconform-fake-session"

    def __init__(self, transcript: WireTranscript) -> None:
        self.transcript = transcript  # connections are recorded here as opened and closed
        self.listener: socket.socket | None = None
        self.stopping = threading.Event()
        self._live: dict[int, list[socket.socket]] = {}  # connection -> the sockets its session holds
        self._live_lock = threading.Lock()  # guards _live, _workers and _idle
        self._workers: list[threading.Thread] = []
        self._idle = 0  # workers waiting for a job; each will take one from _jobs
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()

    @abc.abstractmethod
    def listen(self) -> socket.socket:
        """The listening socket."""

    @abc.abstractmethod
    def run_session(self, connection: int, sock: socket.socket, sockets: list[socket.socket]) -> str:
        """Serve one connection; return who ended it ("client", "server", "stop").

        ``sockets`` holds ``sock`` and must hold every other socket the
        session opens while it is open, so that ``close`` can wake it.
        """

    def bind(self) -> tuple[str, int]:
        self.listener = self.listen()
        return self.listener.getsockname()[:2]

    def serve(self) -> None:
        assert self.listener is not None
        while not self.stopping.is_set():
            try:
                sock, peer = self.listener.accept()
            except OSError:  # shut down by ``shutdown`` (or failed): stop serving
                if self.stopping.is_set():
                    return
                raise
            connection = self.transcript.new_connection()
            self.transcript.opened(connection, peer[:2])
            self._dispatch((connection, sock, [sock]))

    def _dispatch(self, job: Job) -> None:
        """Hand a connection to an idle worker, or to a new one when none is idle."""
        with self._live_lock:
            self._live[job[0]] = job[2]
            if self._idle:
                self._idle -= 1
                self._jobs.put(job)
                return
            worker = threading.Thread(target=self._work, args=(job,),
                                      name=f"{self.thread_name}-{len(self._workers) + 1}", daemon=True)
            self._workers.append(worker)
        worker.start()

    def _work(self, job: Job | None) -> None:
        """Serve jobs until dismissed (None) or the server stops."""
        while job is not None and self._run(*job):
            job = self._jobs.get()

    def _run(self, connection: int, sock: socket.socket, sockets: list[socket.socket]) -> bool:
        """Serve one connection; whether this worker then waits for another (False: stopping).

        The worker counts itself idle before the close is recorded, so a
        client that saw its session recorded closed finds it waiting.
        """
        by = "client"
        ended = False  # the session ended as sessions do; a bug raising here ends the worker too
        try:
            by = self.run_session(connection, sock, sockets)
            ended = True
        except OSError:
            by = "stop" if self.stopping.is_set() else "client"
            ended = True
        finally:
            with self._live_lock:
                self._live.pop(connection, None)
                stays = ended and not self.stopping.is_set()
                self._idle += stays
            sock.close()
            self.transcript.closed(connection, by)
        return stays

    def shutdown(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        if self.listener is not None:
            self.listener.close()
        with self._live_lock:
            live = list(self._live.values())
            workers = list(self._workers)
        for sockets in live:
            for sock in list(sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for _ in workers:  # one dismissal each: a worker takes at most one, then ends
            self._jobs.put(None)
        for worker in workers:
            worker.join(JOIN_SECONDS)
