"""Reading a scenario's ``steps``: calls, sync points and expected outcomes.

A step is a mapping told apart by its first key: ``call``, ``signal``,
``wait``, ``sleep``, ``check`` or ``check-callback`` (``schema.STEP_KEYS``;
the last two are read by ``load_checks``). Every problem is reported with
its field path (``scenarios[0].steps[2].expect[1].verdict``) and reading
goes on, so one load reports every problem of a file.
"""

from __future__ import annotations

from typing import Any

from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, is_number, join
from harness.scenario.convert import to_lua_value, to_matcher, to_raises_matcher
from harness.scenario.load_checks import load_check, load_check_callback
from harness.scenario.located import YList, YMap
from harness.scenario.model import (
    CallStep,
    ExpectedOutcome,
    Matcher,
    Ref,
    SignalStep,
    SleepStep,
    SourceLocation,
    Step,
    Template,
    Verdict,
    WaitStep,
)
from harness.scenario.refs import VARIABLE_RE
from harness.scenario.schema import CALL_RE, EVENT_RE, OUTCOME_KEYS, STEP_KEYS, VERDICTS


def load_steps(checker: Checker, raw: Any, line: int, field: str, bindings: Bindings) -> tuple[Step, ...]:
    """All steps of one scenario; saved names are added to ``bindings`` in order."""
    if not checker.expect(raw, line, field, "a list of steps", isinstance(raw, YList)):
        return ()
    if not raw:
        checker.report(line, field, "a scenario needs at least one step")
    steps = []
    bindings.sequence = "steps"
    for index, item in enumerate(raw):
        step = _load_step(checker, item, raw.line_of(index), f"{field}[{index}]", bindings)
        if step is not None:
            steps.append(step)
    return tuple(steps)


def _load_step(checker: Checker, raw: Any, line: int, field: str, bindings: Bindings) -> Step | None:
    step = checker.mapping(raw, line, field)
    if step is None:
        return None
    kinds = [key for key in STEP_KEYS if key in step]
    if len(kinds) != 1:
        found = "both " + " and ".join(kinds) if kinds else "none of them"
        checker.report(step.line, field, f"a step has exactly one of {', '.join(STEP_KEYS)} ({found})")
        return None
    kind = kinds[0]
    where = SourceLocation(checker.collector.path, step.line)
    if kind == "check":
        return load_check(checker, step, field, bindings, where)
    if kind == "check-callback":
        return load_check_callback(checker, step, field, bindings, where)
    checker.keys(step, field, STEP_KEYS[kind])
    if kind == "call":
        return _load_call(checker, step, field, bindings, where)
    if kind == "sleep":
        seconds = checker.number(step["sleep"], step.line_of("sleep"), join(field, "sleep"))
        return None if seconds is None else SleepStep(seconds, where)
    name = event_name(checker, step[kind], step.line_of(kind), join(field, kind))
    if name is None:
        return None
    if kind == "signal":
        bindings.signal(name)
        return SignalStep(name, where)
    bindings.wait(name, step.line_of(kind), join(field, kind))
    timeout = None
    if "timeout" in step:
        timeout = checker.number(step["timeout"], step.line_of("timeout"), join(field, "timeout"),
                                 positive=True)
    return WaitStep(name, timeout, where)


def event_name(checker: Checker, raw: Any, line: int, field: str) -> str | None:
    """A sync event name: letters, digits, ``_ . -``."""
    ok = isinstance(raw, str) and EVENT_RE.match(raw) is not None
    return raw if checker.expect(raw, line, field, "an event name (letters, digits, _ . -)", ok) else None


