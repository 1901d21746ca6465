"""What the timed parts of a workload run share: the calls they make, and the figures they leave.

A workload's timed part is either a repeated call (``repeated``) or rounds
of call steps (``rounds``). Both build their calls from the scenario's
steps the way ``harness.steps`` would, keep the sockets they return for
the teardown, and leave their figures (the seconds, how callbacks were
counted, how value 1 was checked) in one ``TimedFigures`` that the run
turns into its ``RunResult``, correct or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.adapters.base import Adapter, Call
from harness.bench.peerload import PeerCpu
from harness.callbacks import CallbackSet
from harness.judging import Judgement
from harness.runner import RunOptions
from harness.scenario.model import CallStep, Scenario, Verdict
from harness.scenario.refs import UnresolvedRef, resolve
from harness.steps import StepRunner, handles_in
from harness.transcript import Transcript
from harness.values import Handle, LuaValue, lua_repr


@dataclass
class TimedFigures:
    """What the timed part measured and how; filled in as it goes, kept even when the run fails."""

    seconds: float | None = None
    """The timed part's time, set only once its answer was found right."""
    callback_calls: int = 0
    callback_bytes: int = 0
    length_only: bool = False
    """The workload expects value 1's SHA-256 but the candidate cannot hash: only lengths were checked."""
    harness_timed: bool = False
    """The harness called and timed every call itself (rounds without a sequence-capable candidate)."""
    peer_cpu: float | None = None
    """CPU seconds of the harness's peers during the timed call(s) (``peerload``); None if unknown."""
    peer_wait: float | None = None
    """Seconds the peers' threads waited for a core in the timed call(s) (``peerload``); None if unknown."""
    candidate_cpu: float | None = None
    """CPU seconds the candidate reported for its own loop, hashing excluded; None if it did not."""
    counting: bool = field(default=False, repr=False)

    def count_callback(self, args: tuple[LuaValue, ...]) -> None:
        """Count a callback round trip made during the timed part: those are what the figure includes."""
        if self.counting:
            self.callback_calls += 1
            if args and isinstance(args[0], bytes):
                self.callback_bytes += len(args[0])

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Count the callbacks made inside the block (the timed calls) and no others."""
        self.counting = True
        try:
            yield
        finally:
            self.counting = False


@dataclass
class TimedContext:
    """The run's parts a timed part works with; the run builds one once its adapter and steps exist."""

    scenario: Scenario
    adapter: Adapter
    steps: StepRunner
    env: dict[str, LuaValue]
    options: RunOptions
    transcript: Transcript
    callbacks: CallbackSet
    figures: TimedFigures

    @contextmanager
    def timed_span(self) -> Iterator[None]:
        """Around the timed call(s): callbacks counted, and the peers' CPU time measured."""
        meter = PeerCpu(self.adapter.candidate_threads)
        try:
            with self.figures.counted(), meter.span():
                yield
        finally:
            self.figures.peer_cpu = meter.seconds
            self.figures.peer_wait = meter.waited

    def call_for(self, step: CallStep) -> Call | Judgement:
        """The adapter call ``step`` makes, or why it cannot be made (judged as ``harness.steps`` would)."""
        where = str(step.location or "?")
        try:
            args = tuple(resolve(arg, self.env) for arg in step.args)
        except UnresolvedRef as missing:
            return Judgement(Verdict.CRASH, f"scenario error: {where}: {missing}", step=where)
        target: Handle | None = None
        if step.style == "method":
            value = self.env.get(step.target or "")
            if not isinstance(value, Handle):
                return Judgement(Verdict.FAIL, f"cannot call {step.target}:{step.function}: {step.target} is "
                                 f"{lua_repr(value)}, not a socket", step=where)
            target = value
        deadline = (step.deadline if step.deadline is not None else self.options.default_deadline) * \
            self.options.time_scale
        return Call(step.function, args, "method" if step.style == "method" else "global", target, deadline)

    def keep_handles(self, values: tuple[LuaValue, ...]) -> None:
        """Hold the sockets among ``values`` so that the teardown releases them."""
        for handle in handles_in(values):
            self.steps.handles[handle.id] = handle
