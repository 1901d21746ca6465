"""The peers' load: CPU time of this process outside the caller and the candidate, over a timed span.

Also here: the candidate's own load, from the CPU time it reports for its loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_spinning import SPIN_SECONDS
from bench_support import TINY_STREAM, load_perf

from harness.bench.execution import RunResult, run_workload
from harness.bench.peerload import PeerCpu, thread_cpu
from harness.candidates.registry import resolve
from harness.scenario.model import Verdict

BURN = 0.15  # CPU seconds a burning thread spends


def _burn(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


class Burner:
    """A thread that burns ``seconds`` of CPU when told to, then lives on (clock readable) until released."""

    def __init__(self, seconds: float) -> None:
        self.go, self.burnt, self.release = threading.Event(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(seconds,), name="lsconform-test-burner")

    def _run(self, seconds: float) -> None:
        if self.go.wait(10):
            _burn(seconds)
        self.burnt.set()
        self.release.wait(10)

    @property
    def native_id(self) -> int:
        assert self.thread.native_id is not None
        return self.thread.native_id


@contextmanager
def _burning_thread(seconds: float) -> Iterator[Burner]:
    """A started ``Burner``, released and joined on leaving."""
    burner = Burner(seconds)
    burner.thread.start()
    try:
        yield burner
    finally:
        burner.go.set()
        burner.release.set()
        burner.thread.join(10)
        assert not burner.thread.is_alive()


def test_another_threads_work_inside_the_span_is_counted() -> None:
    with _burning_thread(BURN) as peer:
        meter = PeerCpu(lambda: ())
        with meter.span():
            peer.go.set()
            assert peer.burnt.wait(10)
    assert meter.seconds is not None and BURN * 0.9 <= meter.seconds < BURN + 0.1


def test_the_calling_threads_own_work_is_not() -> None:
    meter = PeerCpu(lambda: ())
    with meter.span():
        _burn(BURN)
    assert meter.seconds is not None and meter.seconds < BURN / 3


def test_a_candidate_threads_work_is_not() -> None:
    with _burning_thread(BURN) as candidate:
        meter = PeerCpu(lambda: (candidate.native_id,))
        with meter.span():
            candidate.go.set()
            assert candidate.burnt.wait(10)
        burnt = thread_cpu(candidate.native_id)
        assert burnt is not None and burnt >= BURN
    assert meter.seconds is not None and meter.seconds < BURN / 3


def test_an_unknown_candidate_thread_leaves_the_load_unknown() -> None:
    no_such_thread = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # above any thread id
    assert thread_cpu(no_such_thread) is None
    meter = PeerCpu(lambda: (no_such_thread,))
    with meter.span():
        pass
    assert meter.seconds is None


def test_a_runs_peer_load_leaves_out_the_candidate_in_process(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, resolve("python:bench_spinning"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.seconds is not None and run.seconds >= 8 * SPIN_SECONDS  # 8 strings, each spun over
    assert run.peer_load is not None and run.peer_load < 0.3, (run.peer_cpu, run.seconds)
    _assert_own_work_counted(run)


def _assert_own_work_counted(run: RunResult) -> None:
    """The candidate's reported CPU time holds its 8 spins of CPU, and never more than its wall time."""
    assert run.candidate_cpu is not None and run.candidate_cpu >= 8 * SPIN_SECONDS * 0.95, run.candidate_cpu
    assert run.candidate_load is not None and run.candidate_load <= 1.05, (run.candidate_cpu, run.seconds)


def test_a_runs_peer_load_through_a_driver(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, resolve("driver:python:bench_spinning"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.out_of_process and run.seconds is not None and run.seconds >= 8 * SPIN_SECONDS
    assert run.peer_load is not None and run.peer_load < 0.3, (run.peer_cpu, run.seconds)
    _assert_own_work_counted(run)
