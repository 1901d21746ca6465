"""``fakeservers.workers``: jobs on reused threads, without a server around them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from fakeservers.workers import Release, Workers

TIMEOUT = 5.0


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers("test-worker")
    yield pool
    pool.close(TIMEOUT)


def _alive() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("test-worker-") and t.is_alive())


def test_jobs_one_after_another_run_on_one_thread(workers: Workers) -> None:
    names: list[str] = []
    for _ in range(5):
        done = threading.Event()

        def job(release: Release, done: threading.Event = done) -> None:
            names.append(threading.current_thread().name)
            release()  # idle from here on: the next submit hands the job to this thread
            done.set()

        workers.submit(job, [])
        assert done.wait(TIMEOUT)
    assert names == ["test-worker-1"] * 5


def test_a_job_that_does_not_release_is_released_when_it_returns(workers: Workers) -> None:
    names: list[str] = []
    returned = threading.Event()

    def first(release: Release) -> None:
        names.append(threading.current_thread().name)
        returned.set()

    workers.submit(first, [])
    assert returned.wait(TIMEOUT)
    # The thread may still be on its way from the job to the queue: until it counts itself
    # idle a second job starts a thread of its own, so only its name's origin is asserted.
    second_ran = threading.Event()
    workers.submit(lambda release: (names.append(threading.current_thread().name), second_ran.set()), [])
    assert second_ran.wait(TIMEOUT)
    assert names[0] == "test-worker-1" and names[1].startswith("test-worker-")


def test_a_busy_thread_makes_the_next_job_start_another(workers: Workers) -> None:
    hold, started = threading.Event(), threading.Event()
    workers.submit(lambda release: (started.set(), hold.wait(TIMEOUT)), [])
    assert started.wait(TIMEOUT)
    second = threading.Event()
    workers.submit(lambda release: second.set(), [])
    assert second.wait(TIMEOUT)
    hold.set()
    assert _alive() == ["test-worker-1", "test-worker-2"]


def test_a_failing_job_is_reported_and_its_thread_serves_on(workers: Workers,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_value))
    done, released = threading.Event(), threading.Event()

    def failing(release: Release) -> None:
        release()
        released.set()
        raise ValueError("a bug in a session")

    workers.submit(failing, [])
    assert released.wait(TIMEOUT)
    names: list[str] = []

    def after(release: Release) -> None:
        names.append(threading.current_thread().name)
        done.set()

    workers.submit(after, [])
    assert done.wait(TIMEOUT)
    assert [str(error) for error in reported] == ["a bug in a session"]
    assert names == ["test-worker-1"]  # released before it failed: the same thread took the next job


def test_close_dismisses_idle_threads_and_waits_for_busy_ones() -> None:
    pool = Workers("test-worker")
    idle_done, hold, busy_started = threading.Event(), threading.Event(), threading.Event()
    pool.submit(lambda release: (release(), idle_done.set()), [])
    assert idle_done.wait(TIMEOUT)
    pool.submit(lambda release: None, [])  # to the idle thread
    pool.submit(lambda release: (busy_started.set(), hold.wait(TIMEOUT)), [])
    assert busy_started.wait(TIMEOUT)
    closer = threading.Thread(target=pool.close, args=(TIMEOUT,))
    closer.start()
    hold.set()
    closer.join(TIMEOUT)
    assert not closer.is_alive()
    assert _alive() == []


def test_close_wakes_a_live_job_by_shutting_its_sockets_down() -> None:
    pool = Workers("test-worker")
    ours, theirs = socket.socketpair()
    got: list[bytes] = []
    blocked = threading.Event()

    def job(release: Release) -> None:
        blocked.set()
        got.append(ours.recv(10))  # nothing is sent: only the shutdown ends this wait

    with ours, theirs:
        pool.submit(job, [ours])
        assert blocked.wait(TIMEOUT)
        pool.close(TIMEOUT)
        assert got == [b""]
    assert _alive() == []
