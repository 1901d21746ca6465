"""How one candidate call is judged against its step's acceptable outcomes.

Pure functions, no I/O: an ``Outcome`` (what the adapter saw), the call's
duration and the step's ``expect`` list go in; a ``Judgement`` comes out.
The first acceptable outcome that matches gives its verdict; when none
matches, the judgement carries every expectation described and the observed
result, which is what a failure report shows side by side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from harness.adapters.base import Crashed, Outcome, Raised, Returned, TimedOut, Unimplemented
from harness.matching import describe
from harness.scenario.error_classes import RAISED_DETAILS
from harness.scenario.matchers import AnyValue, Exact, match_raises, match_returns, message_bytes
from harness.scenario.model import Env, ExpectedOutcome, Verdict
from harness.values import LuaTable, lua_repr, lua_repr_all, table_pairs, trim

RETURNS_NORMALLY = "returns normally (any values)"


@dataclass(frozen=True)
class Judgement:
    """The verdict one step (or the whole scenario) earned, and why."""

    verdict: Verdict
    reason: str = ""
    step: str = ""  # "path:line" of the deciding step or peer action
    expected: tuple[str, ...] = ()
    actual: str = ""
    at: float = 0.0  # transcript time at which it was decided
    started: float | None = None  # transcript time at which the deciding call began (call steps only)
    stops: bool = False  # the matched outcome ends the scenario (``stop: true``)


def within_bounds(window: tuple[float, float], time_scale: float) -> tuple[float, float]:
    """The window actually applied: the lower bound as written, the upper one scaled."""
    low, high = window
    return low, high * time_scale


def describe_expected(expected: ExpectedOutcome, env: Env, time_scale: float) -> str:
    """One acceptable outcome as text, e.g. ``returns "abc", nil within [0.2, 1.5]s``."""
    if expected.pending:
        text = "still blocked at the deadline"
    elif expected.raises is not None:
        text = f"raises {describe(expected.raises, env)}"
    elif expected.returns is not None:
        shown = [describe(matcher, env) for matcher in expected.returns]
        text = "returns " + (", ".join(shown) if shown else "nothing")
    else:
        text = RETURNS_NORMALLY
    if expected.within is not None:
        low, high = within_bounds(expected.within, time_scale)
        text += f" within [{low:g}, {high:g}]s"
    if expected.verdict is not Verdict.PASS:
        text += f" ({expected.verdict.value.lower()})"
    return text


def missing_global_error(function: str) -> Raised:
    """What Lua raises when a program calls a global the library does not define.

    A driver reports such a call as ``unimplemented`` (drivers/PROTOCOL.md
    section 4), a Python module by lacking the function; a Lua program of
    the 2001 era calling ``timeout(s, 1)`` got this error (Lua 4 and 5.1
    wording), and a step may expect it (spec §16 item 7).
    """
    return Raised(f"attempt to call global '{function}' (a nil value)")


SOCKET_METHODS = frozenset({"accept", "close", "getpeername", "getsockname", "receive", "receivefrom", "send",
                            "sendto", "setpeername", "setsockname", "timeout"})
"""The socket methods of the manual, each also "a stand-alone global function" taking the socket first."""


def unimplemented_reason(function: str) -> str:
    """Why a step is UNIMPLEMENTED: which global is missing.

    A candidate that has ``sock:receive`` but no global ``receive`` is the
    usual first surprise; the manual makes both forms equivalent ("the calls
    send(sock, "test") and sock:send("test") are equivalent"), so the reason
    says that a method of the name does not stand in for the global.
    """
    reason = f"the candidate has no global function {function!r}"
    if function in SOCKET_METHODS:
        reason += (f" (the manual makes each socket method a global too, taking the socket first: "
                   f"{function}(sock, ...) is sock:{function}(...); a method alone does not provide it)")
    return reason


def describe_observed(outcome: Outcome, duration: float) -> str:
    """What the call did, in Lua terms, with how long it took."""
    took = f"in {duration:.3f}s"
    if isinstance(outcome, Returned):
        return f"returned {lua_repr_all(outcome.values)} {took}"
    if isinstance(outcome, Raised):
        return f"raised {lua_repr(message_bytes(outcome.message))} {took}"
    if isinstance(outcome, Unimplemented):
        return f"not implemented: {outcome.function}"
    if isinstance(outcome, TimedOut):
        note = f" {outcome.note}" if outcome.note else ""
        return f"no answer within the {outcome.deadline:g}s deadline{note}"
    return f"crashed: {outcome.detail.splitlines()[0] if outcome.detail else '?'}"


def _check(expected: ExpectedOutcome, outcome: Returned | Raised, duration: float, env: Env,
           time_scale: float) -> tuple[bool, str]:
    """Does ``outcome`` satisfy this one acceptable outcome? (ok, why not)."""
    if expected.pending:
        return False, "the call ended before its deadline; it should still be blocked"
    if isinstance(outcome, Raised):
        if expected.raises is None:
            raised = lua_repr(message_bytes(outcome.message), 120)
            return False, f"raised {raised} instead of returning"
        ok, detail = match_raises(expected.raises, outcome.message, env)
    elif expected.raises is not None:
        values = trim(outcome.values)
        returned = f"returned {lua_repr_all(values, 120)}" if values else "returned nothing"
        return False, f"{returned} instead of raising"
    elif expected.returns is not None:
        took = f"in {duration:.3f}s" if expected.within is not None else ""
        ok, detail = match_returns(expected.returns, outcome.values, env, took=took)
    else:
        ok, detail = True, ""
    if not ok:
        return False, detail
    if expected.within is not None:
        low, high = within_bounds(expected.within, time_scale)
        if not low <= duration <= high:
            return False, f"took {duration:.3f}s, outside [{low:g}, {high:g}]s"
    return True, ""


# Lua's own runtime errors: a call of a missing method, arithmetic on nil... A
# candidate raising one of these did not report the misuse, it broke on it.
_LUA_RUNTIME_ERROR = re.compile(r"attempt to (?:call|index|perform|compare|concatenate|get length)")


def _reworded_raise(outcome: Raised, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
                    time_scale: float) -> str | None:
    """Why a raise with a message no outcome names is non-strict, or None if it is not.

    The manual gives the errors it has raised no text at all; the texts are
    the 1.3b C core's (spec §3.3, [C]). So where the step's passing outcome
    is itself a raise, raising with another message is another reading of
    the same behaviour, as a returned failure message in other words is
    (spec §3.2): non-strict, with both texts shown. Not so for Lua's own
    runtime errors (a missing method is FAIL), for a message naming another
    of 1.3b's misuses (``operation on closed socket`` where the pattern is
    invalid: the candidate found another error), for a raise where the step
    wants a return, or outside the outcome's time window.
    """
    if _LUA_RUNTIME_ERROR.search(outcome.message):
        return None
    if any(detail in outcome.message for detail in RAISED_DETAILS):
        return None  # 1.3b's text for another misuse: the candidate saw another error, not this one
    for expected in expects:
        if expected.verdict is not Verdict.PASS or expected.raises is None:
            continue
        if not _check(replace(expected, raises=AnyValue()), outcome, duration, env, time_scale)[0]:
            continue  # raised outside the outcome's window
        got = lua_repr(message_bytes(outcome.message), 120)
        return (f"raised {got}, where 1.3b raises {describe(expected.raises, env)}: the manual gives "
                "raised errors no text (spec §3.3), so another message is non-strict")
    return None


def _counted_tables(outcome: Returned, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
                    time_scale: float) -> str | None:
    """Why tables that also carry ``n`` are non-strict, or None if that is not the only difference.

    Lua 4, which 1.3b was written for, kept an array's length in its ``n``
    field (``tinsert`` sets it, ``getn`` reads it), and the manual itself
    gives select's input tables one. The 1.3b core's result tables have none
    (spec §7, §9, [C]); a port that counts its arrays the Lua 4 way returns
    the same tables plus ``n``: another reading, so non-strict.
    """
    values = _without_counts(outcome.values)
    if values is None or not _passes(Returned(values), expects, duration, env, time_scale):
        return None
    return ("returned tables that also carry n, their length (the Lua 4 convention); 1.3b's have "
            "none (spec §7, §9), so they are non-strict")


def _one_table_hint(outcome: Returned, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
                    time_scale: float) -> str:
    """For a FAIL: "" unless the one table returned, spread into several values, would pass.

    A Python candidate that writes ``return [None, "closed"]`` returns one
    Lua table, not two values; its reason would read ``expected nil, got
    {nil, "closed"}``, correct but easy to misread. Still a FAIL: a Lua
    caller gets a table where the manual gives two values.
    """
    values = trim(outcome.values)
    if len(values) != 1 or not isinstance(values[0], LuaTable):
        return ""
    entries = {key: value for key, value in table_pairs(values[0]).values()}
    positions = [key for key in entries if isinstance(key, int) and not isinstance(key, bool) and key >= 1]
    if not entries or len(positions) != len(entries):
        return ""
    spread = tuple(entries.get(index) for index in range(1, max(entries) + 1))
    if not _passes(Returned(spread), expects, duration, env, time_scale):
        return ""
    return (f"; the one table returned holds what a passing outcome expects as {len(spread)} separate values "
            f"(a Python candidate returns several values as a tuple; a list is one table)")


def _passes(outcome: Returned, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
            time_scale: float) -> bool:
    """Would a passing outcome accept ``outcome`` (the candidate's values with one difference set aside)?"""
    return any(expected.verdict is Verdict.PASS and _check(expected, outcome, duration, env, time_scale)[0]
               for expected in expects)


def _without_counts(values: Sequence[object]) -> tuple[object, ...] | None:
    """``values`` with every table's ``n`` that equals its array length removed; None if there was none."""
    changed = False

    def strip(value: object) -> object:
        nonlocal changed
        if not isinstance(value, LuaTable):
            return value
        count = value.hash.get(b"n")
        hash_part = {key: strip(item) for key, item in value.hash.items()}
        if isinstance(count, (int, float)) and not isinstance(count, bool) and count == len(value.array):
            del hash_part[b"n"]
            changed = True
        return LuaTable(array=[strip(item) for item in value.array], hash=hash_part)

    stripped = tuple(strip(value) for value in values)
    return stripped if changed else None


RESOLVED_FIELDS = frozenset({b"name", b"alias", b"ip"})
"""The fields of the table toip and tohostname return, in the manual's form."""


def _resolved_with_more(outcome: Returned, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
                        time_scale: float) -> str | None:
    """Why a resolved table with more fields is non-strict, or None if that is not the only difference.

    The manual gives toip's and tohostname's second value as "a table with
    all information returned by the resolver", in the form name, alias, ip.
    1.3b's has those three fields alone (spec §9), and so do the scenarios'
    tables; a port whose resolver tells more (the address family, say) and
    passes it on follows the first half of that sentence. Only a returned
    table holding all three fields counts, and only its other named fields
    are set aside: a missing field or another value still fails.
    """
    extra: list[bytes] = []

    def trimmed(value: object) -> object:
        if not isinstance(value, LuaTable) or value.array or not value.hash.keys() >= RESOLVED_FIELDS:
            return value
        more = [key for key in value.hash if key not in RESOLVED_FIELDS]
        if not more or not all(isinstance(key, bytes) for key in more):
            return value
        extra.extend(more)
        return LuaTable(hash={key: value.hash[key] for key in RESOLVED_FIELDS})

    fewer = Returned(tuple(trimmed(value) for value in outcome.values))
    if not extra or not _passes(fewer, expects, duration, env, time_scale):
        return None
    fields = ", ".join(key.decode("latin-1") for key in extra)
    return (f"the resolved table has more fields than name, alias and ip ({fields}); the manual "
            'gives "all information returned by the resolver" in that form, 1.3b returns those '
            "three alone (spec §9), so non-strict")


# An HTTP status line as 1.3b returns it: the version, then the status the manual's example shows.
_STATUS_LINE = re.compile(rb"HTTP/[0-9]+\.[0-9]+ ([0-9]{3}(?:[ \t].*)?)", re.DOTALL)


def _status_without_version(outcome: Returned, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
                            time_scale: float) -> str | None:
    """Why an HTTP status without its version is non-strict, or None if that is not the only difference.

    The manual's HTTP example gives the status an http_get returns as
    "401 Authentication Required": the code and the reason phrase. 1.3b
    returns the whole status line, "HTTP/1.1 401 Authorization Required"
    (spec §14.4, §16 item 6), and the scenarios expect that. A candidate
    that returns the line without its leading ``HTTP/x.y`` follows the
    manual's example: non-strict. Only a value a passing outcome gives as an
    exact status line counts, and only when the rest is that line's own text.
    """
    values = list(outcome.values)
    for expected in expects:
        if expected.verdict is not Verdict.PASS or expected.returns is None:
            continue
        shortened = []
        for index, matcher in enumerate(expected.returns[: len(values)]):
            line = matcher.value if isinstance(matcher, Exact) else None
            match = _STATUS_LINE.fullmatch(line) if isinstance(line, bytes) else None
            if match is not None and values[index] == match.group(1):
                shortened.append((index, line))
        if not shortened:
            continue
        restored = list(values)
        for index, line in shortened:
            restored[index] = line
        if _check(expected, Returned(tuple(restored)), duration, env, time_scale)[0]:
            got = lua_repr(values[shortened[0][0]], 80)
            return (f"returned the status {got} without its HTTP version, as the manual's example gives it "
                    '("401 Authentication Required"); 1.3b returns the whole status line (spec §14.4, '
                    "§16 item 6), so non-strict")
    return None


def _wanted(expects: Sequence[ExpectedOutcome], env: Env, time_scale: float) -> tuple[str, ...]:
    """What the step would have accepted, for every verdict that is not a match.

    Shown with a TIMEOUT or a CRASH too: "no answer within 5s" alone hides
    that the call should have raised at once.
    """
    return tuple(describe_expected(expected, env, time_scale) for expected in expects) or (RETURNS_NORMALLY,)


def judge(outcome: Outcome, expects: Sequence[ExpectedOutcome], duration: float, env: Env,
          time_scale: float = 1.0) -> Judgement:
    """The verdict for one call; ``step``/``at`` are filled in by the caller."""
    observed = describe_observed(outcome, duration)
    if isinstance(outcome, Unimplemented):
        as_lua = missing_global_error(outcome.function)
        if not any(expected.raises is not None and match_raises(expected.raises, as_lua.message, env)[0]
                   for expected in expects):
            return Judgement(Verdict.UNIMPLEMENTED, unimplemented_reason(outcome.function), actual=observed)
        # The step expects the call to fail as a missing function does in Lua: being missing is that failure.
        outcome, observed = as_lua, f"{observed}, judged as Lua's error {as_lua.message!r}"
    if isinstance(outcome, TimedOut):
        pending = next((expected for expected in expects if expected.pending), None)
        if pending is not None:  # the scenario wants the call still blocked at its deadline
            return Judgement(pending.verdict, pending.note, actual=observed, stops=pending.stop)
        tail = f"\nstderr:\n{outcome.stderr_tail}" if outcome.stderr_tail else ""
        wanted = _wanted(expects, env, time_scale)
        return Judgement(Verdict.TIMEOUT, f"{observed}; wanted: {' or '.join(wanted)}{tail}",
                         expected=wanted, actual=observed)
    if isinstance(outcome, Crashed):
        detail = outcome.detail + (f"\nstderr:\n{outcome.stderr_tail}" if outcome.stderr_tail else "")
        return Judgement(Verdict.CRASH, f"the candidate crashed: {detail}",
                         expected=_wanted(expects, env, time_scale), actual=observed)
    if not expects:
        if isinstance(outcome, Returned):
            return Judgement(Verdict.PASS)
        raised = lua_repr(message_bytes(outcome.message), 120)
        return Judgement(Verdict.FAIL, f"the call raised {raised}; it should return normally",
                         expected=_wanted(expects, env, time_scale), actual=observed)
    misses = []
    for index, expected in enumerate(expects, start=1):
        ok, detail = _check(expected, outcome, duration, env, time_scale)
        if ok:
            return Judgement(expected.verdict, expected.note, actual=observed, stops=expected.stop)
        # Labelled with its verdict, so that a reader sees which miss is the manual's reading and which
        # the 2001 release's (an informational outcome), as the expected list beside it says.
        label = f"outcome {index}" + ("" if expected.verdict is Verdict.PASS else
                                      f" ({expected.verdict.value.lower()})")
        misses.append(f"{label}: {detail}" if len(expects) > 1 else detail)
    if isinstance(outcome, Raised):
        reworded = _reworded_raise(outcome, expects, duration, env, time_scale)
        if reworded is not None:
            return Judgement(Verdict.NON_STRICT, reworded, expected=_wanted(expects, env, time_scale),
                             actual=observed)
    else:
        relaxed = (_counted_tables(outcome, expects, duration, env, time_scale)
                   or _status_without_version(outcome, expects, duration, env, time_scale)
                   or _resolved_with_more(outcome, expects, duration, env, time_scale))
        if relaxed is not None:
            return Judgement(Verdict.NON_STRICT, relaxed, expected=_wanted(expects, env, time_scale),
                             actual=observed)
    hint = ""
    if isinstance(outcome, Returned):
        hint = _one_table_hint(outcome, expects, duration, env, time_scale)
    return Judgement(
        Verdict.FAIL,
        "no acceptable outcome matched: " + "; ".join(misses) + hint,
        expected=_wanted(expects, env, time_scale),
        actual=observed,
    )
