"""The peers' load: CPU time of this process outside the caller and the candidate, over a timed span.

Also here: the candidate's own load, from the CPU time it reports for its loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_spinning import SPIN_SECONDS
from bench_support import TINY_STREAM, load_perf

from harness.bench.execution import RunResult, run_workload
from harness.bench.peerload import PeerCpu, thread_cpu, waited_between
from harness.candidates.registry import resolve
from harness.scenario.model import Verdict
from harness.threadtimes import ended, keeping_ended, record_end, run_delay

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


@contextmanager
def _core_hog(core: int) -> Iterator[None]:
    """A child process spinning on ``core`` until the block ends: whatever else is pinned there must queue."""
    program = (f"import os\nos.sched_setaffinity(0, {{{core}}})\n"
               "print('spinning', flush=True)\nwhile True: pass")
    hog = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    try:
        assert hog.stdout is not None and hog.stdout.readline() == "spinning\n"
        yield
    finally:
        hog.kill()
        hog.wait(10)
        if hog.stdout is not None:
            hog.stdout.close()


def test_a_peer_sharing_its_core_with_a_busy_process_is_measured_waiting() -> None:
    """Load alone would read this peer as half idle; the run queue shows it was ready to work throughout."""
    core = min(os.sched_getaffinity(0))
    with _burning_thread(BURN) as peer, _core_hog(core):
        os.sched_setaffinity(peer.native_id, {core})
        meter = PeerCpu(lambda: ())
        with meter.span():
            peer.go.set()
            assert peer.burnt.wait(10)
    assert meter.seconds is not None and meter.seconds >= BURN * 0.9
    assert meter.waited is not None and meter.waited >= BURN / 3, (meter.seconds, meter.waited)


def test_an_idle_peer_has_no_wait() -> None:
    """Blocked on its event, the peer is not on a run queue however busy the machine is."""
    with _burning_thread(BURN) as peer:
        # every other thread of this process (pytest's, xdist's) counts as the candidate's here,
        # so that only the idle peer is measured
        meter = PeerCpu(lambda: [ident for ident in map(int, os.listdir("/proc/self/task"))
                                 if ident != peer.native_id])
        with meter.span():
            time.sleep(0.05)  # a span of the peer's idleness, not a wait for an event
        assert run_delay(peer.native_id) is not None
    assert meter.waited is not None and meter.waited < 0.005, meter.waited


def test_a_peer_thread_gone_by_the_end_leaves_the_wait_unknown() -> None:
    """Its run-queue time went with it: an unknown wait, never an understated one."""
    assert waited_between({1: 0.5, 2: 0.25}, {1: 0.75, 2: 0.5, 3: 0.125}) == 0.625  # 3 started in between
    assert waited_between({1: 0.5, 2: 0.25}, {1: 0.75}) is None  # 2 ended, leaving no figure
    assert waited_between({1: 0.5, 2: 0.25}, {1: 0.75}, {2: 0.5}.get) == 0.5  # 2 recorded its last one
    assert waited_between({1: 0.5}, {1: None}) is None  # unreadable
    assert waited_between(None, {1: 0.5}) is None  # no thread list


def _start_ending_thread() -> tuple[int, Callable[[], None]]:
    """A thread that records its end once let go: its native id, and what lets it go and joins it."""
    started = threading.Event()
    release = threading.Event()
    ident: list[int] = []

    def ending() -> None:
        ident.append(threading.get_native_id())
        started.set()
        release.wait(10)
        record_end()

    thread = threading.Thread(target=ending, name="lsconform-test-ending")
    thread.start()
    started.wait(10)

    def finish() -> None:
        release.set()
        thread.join(10)

    return ident[0], finish


def test_a_peer_thread_that_records_its_end_keeps_the_wait_known() -> None:
    """A sender that finishes its script inside the timed part (``harness.threadtimes.record_end``)."""
    _, finish = _start_ending_thread()
    meter = PeerCpu(lambda: ())
    with meter.span():
        finish()
    assert meter.seconds is not None and meter.waited is not None


def test_an_end_is_kept_only_while_a_meter_measures() -> None:
    """A conformance run (no meter) keeps nothing; a span's figures are gone once it is over."""
    outside, finish = _start_ending_thread()
    finish()
    assert ended(outside) is None
    inside, finish = _start_ending_thread()
    with keeping_ended():
        finish()
        kept = ended(inside)
    assert kept is not None and kept >= 0
    assert ended(inside) is None


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
