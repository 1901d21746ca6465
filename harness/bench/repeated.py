"""The timed part of a workload when it is a repeated call, with local callbacks where they can run.

A **repeated call** goes to ``adapter.call_repeated`` (PROTOCOL.md section
7): the candidate loops over the call itself, counts the bytes of value 1
instead of returning them, and reports the loop's time by its own clock.
The run is correct only if the candidate's account matches
``workload.expect`` (repetitions, bytes, last values). Where the workload
states value 1's ``sha256``, a candidate that can (``adapter.claims
("digest")``) hashes value 1 off its clock and the digest must match; one
that cannot is checked by length only, and its run is flagged
``length_only``: shown, not scored.

Callback round trips made during the call are counted: through a driver
they carry the payload across the protocol, and the scoring leaves such
figures out (``protocol_bound``). So the timed call's callbacks that a
local one reproduces exactly, and that no other step uses, are offered to
the candidate to run itself (PROTOCOL.md section 7.1, ``local-callbacks``):
a driver that claims it makes no round trip, its account is merged into
the scenario's callbacks for the ``check-callback:`` steps, and the figure
is scored. A driver without it keeps the round trips.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

from harness.adapters.base import Call, Outcome, Returned
from harness.adapters.driver_loops import DIGEST_CAPABILITY, REPEAT_CAPABILITY, RepeatReport, RepeatRequest
from harness.bench.timed import TimedContext
from harness.bench.workload import RepeatedCall, RepeatExpectation
from harness.callbacks import callback_names, runs_locally
from harness.judging import Judgement, judge
from harness.matching import describe
from harness.scenario.matchers import match_returns
from harness.scenario.model import CallbackSpec, CallStep, CheckCallbackStep, Env, Scenario, Verdict
from harness.steps import call_text
from harness.values import LuaValue, lua_repr_all


@runtime_checkable
class RepeatingAdapter(Protocol):
    """An adapter that can loop over a call inside the candidate (the driver and in-process adapters)."""

    def call_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]: ...


def run_repeated(context: TimedContext, step: CallStep, timed: RepeatedCall,
                 expect: RepeatExpectation) -> Judgement:
    """The repeated call of ``step``, judged by ``expect`` from the candidate's account of it.

    ``context.figures.seconds`` is set only when the account is right.
    """
    where = str(step.location or "?")
    call = context.call_for(step)
    if isinstance(call, Judgement):
        return call
    adapter = context.adapter
    if not isinstance(adapter, RepeatingAdapter):
        return Judgement(Verdict.CRASH, "this candidate's adapter cannot repeat a call (PROTOCOL.md "
                         "section 7)", step=where)
    if not context.adapter.claims(REPEAT_CAPABILITY):
        # Sent anyway, the request would only be refused ("repeat not supported"), and the run
        # would read as a FAIL of the candidate's call.
        return Judgement(Verdict.SKIP, "the candidate does not claim 'repeat' (drivers/PROTOCOL.md "
                         "section 7): this workload times its call looped inside the candidate, so it is "
                         "not measured", step=where)
    figures, transcript = context.figures, context.transcript
    discard = "count"
    if expect.sha256 is not None:
        if context.adapter.claims(DIGEST_CAPABILITY):
            discard = "digest"
        else:
            figures.length_only = True
            transcript.record("harness", "the candidate has no digest capability: value 1 is "
                              "checked by length only")
    local = local_callbacks(context.scenario, step)
    offered = context.adapter if local else None
    if offered is not None and offered.set_local_callbacks(local, context.callbacks.absorb):
        names = ", ".join(spec.name for spec in local)
        transcript.record("harness", f"callbacks run inside the candidate: {names} (PROTOCOL.md "
                          "section 7.1)")
    with context.timed_span():
        try:
            outcome, report = adapter.call_repeated(call, RepeatRequest(timed.repeat, timed.stop, discard))
        finally:
            if offered is not None:
                offered.set_local_callbacks((), None)
    text = f"{call_text(step, call.args)} x{timed.repeat}"
    wanted = expected_account(expect, context.env, figures.length_only)
    if not isinstance(outcome, Returned) or report is None:
        judgement = judge(outcome, (), 0.0, context.env, context.options.time_scale)
        if judgement.verdict is Verdict.PASS:  # returned without the repeat account
            judgement = Judgement(Verdict.CRASH, "the repeated call came back without its repeat account")
        transcript.record("candidate", f"{text} -> {judgement.actual or judgement.reason}")
        return replace(judgement, step=where, reason=f"{text}: {judgement.reason}",
                       expected=wanted or judgement.expected)
    digest = f", sha256 {report.sha256}" if report.sha256 is not None else ""
    transcript.record("candidate", f"{text} -> {lua_repr_all(outcome.values)} (done {report.done}, "
                      f"{report.bytes} bytes{digest}, {report.elapsed:.6f}s inside the candidate)")
    context.keep_handles(outcome.values)
    problem = _account_problem(context, expect, outcome.values, report)
    if problem:
        return Judgement(Verdict.FAIL, f"{text}: {problem}", step=where, expected=wanted,
                         actual=f"done {report.done}, bytes {report.bytes}{digest}, last values "
                                f"{lua_repr_all(outcome.values)}")
    figures.seconds, figures.candidate_cpu = report.elapsed, report.cpu
    return Judgement(Verdict.PASS)


def local_callbacks(scenario: Scenario, timed_step: CallStep) -> list[CallbackSpec]:
    """The timed call's callbacks that a local one reproduces exactly and no other step uses.

    Only a callback's one use can run in the candidate: its account (a
    digest, the data served so far) cannot be combined with calls the
    harness served itself. A callback whose every call a check lists, or
    whose "" calls it counts (``empty``), stays with the harness too: the
    candidate reports the first and last only.
    """
    elsewhere: set[str] = set()
    for step in scenario.steps:
        if isinstance(step, CallStep) and step is not timed_step:
            elsewhere |= callback_names(step.args)
        elif isinstance(step, CheckCallbackStep) and any({"calls", "empty"} & set(outcome.fields)
                                                           for outcome in step.outcomes):
            elsewhere.add(step.name)  # every call is looked at: the harness must see them
    names = callback_names(timed_step.args) - elsewhere
    return [spec for spec in scenario.callbacks if spec.name in names and runs_locally(spec)]


def expected_account(expect: RepeatExpectation, env: Env, length_only: bool) -> tuple[str, ...]:
    """What the account must say, in the words of the ``actual`` a FAIL shows beside it.

    The digest is left out where only the length is checked. Empty when
    the workload states nothing.
    """
    parts = [f"{name} {value}" for name, value in (("done", expect.done), ("bytes", expect.bytes),
                                                   ("sha256", None if length_only else expect.sha256))
             if value is not None]
    if expect.returns is not None:
        # Trailing nils are trimmed before matching, so an empty list accepts any number of them.
        parts.append("last values " + (", ".join(describe(m, env) for m in expect.returns) or "only nils"))
    return (", ".join(parts),) if parts else ()


def _account_problem(context: TimedContext, expect: RepeatExpectation, values: tuple[LuaValue, ...],
                     report: RepeatReport) -> str:
    """What is wrong with the candidate's account of the repetitions ("" if nothing)."""
    if expect.done is not None and report.done != expect.done:
        return f"{report.done} repetitions done, expected {expect.done}"
    if expect.bytes is not None and report.bytes != expect.bytes:
        return f"{report.bytes} bytes of value 1 in total, expected {expect.bytes}"
    if expect.sha256 is not None and not context.figures.length_only and report.sha256 != expect.sha256:
        problem = f"value 1 over all repetitions has SHA-256 {report.sha256}, expected {expect.sha256}"
        return problem + (" (the length is right: some bytes differ)" if expect.bytes is not None else "")
    if expect.returns is not None:
        ok, detail = match_returns(expect.returns, values, context.env)
        if not ok:
            return f"the last repetition's values: {detail}"
    return ""
