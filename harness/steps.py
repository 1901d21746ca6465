"""Runs a scenario's steps, in order, against one adapter.

Each step is turned into something that can be judged: a call into a
``Call`` with its Refs resolved and its deadline scaled, a ``wait`` into a
bounded wait on the sync board, a ``check``/``check-callback`` into the
inspector's judgement of what a fake server or a callback recorded. Every call, value and sync event goes into
the transcript as Lua text, e.g. ``c:receive("*l") -> "hello" (0.002s)``.
Running stops at the first step that is not acceptable, or after an outcome
marked ``stop``; the result is the worst acceptable verdict seen, or the
deciding non-pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from harness.adapters.base import Adapter, Call, Outcome, Returned
from harness.judging import Judgement, describe_observed, judge
from harness.peers.sync import SyncBoard
from harness.scenario.model import (
    ACCEPTABLE_ORDER,
    CallStep,
    CheckCallbackStep,
    CheckStep,
    SignalStep,
    SleepStep,
    SourceLocation,
    Step,
    Verdict,
    WaitStep,
)
from harness.scenario.refs import UnresolvedRef, resolve
from harness.transcript import Transcript
from harness.values import Handle, LuaTable, LuaValue, lua_repr, lua_repr_all


class ScenarioError(Exception):
    """The scenario itself is wrong (e.g. an unresolved Ref): a CRASH, not a FAIL."""


class CheckJudge(Protocol):
    """Judges ``check``/``check-callback`` steps (``harness.inspection.Inspector``)."""

    def judge(self, step: CheckStep | CheckCallbackStep) -> Judgement: ...


def handles_in(values: Iterable[LuaValue]) -> list[Handle]:
    """Every socket handle among ``values``, tables searched too."""
    found: list[Handle] = []
    for value in values:
        if isinstance(value, Handle):
            found.append(value)
        elif isinstance(value, LuaTable):
            found.extend(handles_in(value.values()))
    return found


ARG_LIMIT = 64
"""Bytes of a string argument shown in a call's text (``lua_repr`` keeps a head and a tail and
gives the length). The call heads every reason about it: an 8 MiB argument shown as 200 bytes
would push what was expected out of any report that cuts."""


def call_text(step: CallStep, args: Iterable[LuaValue]) -> str:
    """The call as Lua source: ``c:receive("*l")`` or ``receive(<tcp-client #1>, "*l")``."""
    shown = ", ".join(lua_repr(arg, ARG_LIMIT) for arg in args)
    if step.style == "method":
        return f"{step.target}:{step.function}({shown})"
    return f"{step.function}({shown})"


def _where(location: SourceLocation | None) -> str:
    return str(location) if location else "?"


class StepRunner:
    """Executes steps for one scenario run and remembers every handle seen."""

    def __init__(
        self,
        adapter: Adapter,
        env: dict[str, LuaValue],
        board: SyncBoard,
        transcript: Transcript,
        *,
        time_scale: float,
        default_deadline: float,
        peer_failed: Callable[[], bool] = lambda: False,
        inspector: CheckJudge | None = None,
        call_ended: Callable[[str], None] = lambda returned: None,
    ) -> None:
        self.adapter = adapter
        self.env = env
        self.board = board
        self.transcript = transcript
        self.time_scale = time_scale
        self.default_deadline = default_deadline
        self.peer_failed = peer_failed
        self.inspector = inspector
        self.call_ended = call_ended  # told the handles each call returned ("" if none), after it
        self.handles: dict[int, Handle] = {}
        self.stopped_at = ""  # "path:line" of the outcome that ended the scenario early, if one did

    def run_all(self, steps: Iterable[Step]) -> Judgement:
        """Run steps until one is not acceptable, one's outcome stops the scenario, or a peer failed."""
        worst = Judgement(Verdict.PASS)
        ordered = list(steps)
        for number, step in enumerate(ordered, start=1):
            judgement = self.run(step)
            if judgement.verdict not in ACCEPTABLE_ORDER:
                return judgement
            skipped = len(ordered) - number
            stopping = judgement.stops and skipped > 0
            if stopping:
                judgement = replace(judgement, reason=f"{judgement.reason} (the scenario ends here: "
                                                      f"{skipped} later step(s) not run)")
            if ACCEPTABLE_ORDER.index(judgement.verdict) > ACCEPTABLE_ORDER.index(worst.verdict):
                worst = judgement
            if stopping:
                self.stopped_at = judgement.step
                self.transcript.record("harness", f"the outcome at {judgement.step} ends the scenario: "
                                                  f"{skipped} later step(s) not run")
                break
            if self.peer_failed():
                break
        return worst

    def run(self, step: Step) -> Judgement:
        if isinstance(step, CallStep):
            return self._call(step)
        if isinstance(step, SignalStep):
            self.board.signal(step.name, source="steps")
            return Judgement(Verdict.PASS)
        if isinstance(step, WaitStep):
            return self._wait(step)
        if isinstance(step, SleepStep):
            self.transcript.record("steps", f"sleep {step.seconds:g}s")
            time.sleep(step.seconds)
            return Judgement(Verdict.PASS)
        if isinstance(step, (CheckStep, CheckCallbackStep)):
            return self._check(step)
        raise ScenarioError(f"unknown step {step!r}")

    def _check(self, step: CheckStep | CheckCallbackStep) -> Judgement:
        if self.inspector is None:
            raise ScenarioError(f"{_where(step.location)}: a check step, but the run has no inspector")
        try:
            judgement = self.inspector.judge(step)
        except UnresolvedRef as missing:
            raise ScenarioError(f"{_where(step.location)}: {missing} in a check") from None
        if judgement.verdict is Verdict.PASS:
            return judgement
        return self._decided(judgement, step.location)

    def _wait(self, step: WaitStep) -> Judgement:
        timeout = (self.default_deadline if step.timeout is None else step.timeout) * self.time_scale
        if self.board.wait(step.name, timeout, source="steps"):
            return Judgement(Verdict.PASS)
        why = "a peer failed first" if self.board.aborted else f"not raised within {timeout:g}s"
        return self._decided(Judgement(Verdict.FAIL, f"wait for signal {step.name!r}: {why}"), step.location)

    def _call(self, step: CallStep) -> Judgement:
        where = _where(step.location)
        try:
            args = tuple(resolve(arg, self.env) for arg in step.args)
        except UnresolvedRef as missing:
            raise ScenarioError(f"{where}: {missing} in the arguments of {step.function}") from None
        target = self._target(step)
        if isinstance(target, Judgement):
            return self._decided(target, step.location)
        deadline = (step.deadline if step.deadline is not None else self.default_deadline) * self.time_scale
        call = Call(step.function, args, "method" if step.style == "method" else "global", target, deadline)
        text = call_text(step, args)
        began = self.transcript.elapsed()
        started = time.monotonic()
        outcome = self.adapter.call(call)
        duration = time.monotonic() - started
        self._record(text, outcome, duration)
        returned = handles_in(outcome.values) if isinstance(outcome, Returned) else []
        self.call_ended(", ".join(lua_repr(handle) for handle in returned))
        judgement = judge(outcome, step.expect, duration, self.env, self.time_scale)
        if isinstance(outcome, Returned):
            self._save(step, outcome.values)
        if judgement.verdict is not Verdict.PASS:
            return self._decided(judgement, step.location, prefix=text, started=began)
        return judgement

    def _target(self, step: CallStep) -> Handle | Judgement | None:
        """The socket of a method call, or a FAIL if the variable holds something else."""
        if step.style != "method":
            return None
        if step.target is None or step.target not in self.env:
            raise ScenarioError(f"{_where(step.location)}: method call on {step.target!r}, "
                                "which no step saved")
        value = self.env[step.target]
        if isinstance(value, Handle):
            return value
        return Judgement(Verdict.FAIL, f"cannot call {step.target}:{step.function}: "
                         f"{step.target} is {lua_repr(value)}, not a socket",
                         expected=(f"{step.target} is a socket",), actual=lua_repr(value))

    def _save(self, step: CallStep, values: tuple[LuaValue, ...]) -> None:
        for index, name in enumerate(step.save):
            if name is not None:
                self.env[name] = values[index] if index < len(values) else None
        for handle in handles_in(values):
            self.handles[handle.id] = handle

    def _record(self, text: str, outcome: Outcome, duration: float) -> None:
        if isinstance(outcome, Returned):
            line = f"{text} -> {lua_repr_all(outcome.values)} ({duration:.3f}s)"
        else:
            line = f"{text} -> {describe_observed(outcome, duration)}"
        self.transcript.record("candidate", line)

    def _decided(self, judgement: Judgement, location: SourceLocation | None, prefix: str = "",
                 started: float | None = None) -> Judgement:
        reason = f"{prefix}: {judgement.reason}" if prefix and judgement.reason else judgement.reason
        return Judgement(judgement.verdict, reason, _where(location), judgement.expected, judgement.actual,
                         at=self.transcript.elapsed(), stops=judgement.stops, started=started)