def _load_call(checker: Checker, step: YMap, field: str, bindings: Bindings,
               where: SourceLocation) -> CallStep | None:
    raw_call, call_line, call_field = step["call"], step.line_of("call"), join(field, "call")
    syntax = CALL_RE.match(raw_call) if isinstance(raw_call, str) else None
    if not checker.expect(raw_call, call_line, call_field, "NAME or VAR:NAME", syntax is not None):
        return None
    assert syntax is not None
    target, function = syntax.group("target"), syntax.group("function")
    if target is not None:
        reason = bindings.unbound(target)
        if reason:
            checker.report(call_line, call_field, f"method call on {target!r}: {reason}")
    args = _load_args(checker, step, field, bindings)
    expect = _load_expect(checker, step, field, bindings)
    deadline = None
    if "deadline" in step:
        deadline = checker.number(step["deadline"], step.line_of("deadline"), join(field, "deadline"),
                                  positive=True)
    save = _load_save(checker, step, field)
    bindings.saved.update(name for name in save if name is not None)  # usable from the next step on
    return CallStep(function=function, style="global" if target is None else "method", target=target,
                    args=args, save=save, expect=expect, deadline=deadline, location=where)


def _load_args(checker: Checker, step: YMap, field: str, bindings: Bindings) -> tuple[Any, ...]:
    raw = step.get("args", YList(step.line))
    args_field = join(field, "args")
    if not checker.expect(raw, step.line_of("args"), args_field, "a list of arguments",
                          isinstance(raw, YList)):
        return ()
    args = []
    for index, item in enumerate(raw):
        line, item_field = raw.line_of(index), f"{args_field}[{index}]"
        value = checker.convert(to_lua_value, item, line, item_field)
        if value is not FAILED:
            bindings.check_step_refs(checker, value, line, item_field)
            bindings.check_callbacks(checker, value, line, item_field)
            args.append(value)
    return tuple(args)


def _load_save(checker: Checker, step: YMap, field: str) -> tuple[str | None, ...]:
    if "save" not in step:
        return ()
    raw, save_field = step["save"], join(field, "save")
    if not checker.expect(raw, step.line_of("save"), save_field, "a list of names (null skips a value)",
                          isinstance(raw, YList)):
        return ()
    names: list[str | None] = []
    for index, item in enumerate(raw):
        line, item_field = raw.line_of(index), f"{save_field}[{index}]"
        ok = item is None or (isinstance(item, str) and VARIABLE_RE.match(item) is not None)
        if not checker.expect(item, line, item_field, "a variable name ([a-z_][a-z0-9_]*) or null", ok):
            continue
        if item is not None and item in names:
            checker.report(line, item_field, f"{item!r} is saved twice by this step")
        names.append(item)
    return tuple(names)


def _load_expect(checker: Checker, step: YMap, field: str, bindings: Bindings) -> tuple[ExpectedOutcome, ...]:
    if "expect" not in step:
        return ()
    entries = checker.outcome_entries(step["expect"], step.line_of("expect"), join(field, "expect"))
    if entries is None:
        return ()
    outcomes = []
    for item, item_line, item_field in entries:
        outcome = _load_outcome(checker, item, item_line, item_field, bindings)
        if outcome is not None:
            outcomes.append(outcome)
    return tuple(outcomes)


def _load_outcome(checker: Checker, raw: Any, line: int, field: str,
                  bindings: Bindings) -> ExpectedOutcome | None:
    outcome = checker.mapping(raw, line, field)
    if outcome is None:
        return None
    checker.keys(outcome, field, OUTCOME_KEYS)
    present = [key for key in _ENDINGS if key in outcome]
    if len(present) != 1:
        checker.report(outcome.line, field, f"an outcome has exactly one of {', '.join(_ENDINGS)}")
        return None
    returns = raises = None
    if "pending" in outcome:
        return _load_pending(checker, outcome, field)
    if "returns" in outcome:
        returns = _load_returns(checker, outcome, field, bindings)
    else:
        raises_line, raises_field = outcome.line_of("raises"), join(field, "raises")
        raises = _load_raises(checker, outcome["raises"], raises_line, raises_field)
        if raises is not FAILED:
            bindings.check_step_refs(checker, raises, raises_line, raises_field)
    within = _load_within(checker, outcome, field)
    verdict = _load_verdict(checker, outcome, field)
    note = ""
    if "note" in outcome:
        note = checker.text(outcome, "note", field) or ""
    stop = _load_stop(checker, outcome, field, verdict)
    expectation_failed = returns is None if "returns" in outcome else raises is FAILED
    if expectation_failed or within is FAILED or verdict is None or stop is None:
        return None
    return ExpectedOutcome(returns=returns, raises=raises, within=within, verdict=verdict, note=note,
                           stop=stop, location=SourceLocation(checker.collector.path, outcome.line))


