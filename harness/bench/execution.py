"""One run of a perf workload for one candidate: its time, and whether the answer was right.

A run is a scenario run: ``_WorkloadRun`` is a ``harness.runner.ScenarioRun``,
so peers are set up and started, a fresh adapter made, the steps run in
order, the peers awaited and their failures folded in, then a teardown that
always releases, closes and stops, and a leak check, exactly as for
conformance. The difference is the step loop's timed part
(``workload.timed``): a repeated call (``repeated``) or rounds of calls
(``rounds``), whose figures (``timed.TimedFigures``) become the run's
``RunResult``.

Every other step (connects, closes, ``check:`` of what a fake server
received) is judged as in any scenario, so a fast wrong answer is a FAIL
with no time at all. Callback round trips made during the timed part are
counted (the run's callback handler counts them), since through a driver
they make the figure ``protocol_bound``.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

from harness.adapters.base import CandidateInfo, CandidateSpec
from harness.adapters.inprocess import InProcessAdapter
from harness.bench.repeated import run_repeated
from harness.bench.rounds import run_rounds
from harness.bench.timed import TimedContext, TimedFigures
from harness.bench.workload import RepeatedCall, Rounds, Workload
from harness.judging import Judgement
from harness.runner import RunOptions, ScenarioRun
from harness.scenario.model import ACCEPTABLE_ORDER, CallStep, Scenario, ScenarioResult, Verdict
from harness.values import LuaValue


@dataclass(frozen=True)
class RunResult:
    """One run: the scenario-style result, and the timed part's seconds when it was correct."""

    result: ScenarioResult
    seconds: float | None = None
    callback_calls: int = 0
    callback_bytes: int = 0
    out_of_process: bool = False
    harness_timed: bool = False
    info: CandidateInfo | None = None  # what the candidate said about itself (a driver's hello)
    length_only: bool = False
    """The workload expects value 1's SHA-256 but the candidate cannot hash: only lengths were checked."""
    peer_cpu: float | None = None
    """CPU seconds the harness's peers used during the timed part (``harness.bench.peerload``)."""
    peer_wait_seconds: float | None = None
    """Seconds the peers' threads were runnable but had no core, during the timed part (``peerload``)."""
    candidate_cpu: float | None = None
    """CPU seconds the candidate reported for its timed loop, hashing excluded (PROTOCOL.md, ``cpu``)."""

    @property
    def peer_load(self) -> float | None:
        """The peers' CPU seconds per second of the candidate's timed part (1 = a core never idle)."""
        return self._per_timed_second(self.peer_cpu)

    @property
    def peer_wait(self) -> float | None:
        """The peers' run-queue seconds per second of the timed part: ready to work, but without a core."""
        return self._per_timed_second(self.peer_wait_seconds)

    @property
    def candidate_load(self) -> float | None:
        """The candidate's own CPU seconds per second of its timed part: below 1, it waited."""
        return self._per_timed_second(self.candidate_cpu)

    def _per_timed_second(self, cpu: float | None) -> float | None:
        if cpu is None or not self.seconds:
            return None
        return cpu / self.seconds

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    @property
    def correct(self) -> bool:
        return self.result.verdict in ACCEPTABLE_ORDER and self.seconds is not None

    @property
    def protocol_bound(self) -> bool:
        """The figure includes driver-protocol traffic: callbacks, or a call per unit of work."""
        return self.out_of_process and (self.callback_calls > 0 or self.harness_timed)


def run_workload(scenario: Scenario, candidate: CandidateSpec,
                 options: RunOptions | None = None) -> RunResult:
    """One run of ``scenario`` (which has a workload) for ``candidate``; never raises."""
    options = options or RunOptions()
    started = time.monotonic()
    try:
        return _WorkloadRun(scenario, candidate, options).measure()
    except Exception:
        reason = "harness error:\n" + traceback.format_exc()
        result = ScenarioResult(scenario.id, candidate.name, Verdict.CRASH, time.monotonic() - started,
                                reason=reason, step=str(scenario.location))
        return RunResult(result)


class _WorkloadRun(ScenarioRun):
    """A scenario run whose step loop runs the workload's timed part, and which counts callbacks."""

    def __init__(self, scenario: Scenario, candidate: CandidateSpec, options: RunOptions) -> None:
        if scenario.workload is None:
            raise ValueError(f"{scenario.id} has no workload section")
        super().__init__(scenario, candidate, options)
        self.workload: Workload = scenario.workload
        self.figures = TimedFigures()

    def measure(self) -> RunResult:
        """The whole run (``execute``) with the timed part's figures; a time only if the run was correct."""
        result = self.execute()
        figures = self.figures
        acceptable = result.verdict in ACCEPTABLE_ORDER
        return RunResult(result, figures.seconds if acceptable else None, figures.callback_calls,
                         figures.callback_bytes, not isinstance(self.adapter, InProcessAdapter),
                         harness_timed=figures.harness_timed,
                         info=self.adapter.info if self.adapter is not None else None,
                         length_only=figures.length_only, peer_cpu=figures.peer_cpu,
                         peer_wait_seconds=figures.peer_wait,
                         candidate_cpu=figures.candidate_cpu)

    def handle_callback(self, name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        """The scenario's callbacks answer, as in any run; those made during the timed part are counted."""
        self.figures.count_callback(args)
        return super().handle_callback(name, args)

    def run_steps(self) -> Judgement:
        """The steps in order, the timed part in its place (a span of rounds is run as one)."""
        assert self.steps is not None and self.peers is not None and self.adapter is not None
        timed = self.workload.timed
        context = TimedContext(self.scenario, self.adapter, self.steps, self.env, self.options,
                               self.transcript, self.callbacks, self.figures)
        worst = Judgement(Verdict.PASS)
        for index, step in enumerate(self.scenario.steps):
            if isinstance(timed, RepeatedCall) and index == timed.step:
                assert isinstance(step, CallStep)
                judgement = run_repeated(context, step, timed, self.workload.expect)
            elif isinstance(timed, Rounds) and index == timed.first:
                judgement = run_rounds(context, timed)
            elif isinstance(timed, Rounds) and timed.first < index <= timed.last:
                continue
            else:
                judgement = self.steps.run(step)
            if judgement.verdict not in ACCEPTABLE_ORDER:
                return judgement
            if ACCEPTABLE_ORDER.index(judgement.verdict) > ACCEPTABLE_ORDER.index(worst.verdict):
                worst = judgement
            if self.peers.failures():
                break
        return worst
