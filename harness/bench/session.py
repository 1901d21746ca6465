"""A bench session: every workload run for the reference and each candidate, interleaved.

For each workload the sides take turns within a round (candidate(s), then
the reference, with the peer ceiling measured alongside), round after round:
first ``warmup`` rounds whose times are dropped (the first connection,
imports and caches of every side), then ``pairs`` measured rounds. Whatever
drifts during the session (the machine's load, its clock, its caches) thus
hits every side alike, and each side gets ``pairs`` samples.

A side whose run is not correct (FAIL, CRASH, TIMEOUT, UNIMPLEMENTED) is
not run again for that workload: a wrong answer has no speed, and its one
result record says why. A workload whose ``requires`` this machine lacks is
SKIP for every side, with the reason; so is a side whose candidate cannot
run here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness import capabilities
from harness.adapters.base import CandidateInfo, CandidateSpec
from harness.bench.ceiling_run import measure_ceiling
from harness.bench.execution import RunResult, run_workload
from harness.runner import RunOptions
from harness.scenario.model import Scenario, ScenarioResult, Verdict

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchOptions:
    pairs: int = 5
    warmup: int = 1
    ceiling: bool = True
    run: RunOptions = field(default_factory=RunOptions)


@dataclass
class SideRuns:
    """One side's runs of one workload."""

    candidate: str
    seconds: list[float] = field(default_factory=list)
    result: ScenarioResult | None = None  # the deciding result: the first bad run, else the last good one
    protocol_bound: bool = False
    callback_calls: int = 0
    info: CandidateInfo | None = None
    length_only: bool = False  # value 1 checked by length only: the candidate cannot hash it
    peer_loads: list[float] = field(default_factory=list)  # per measured run, where it was measured
    peer_waits: list[float] = field(default_factory=list)  # per measured run, where it was measured
    candidate_loads: list[float] = field(default_factory=list)  # per measured run, where the candidate said

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict if self.result is not None else Verdict.SKIP

    @property
    def stopped(self) -> bool:
        """No more runs: a run was not correct, or the side was skipped."""
        return self.result is not None and not _correct(self.result.verdict)

    def add(self, run: RunResult, measured: bool) -> None:
        if self.stopped:
            return
        self.result = run.result
        self.info = run.info or self.info
        if not run.correct:
            return
        self.protocol_bound = self.protocol_bound or run.protocol_bound
        self.length_only = self.length_only or run.length_only
        self.callback_calls = max(self.callback_calls, run.callback_calls)
        if measured and run.seconds is not None:
            self.seconds.append(run.seconds)
            if run.peer_load is not None:
                self.peer_loads.append(run.peer_load)
            if run.peer_wait is not None:
                self.peer_waits.append(run.peer_wait)
            if run.candidate_load is not None:
                self.candidate_loads.append(run.candidate_load)


@dataclass
class WorkloadRuns:
    scenario: Scenario
    sides: dict[str, SideRuns]
    ceiling_seconds: list[float] = field(default_factory=list)
    ceiling_error: str = ""


def _correct(verdict: Verdict) -> bool:
    return verdict in (Verdict.PASS, Verdict.NON_STRICT, Verdict.INFORMATIONAL)


def _skip(scenario: Scenario, candidate: str, reason: str) -> ScenarioResult:
    return ScenarioResult(scenario.id, candidate, Verdict.SKIP, 0.0, reason=reason,
                          step=str(scenario.location))


class BenchInterrupted(Exception):
    """Ctrl-C during a session: the workloads measured to the end before it, which are worth keeping.

    A full bench takes tens of minutes; losing every finished workload to one keystroke in the
    last of them would be a waste. The workload it stopped in is dropped: its rounds are not all there.
    """

    def __init__(self, finished: list[WorkloadRuns]) -> None:
        super().__init__(f"interrupted after {len(finished)} workloads")
        self.finished = finished


def run_session(workloads: Sequence[Scenario], reference: CandidateSpec, candidates: Sequence[CandidateSpec],
                options: BenchOptions | None = None, progress: Progress | None = None) -> list[WorkloadRuns]:
    """Every workload, every side, interleaved; in the order given. Ctrl-C raises ``BenchInterrupted``."""
    options = options or BenchOptions()
    say = progress or (lambda line: None)
    finished: list[WorkloadRuns] = []
    try:
        for scenario in workloads:
            finished.append(_run_workload(scenario, reference, candidates, options, say))
    except KeyboardInterrupt:
        raise BenchInterrupted(finished) from None
    return finished


def _run_workload(scenario: Scenario, reference: CandidateSpec, candidates: Sequence[CandidateSpec],
                  options: BenchOptions, say: Progress) -> WorkloadRuns:
    order = [*candidates, reference]
    runs = WorkloadRuns(scenario, {spec.name: SideRuns(spec.name) for spec in [reference, *candidates]})
    missing = next((f"requires {name}: {why}" for name in scenario.requires
                    if (why := capabilities.why_missing(name, options.run.capabilities)) is not None), None)
    for spec in order:
        why = missing or (spec.unavailable() if spec.unavailable is not None else None)
        if why:
            runs.sides[spec.name].result = _skip(scenario, spec.name, why)
            if not missing:
                say(f"{scenario.id}: {spec.name} SKIP: {reason_line(why)}")
    if missing:
        say(f"{scenario.id}: SKIP ({missing})")
        return runs
    total = options.warmup + options.pairs
    for number in range(total):
        measured = number >= options.warmup
        if measured and options.ceiling:
            _measure_ceiling(runs, options)
        stopped = []
        for spec in order:
            side = runs.sides[spec.name]
            if not side.stopped:
                side.add(run_workload(scenario, spec, options.run), measured)
                if side.stopped:
                    stopped.append(side)
        say(_round_line(scenario, runs, number + 1, total, measured))
        for side in stopped:  # why, once: later rounds only repeat the verdict
            assert side.result is not None
            say(f"  {side.candidate} {side.verdict.value}: {reason_line(side.result.reason)}")
    return runs


REASON_LIMIT = 240


def reason_line(reason: str) -> str:
    """A side's reason on one terminal line: its first line, cut at ``REASON_LIMIT`` characters.

    The first line of a CRASH says what crashed; the traceback after it
    is in results.json and the reports.
    """
    first = (reason.strip().splitlines() or ["(no reason given)"])[0]
    return first if len(first) <= REASON_LIMIT else first[:REASON_LIMIT - 1] + "…"


def _measure_ceiling(runs: WorkloadRuns, options: BenchOptions) -> None:
    if runs.ceiling_error:
        return
    result = measure_ceiling(runs.scenario, options.run)
    if result is None:
        return
    if result.seconds is None:
        runs.ceiling_error = result.error
    else:
        runs.ceiling_seconds.append(result.seconds)


def _round_line(scenario: Scenario, runs: WorkloadRuns, number: int, total: int, measured: bool) -> str:
    states = []
    for name, side in runs.sides.items():
        state = f"{side.seconds[-1]:.3f}s" if measured and side.seconds and _correct(side.verdict) \
            else side.verdict.value
        states.append(f"{name} {state}")
    kind = "round" if measured else "warm-up"
    return f"{scenario.id} {kind} {number}/{total}: " + ", ".join(states)