_ENDINGS = ("returns", "raises", "pending")


def _load_pending(checker: Checker, outcome: YMap, field: str) -> ExpectedOutcome | None:
    """``pending: true``: the call must still be blocked at its deadline (no ``within``)."""
    raw = outcome["pending"]
    ok = checker.expect(raw, outcome.line_of("pending"), join(field, "pending"), "true", raw is True)
    if "within" in outcome:
        checker.report(outcome.line_of("within"), join(field, "within"),
                       "a pending call has no duration: its deadline is the window")
        ok = False
    verdict = _load_verdict(checker, outcome, field)
    note = (checker.text(outcome, "note", field) or "") if "note" in outcome else ""
    stop = _load_stop(checker, outcome, field, verdict)
    if not ok or verdict is None or stop is None:
        return None
    return ExpectedOutcome(pending=True, verdict=verdict, note=note, stop=stop,
                           location=SourceLocation(checker.collector.path, outcome.line))


def _load_returns(checker: Checker, outcome: YMap, field: str, bindings: Bindings) -> tuple[Any, ...] | None:
    raw, returns_field = outcome["returns"], join(field, "returns")
    if not checker.expect(raw, outcome.line_of("returns"), returns_field,
                          "a list with one matcher per returned value", isinstance(raw, YList)):
        return None
    matchers = []
    for index, item in enumerate(raw):
        line, item_field = raw.line_of(index), f"{returns_field}[{index}]"
        matcher = checker.convert(to_matcher, item, line, item_field)
        if matcher is FAILED:
            return None
        bindings.check_step_refs(checker, matcher, line, item_field)
        matchers.append(matcher)
    return tuple(matchers)


def _load_raises(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """A Lua error message is text: only non-empty text or a matcher can describe it.

    Anything else (null, a number, a list, ``''``) would load as an exact value no raised message
    ever equals, or as "contains nothing", and the FAIL or PASS it earned would look like the
    candidate's doing.
    """
    ok = isinstance(raw, (Matcher, Ref, Template)) or (isinstance(raw, (str, bytes)) and bool(raw))
    if not checker.expect(raw, line, field, "non-empty text or a matcher (!re, !oneof, !error, !any)", ok):
        return FAILED
    return checker.convert(to_raises_matcher, raw, line, field)


def _load_within(checker: Checker, outcome: YMap, field: str) -> Any:
    if "within" not in outcome:
        return None
    raw, line, within_field = outcome["within"], outcome.line_of("within"), join(field, "within")
    ok = (isinstance(raw, YList) and len(raw) == 2 and all(is_number(bound) for bound in raw)
          and 0 <= raw[0] <= raw[1])
    if not checker.expect(raw, line, within_field, "[low, high] seconds with 0 <= low <= high", ok):
        return FAILED
    return (float(raw[0]), float(raw[1]))


def _load_stop(checker: Checker, outcome: YMap, field: str, verdict: Verdict | None) -> bool | None:
    """``stop: true``: the scenario ends after this outcome; only one that is not a PASS may stop it."""
    if "stop" not in outcome:
        return False
    raw, line, stop_field = outcome["stop"], outcome.line_of("stop"), join(field, "stop")
    if not checker.expect(raw, line, stop_field, "true or false", isinstance(raw, bool)):
        return None
    if raw and verdict is Verdict.PASS:
        checker.report(line, stop_field, "only a non-strict or informational outcome may stop the scenario: "
                                         "a PASS must mean that every step ran")
        return None
    return raw


def _load_verdict(checker: Checker, outcome: YMap, field: str) -> Verdict | None:
    raw = outcome.get("verdict", "pass")
    ok = isinstance(raw, str) and raw in VERDICTS
    if not checker.expect(raw, outcome.line_of("verdict"), join(field, "verdict"),
                          f"one of {', '.join(VERDICTS)}", ok):
        return None
    return VERDICTS[raw]
