"""One run of a perf workload for one candidate: its time, and whether the answer was right.

A run is a scenario run (``harness.runner`` does the same for conformance):
peers set up and started, a fresh adapter, the steps in order, the peers
awaited, then a teardown that always releases, closes and stops, and a leak
check. The difference is the timed part (``workload.timed``):

* a **repeated call** goes to ``adapter.call_repeated`` (PROTOCOL.md
  section 7): the candidate loops over the call itself, counts the bytes of
  value 1 instead of returning them, and reports the loop's time by its own
  clock. The run is correct only if the candidate's account matches
  ``workload.expect`` (repetitions, bytes, last values). Where the workload
  states value 1's ``sha256``, a candidate that can (``adapter.claims
  ("digest")``) hashes value 1 off its clock and the digest must match; one
  that cannot is checked by length only, and its run is flagged
  ``length_only``: shown, not scored;
* **rounds** run a span of call steps again and again. A candidate that
  can run them itself (in process, or a driver claiming ``sequence``,
  PROTOCOL.md section 7.2) gets them as one sequence and times the loop by
  its own clock; the run is then correct only if it did every round, each
  step's ``expect`` holds for the last round's values and, where a step
  expects a literal string as value 1, the bytes and the SHA-256 of value 1
  over all rounds are those of that literal repeated (so a wrong byte in
  any round fails). Otherwise the harness calls the adapter once per call
  of every round, judges each call against its step's ``expect`` and times
  the rounds itself.

Every other step (connects, closes, ``check:`` of what a fake server
received) is judged as in any scenario, so a fast wrong answer is a FAIL
with no time at all. Callback round trips made during the timed part are
counted: through a driver they carry the payload across the protocol, and
the scoring leaves such figures out (``protocol_bound``). So the timed
call's callbacks that a local one reproduces exactly, and that no other
step uses, are offered to the candidate to run itself (PROTOCOL.md section
7.1, ``local-callbacks``): a driver that claims it makes no round trip, its
account is merged into the scenario's callbacks for the ``check-callback:``
steps, and the figure is scored. A driver without it keeps the round trips.
"""

from __future__ import annotations

import hashlib
import re
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from harness import leaks
from harness.adapters.base import Adapter, Call, CandidateInfo, CandidateSpec, Outcome, Raised, Returned
from harness.adapters.driver_loops import (
    DIGEST_CAPABILITY,
    RepeatReport,
    RepeatRequest,
    SequenceReport,
    SequenceRequest,
)
from harness.adapters.inprocess import InProcessAdapter
from harness.bench.workload import RepeatedCall, Rounds, Workload
from harness.callbacks import CallbackSet, callback_names, runs_locally
from harness.inspection import Inspector
from harness.judging import Judgement, judge
from harness.peers.base import PeerContext
from harness.peers.group import PeerGroup
from harness.peers.sync import SyncBoard
from harness.runner import RunOptions
from harness.scenario.matchers import Exact, match_returns
from harness.scenario.model import (
    ACCEPTABLE_ORDER,
    CallbackSpec,
    CallStep,
    CheckCallbackStep,
    Scenario,
    ScenarioResult,
    Verdict,
)
from harness.scenario.refs import UnresolvedRef, resolve
from harness.steps import StepRunner, call_text, handles_in
from harness.transcript import Transcript
from harness.values import Handle, LuaValue, lua_repr, lua_repr_all


@runtime_checkable
class RepeatingAdapter(Protocol):
    """An adapter that can loop over a call inside the candidate (the driver and in-process adapters)."""

    def call_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]: ...


@runtime_checkable
class SequencingAdapter(Protocol):
    """An adapter that can run rounds of calls inside the candidate (PROTOCOL.md section 7.2)."""

    def call_sequence(self, calls: Sequence[Call],
                      request: SequenceRequest) -> tuple[Outcome, SequenceReport | None]: ...


