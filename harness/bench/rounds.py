"""The timed part of a workload when it is rounds: one sequence inside the candidate, or harness-timed.

**Rounds** run a span of call steps again and again. A candidate that can
run them itself (in process, or a driver claiming ``sequence``, PROTOCOL.md
section 7.2) gets them as one sequence and times the loop by its own clock;
the run is then correct only if it did every round, each step's ``expect``
holds for the last round's values and, where a step expects a literal
string as value 1, the bytes and the SHA-256 of value 1 over all rounds are
those of that literal repeated (so a wrong byte in any round fails).
Otherwise the harness calls the adapter once per call of every round,
judges each call against its step's ``expect`` and times the rounds itself.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

from harness.adapters.base import Adapter, Call, Outcome, Raised, Returned
from harness.adapters.driver_loops import DIGEST_CAPABILITY, SequenceReport, SequenceRequest
from harness.bench.timed import TimedContext
from harness.bench.workload import Rounds
from harness.judging import Judgement, judge
from harness.scenario.matchers import Exact
from harness.scenario.model import ACCEPTABLE_ORDER, CallStep, Verdict
from harness.scenario.refs import UnresolvedRef, resolve
from harness.steps import call_text
from harness.values import LuaValue, lua_repr_all


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


def run_rounds(context: TimedContext, timed: Rounds) -> Judgement:
    """The span of steps, ``rounds`` times: as one sequence when the candidate can run it, else here."""
    span = context.scenario.steps[timed.first:timed.last + 1]
    steps = [step for step in span if isinstance(step, CallStep)]
    calls = []
    for step in steps:
        call = context.call_for(step)
        if isinstance(call, Judgement):
            return call
        calls.append(call)
    literals = [literal_first_value(step, context.env) for step in steps]
    digest = any(literal is not None for literal in literals)
    if can_sequence(context.adapter, digest):
        return _sequence(context, steps, calls, literals, timed.rounds, digest)
    return _harness_rounds(context, steps, calls, timed)


def _sequence(context: TimedContext, steps: list[CallStep], calls: list[Call], literals: list[bytes | None],
              rounds: int, digest: bool) -> Judgement:
    """The rounds as one sequence inside the candidate, checked from its account of every call."""
    adapter = context.adapter
    assert isinstance(adapter, SequencingAdapter)
    env, scale, transcript = context.env, context.options.time_scale, context.transcript
    with context.timed_span():
        request = SequenceRequest(rounds, "digest" if digest else "none")
        outcome, report = adapter.call_sequence(calls, request)
    texts = [call_text(step, call.args) for step, call in zip(steps, calls, strict=True)]
    head = f"{rounds} rounds of {' ; '.join(texts)}"
    if not isinstance(outcome, Returned) or report is None:
        judgement = judge(outcome, (), 0.0, env, scale)
        if judgement.verdict is Verdict.PASS:
            judgement = Judgement(Verdict.CRASH, "the sequence came back without its account")
        transcript.record("candidate", f"{head} -> {judgement.actual or judgement.reason}")
        where = _failed_step(outcome, steps)
        return replace(judgement, step=where, reason=f"{head} (one sequence): {judgement.reason}")
    for result in report.results:
        context.keep_handles(result.values)
    accounts = "; ".join(f"{text} -> {lua_repr_all(result.values)} ({result.bytes} bytes)"
                         for text, result in zip(texts, report.results, strict=True))
    transcript.record("candidate", f"{report.rounds} rounds in {report.elapsed:.6f}s inside the "
                      f"candidate; last round: {accounts}")
    if report.rounds != rounds:
        return Judgement(Verdict.FAIL, f"{head}: the candidate did {report.rounds} rounds, "
                         f"expected {rounds}", step=str(steps[0].location or "?"),
                         expected=(f"{rounds} rounds",), actual=f"{report.rounds} rounds")
    worst = Judgement(Verdict.PASS)
    for step, text, result, literal in zip(steps, texts, report.results, literals, strict=True):
        where = str(step.location or "?")
        judgement = judge(Returned(result.values), step.expect, 0.0, env, scale)
        if judgement.verdict not in ACCEPTABLE_ORDER:
            return replace(judgement, step=where,
                           reason=f"round {rounds} of {rounds} (the last): {text}: {judgement.reason}")
        if literal is not None:
            problem = _stream_problem(literal, rounds, result.bytes, result.sha256)
            if problem:
                return Judgement(Verdict.FAIL, f"{text} over {rounds} rounds: {problem}", step=where,
                                 expected=(_stream_account(literal, rounds),),
                                 actual=f"{result.bytes} bytes, sha256 {result.sha256}")
        if ACCEPTABLE_ORDER.index(judgement.verdict) > ACCEPTABLE_ORDER.index(worst.verdict):
            worst = replace(judgement, step=where)
    context.figures.seconds, context.figures.candidate_cpu = report.elapsed, report.cpu
    return worst


def _harness_rounds(context: TimedContext, steps: list[CallStep], calls: list[Call],
                    timed: Rounds) -> Judgement:
    """The rounds called one by one through the adapter; a lean loop, so the harness adds little."""
    figures = context.figures
    figures.harness_timed = True
    adapter, env, scale = context.adapter, context.env, context.options.time_scale
    transcript = context.transcript
    pairs = list(zip(steps, calls, strict=True))
    with context.timed_span():
        started = time.perf_counter()
        try:
            for number in range(1, timed.rounds + 1):
                for step, call in pairs:
                    outcome = adapter.call(call)
                    judgement = judge(outcome, step.expect, 0.0, env, scale)
                    if judgement.verdict not in ACCEPTABLE_ORDER:
                        text = call_text(step, call.args)
                        transcript.record("candidate", f"round {number}: {text} -> {judgement.actual}")
                        return replace(judgement, step=str(step.location or "?"),
                                       reason=f"round {number} of {timed.rounds}: {text}: {judgement.reason}")
        finally:
            elapsed = time.perf_counter() - started
    transcript.record("candidate", f"{timed.rounds} rounds of {len(pairs)} calls in {elapsed:.6f}s "
                      "(harness clock)")
    figures.seconds = elapsed
    return Judgement(Verdict.PASS)


def _stream_digest(literal: bytes, rounds: int) -> str:
    digest = hashlib.sha256()
    for _ in range(rounds):
        digest.update(literal)
    return digest.hexdigest()


def _stream_problem(literal: bytes, rounds: int, size: int, sha256: str | None) -> str:
    """What is wrong with value 1 over all rounds when every round should give ``literal`` ("" if nothing)."""
    if size != len(literal) * rounds:
        expected = len(literal) * rounds
        return f"{size} bytes of value 1 in total, expected {expected} ({len(literal)} x {rounds})"
    wanted = _stream_digest(literal, rounds)
    if sha256 != wanted:
        return (f"the SHA-256 of value 1 over all rounds is {sha256}, expected {wanted}: some "
                "round returned other bytes of the same length")
    return ""


def _stream_account(literal: bytes, rounds: int) -> str:
    """Value 1 over all rounds as the FAIL's ``actual`` shows it: ``N bytes, sha256 HEX``."""
    return f"{len(literal) * rounds} bytes, sha256 {_stream_digest(literal, rounds)}"


def _failed_step(outcome: Outcome, steps: list[CallStep]) -> str:
    """The location of the step a sequence's error names ("round k, call j (...)"), else the first step's."""
    if isinstance(outcome, Raised):
        match = re.match(r"round \d+, call (\d+) ", outcome.message)
        if match and 1 <= int(match.group(1)) <= len(steps):
            return str(steps[int(match.group(1)) - 1].location or "?")
    return str(steps[0].location or "?")