def can_sequence(adapter: Adapter, digest: bool) -> bool:
    """Whether ``adapter``'s candidate runs sequences itself (with digests when ``digest``).

    In process it always can; a driver can when its hello claims ``sequence``
    (and ``digest`` too when the rounds need one). A driver that cannot keeps
    the harness-timed rounds, whose every call is judged by the harness.
    """
    if not isinstance(adapter, SequencingAdapter):
        return False
    return adapter.claims("sequence") and (not digest or adapter.claims(DIGEST_CAPABILITY))


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
        return _WorkloadRun(scenario, candidate, options).execute()
    except Exception:
        reason = "harness error:\n" + traceback.format_exc()
        result = ScenarioResult(scenario.id, candidate.name, Verdict.CRASH, time.monotonic() - started,
                                reason=reason, step=str(scenario.location))
        return RunResult(result)


def literal_first_value(step: CallStep, env: dict[str, LuaValue]) -> bytes | None:
    """The string every acceptable outcome of ``step`` expects as value 1, when there is exactly one.

    Only then can a sequence's account of all rounds be checked byte for
    byte (its length times the rounds, and the SHA-256 of it repeated);
    a matcher that accepts several strings leaves value 1 to the last
    round's ``expect``.
    """
    found: set[bytes] = set()
    for expected in step.expect:
        first = expected.returns[0] if expected.returns else None
        if not isinstance(first, Exact):
            return None
        try:
            value = resolve(first.value, env)
        except UnresolvedRef:
            return None
        if not isinstance(value, bytes):
            return None
        found.add(value)
    return found.pop() if len(found) == 1 else None


def _stream_problem(literal: bytes, rounds: int, size: int, sha256: str | None) -> str:
    """What is wrong with value 1 over all rounds when every round should give ``literal`` ("" if nothing)."""
    if size != len(literal) * rounds:
        expected = len(literal) * rounds
        return f"{size} bytes of value 1 in total, expected {expected} ({len(literal)} x {rounds})"
    digest = hashlib.sha256()
    for _ in range(rounds):
        digest.update(literal)
    if sha256 != digest.hexdigest():
        return (f"the SHA-256 of value 1 over all rounds is {sha256}, expected {digest.hexdigest()}: some "
                "round returned other bytes of the same length")
    return ""


def _failed_step(outcome: Outcome, steps: list[CallStep]) -> str:
    """The location of the step a sequence's error names ("round k, call j (...)"), else the first step's."""
    if isinstance(outcome, Raised):
        match = re.match(r"round \d+, call (\d+) ", outcome.message)
        if match and 1 <= int(match.group(1)) <= len(steps):
            return str(steps[int(match.group(1)) - 1].location or "?")
    return str(steps[0].location or "?")


class _WorkloadRun:
    """One execution; holds what teardown must release."""

    def __init__(self, scenario: Scenario, candidate: CandidateSpec, options: RunOptions) -> None:
        if scenario.workload is None:
            raise ValueError(f"{scenario.id} has no workload section")
        self.scenario = scenario
        self.workload: Workload = scenario.workload
        self.candidate = candidate
        self.options = options
        self.transcript = Transcript()
        self.board = SyncBoard(self.transcript)
        self.env: dict[str, LuaValue] = {}
        self.context = PeerContext(self.board, self.transcript, self.env, options.time_scale,
                                   options.default_deadline)
        self.callbacks = CallbackSet(scenario.callbacks, self.transcript)
        self.peers: PeerGroup | None = None
        self.adapter: Adapter | None = None
        self.steps: StepRunner | None = None
        self.seconds: float | None = None
        self.callback_calls = 0
        self.callback_bytes = 0
        self.length_only = False
        self.harness_timed = False
        self._counting = False

    def execute(self) -> RunResult:
        before = leaks.snapshot()
        try:
            judgement = self._run()
        except Exception:
            judgement = Judgement(Verdict.CRASH, "harness error:\n" + traceback.format_exc(),
                                  at=self.transcript.elapsed())
        finally:
            errors = self._teardown()
        if errors and judgement.verdict in ACCEPTABLE_ORDER:
            judgement = Judgement(Verdict.CRASH, "teardown failed: " + "; ".join(errors))
        leaked = tuple(leaks.find_leaks(before, self.options.leak_grace))
        if leaked and judgement.verdict in ACCEPTABLE_ORDER:
            judgement = replace(judgement, verdict=Verdict.FAIL, reason="leaked: " + "; ".join(leaked))
        acceptable = judgement.verdict in ACCEPTABLE_ORDER
        result = ScenarioResult(
            scenario=self.scenario.id, candidate=self.candidate.name, verdict=judgement.verdict,
            duration=round(self.transcript.elapsed(), 6), reason=judgement.reason, step=judgement.step,
            expected=judgement.expected, actual=judgement.actual,
            transcript=() if judgement.verdict is Verdict.PASS else self.transcript.entries(), leaks=leaked)
        return RunResult(result, self.seconds if acceptable else None, self.callback_calls,
                         self.callback_bytes, not isinstance(self.adapter, InProcessAdapter),
                         harness_timed=self.harness_timed,
                         info=self.adapter.info if self.adapter is not None else None,
                         length_only=self.length_only)

    def _run(self) -> Judgement:
        scale = self.options.time_scale
        self.peers = PeerGroup(self.scenario.peers, self.context)
        self.env.update(self.peers.setup())
        self.peers.start()
        self.adapter = self.candidate.make_adapter()
        self.adapter.set_callback_handler(self._callback)
        info = self.adapter.info
        self.transcript.record("harness", f"candidate {info.name} {info.version}")
        window = self.options.default_deadline * scale
        inspector = Inspector(self.peers.servers(), self.callbacks, self.env, self.transcript, window)
        self.steps = StepRunner(self.adapter, self.env, self.board, self.transcript, time_scale=scale,
                                default_deadline=self.options.default_deadline,
                                peer_failed=lambda: bool(self.peers and self.peers.failures()),
                                inspector=inspector)
        judgement = self._run_steps()
        if judgement.verdict in ACCEPTABLE_ORDER:
            unfinished = self.peers.wait_done(window)
            if unfinished:
                judgement = Judgement(Verdict.FAIL, f"peer {unfinished[0].name} did not finish its script "
                                      f"within {window:g}s", at=self.transcript.elapsed())
        failures = self.peers.failures()
        if failures and judgement.verdict is not Verdict.CRASH:
            first = failures[0]
            judgement = Judgement(Verdict.FAIL, first.reason, str(first.location or ""),
                                  (first.expected,) if first.expected else (), first.received, at=first.at)
        return judgement

    def _run_steps(self) -> Judgement:
        assert self.steps is not None and self.peers is not None
        timed = self.workload.timed
        worst = Judgement(Verdict.PASS)
        for index, step in enumerate(self.scenario.steps):
            if isinstance(timed, RepeatedCall) and index == timed.step:
                judgement = self._repeated(step, timed)
            elif isinstance(timed, Rounds) and index == timed.first:
                judgement = self._rounds(timed)
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

    # -- the timed part ----------------------------------------------------

    def _callback(self, name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        if self._counting:
            self.callback_calls += 1
            if args and isinstance(args[0], bytes):
                self.callback_bytes += len(args[0])
        return self.callbacks.handle(name, args)

    def _call_for(self, step: CallStep) -> Call | Judgement:
        assert self.steps is not None
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

    def _repeated(self, step: CallStep, timed: RepeatedCall) -> Judgement:
        where = str(step.location or "?")
        call = self._call_for(step)
        if isinstance(call, Judgement):
            return call
        adapter = self.adapter
        if not isinstance(adapter, RepeatingAdapter):
            return Judgement(Verdict.CRASH, "this candidate's adapter cannot repeat a call (PROTOCOL.md "
                             "section 7)", step=where)
        discard = "count"
        if self.workload.expect.sha256 is not None:
            if self.adapter is not None and self.adapter.claims(DIGEST_CAPABILITY):
                discard = "digest"
            else:
                self.length_only = True
                self.transcript.record("harness", "the candidate has no digest capability: value 1 is "
                                       "checked by length only")
        local = self._local_callbacks(step)
        offered = self.adapter if local else None
        if offered is not None and offered.set_local_callbacks(local, self.callbacks.absorb):
            names = ", ".join(spec.name for spec in local)
            self.transcript.record("harness", f"callbacks run inside the candidate: {names} (PROTOCOL.md "
                                   "section 7.1)")
        self._counting = True
        try:
            outcome, report = adapter.call_repeated(call, RepeatRequest(timed.repeat, timed.stop, discard))
        finally:
            self._counting = False
            if offered is not None:
                offered.set_local_callbacks((), None)
        text = f"{call_text(step, call.args)} x{timed.repeat}"
        if not isinstance(outcome, Returned) or report is None:
            judgement = judge(outcome, (), 0.0, self.env, self.options.time_scale)
            if judgement.verdict is Verdict.PASS:  # returned without the repeat account
                judgement = Judgement(Verdict.CRASH, "the repeated call came back without its repeat account")
            self.transcript.record("candidate", f"{text} -> {judgement.actual or judgement.reason}")
            return replace(judgement, step=where, reason=f"{text}: {judgement.reason}")
        digest = f", sha256 {report.sha256}" if report.sha256 is not None else ""
        self.transcript.record("candidate", f"{text} -> {lua_repr_all(outcome.values)} (done {report.done}, "
                               f"{report.bytes} bytes{digest}, {report.elapsed:.6f}s inside the candidate)")
        assert self.steps is not None
        for handle in handles_in(outcome.values):
            self.steps.handles[handle.id] = handle
        problem = self._account_problem(outcome.values, report)
        if problem:
            return Judgement(Verdict.FAIL, f"{text}: {problem}", step=where,
                             actual=f"done {report.done}, bytes {report.bytes}{digest}, last values "
                                    f"{lua_repr_all(outcome.values)}")
        self.seconds = report.elapsed
        return Judgement(Verdict.PASS)

    def _local_callbacks(self, timed_step: CallStep) -> list[CallbackSpec]:
        """The timed call's callbacks that a local one reproduces exactly and no other step uses.

        Only a callback's one use can run in the candidate: its account (a
        digest, the data served so far) cannot be combined with calls the
        harness served itself. A callback whose every call a check lists
        stays with the harness too: the candidate reports the first and last.
        """
        elsewhere: set[str] = set()
        for step in self.scenario.steps:
            if isinstance(step, CallStep) and step is not timed_step:
                elsewhere |= callback_names(step.args)
            elif isinstance(step, CheckCallbackStep) and any("calls" in outcome.fields
                                                               for outcome in step.outcomes):
                elsewhere.add(step.name)  # every call's arguments are checked: the harness must see them
        names = callback_names(timed_step.args) - elsewhere
        return [spec for spec in self.scenario.callbacks if spec.name in names and runs_locally(spec)]

    def _account_problem(self, values: tuple[LuaValue, ...], report: RepeatReport) -> str:
        expect = self.workload.expect
        if expect.done is not None and report.done != expect.done:
            return f"{report.done} repetitions done, expected {expect.done}"
        if expect.bytes is not None and report.bytes != expect.bytes:
            return f"{report.bytes} bytes of value 1 in total, expected {expect.bytes}"
        if expect.sha256 is not None and not self.length_only and report.sha256 != expect.sha256:
            problem = f"value 1 over all repetitions has SHA-256 {report.sha256}, expected {expect.sha256}"
            return problem + (" (the length is right: some bytes differ)" if expect.bytes is not None else "")
        if expect.returns is not None:
            ok, detail = match_returns(expect.returns, values, self.env)
            if not ok:
                return f"the last repetition's values: {detail}"
        return ""

    def _rounds(self, timed: Rounds) -> Judgement:
        """The span of steps, ``rounds`` times: as one sequence when the candidate can run it, else here."""
        span = self.scenario.steps[timed.first:timed.last + 1]
        steps = [step for step in span if isinstance(step, CallStep)]
        calls = []
        for step in steps:
            call = self._call_for(step)
            if isinstance(call, Judgement):
                return call
            calls.append(call)
        assert self.adapter is not None
        literals = [literal_first_value(step, self.env) for step in steps]
        digest = any(literal is not None for literal in literals)
        if can_sequence(self.adapter, digest):
            return self._sequence(steps, calls, literals, timed.rounds, digest)
        return self._harness_rounds(steps, calls, timed)

    def _sequence(self, steps: list[CallStep], calls: list[Call], literals: list[bytes | None], rounds: int,
                  digest: bool) -> Judgement:
        """The rounds as one sequence inside the candidate, checked from its account of every call."""
        adapter = self.adapter
        assert isinstance(adapter, SequencingAdapter) and self.steps is not None
        self._counting = True
        try:
            request = SequenceRequest(rounds, "digest" if digest else "none")
            outcome, report = adapter.call_sequence(calls, request)
        finally:
            self._counting = False
        texts = [call_text(step, call.args) for step, call in zip(steps, calls, strict=True)]
        head = f"{rounds} rounds of {' ; '.join(texts)}"
        if not isinstance(outcome, Returned) or report is None:
            judgement = judge(outcome, (), 0.0, self.env, self.options.time_scale)
            if judgement.verdict is Verdict.PASS:
                judgement = Judgement(Verdict.CRASH, "the sequence came back without its account")
            self.transcript.record("candidate", f"{head} -> {judgement.actual or judgement.reason}")
            where = _failed_step(outcome, steps)
            return replace(judgement, step=where, reason=f"{head} (one sequence): {judgement.reason}")
        for result in report.results:
            for handle in handles_in(result.values):
                self.steps.handles[handle.id] = handle
        accounts = "; ".join(f"{text} -> {lua_repr_all(result.values)} ({result.bytes} bytes)"
                             for text, result in zip(texts, report.results, strict=True))
        self.transcript.record("candidate", f"{report.rounds} rounds in {report.elapsed:.6f}s inside the "
                               f"candidate; last round: {accounts}")
        if report.rounds != rounds:
            return Judgement(Verdict.FAIL, f"{head}: the candidate did {report.rounds} rounds, "
                             f"expected {rounds}", step=str(steps[0].location or "?"))
        worst = Judgement(Verdict.PASS)
        for step, text, result, literal in zip(steps, texts, report.results, literals, strict=True):
            where = str(step.location or "?")
            judgement = judge(Returned(result.values), step.expect, 0.0, self.env, self.options.time_scale)
            if judgement.verdict not in ACCEPTABLE_ORDER:
                return replace(judgement, step=where,
                               reason=f"round {rounds} of {rounds} (the last): {text}: {judgement.reason}")
            if literal is not None:
                problem = _stream_problem(literal, rounds, result.bytes, result.sha256)
                if problem:
                    return Judgement(Verdict.FAIL, f"{text} over {rounds} rounds: {problem}", step=where,
                                     actual=f"{result.bytes} bytes, sha256 {result.sha256}")
            if ACCEPTABLE_ORDER.index(judgement.verdict) > ACCEPTABLE_ORDER.index(worst.verdict):
                worst = replace(judgement, step=where)
        self.seconds = report.elapsed
        return worst

    def _harness_rounds(self, steps: list[CallStep], calls: list[Call], timed: Rounds) -> Judgement:
        """The rounds called one by one through the adapter; a lean loop, so the harness adds little."""
        assert self.adapter is not None
        self.harness_timed = True
        adapter, env, scale = self.adapter, self.env, self.options.time_scale
        pairs = list(zip(steps, calls, strict=True))
        self._counting = True
        started = time.perf_counter()
        try:
            for number in range(1, timed.rounds + 1):
                for step, call in pairs:
                    outcome = adapter.call(call)
                    judgement = judge(outcome, step.expect, 0.0, env, scale)
                    if judgement.verdict not in ACCEPTABLE_ORDER:
                        text = call_text(step, call.args)
                        self.transcript.record("candidate", f"round {number}: {text} -> {judgement.actual}")
                        return replace(judgement, step=str(step.location or "?"),
                                       reason=f"round {number} of {timed.rounds}: {text}: {judgement.reason}")
        finally:
            elapsed = time.perf_counter() - started
            self._counting = False
        self.transcript.record("candidate", f"{timed.rounds} rounds of {len(pairs)} calls in {elapsed:.6f}s "
                               "(harness clock)")
        self.seconds = elapsed
        return Judgement(Verdict.PASS)

    # -- teardown ----------------------------------------------------------

    def _teardown(self) -> list[str]:
        errors = []
        self.callbacks.summarize()
        if self.adapter is not None:
            held = list(self.steps.handles.values()) if self.steps else []
            for label, action in (("release", lambda: self.adapter.release(held)),
                                  ("close adapter", self.adapter.close)):
                try:
                    action()
                except Exception as error:
                    errors.append(f"{label}: {error!r}")
        if self.peers is not None:
            try:
                for peer in self.peers.stop():
                    self.transcript.record("harness", f"peer {peer.name}: thread did not end")
            except Exception as error:
                errors.append(f"stop peers: {error!r}")
        return errors
