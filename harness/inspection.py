"""Judging ``check:`` and ``check-callback:`` steps.

``check: PEER`` compares what a fake server received, projected into Lua
values (``harness.received``), with the step's outcomes, tried in order
like a call's. Servers work in their own threads, so a check first lets the
server *settle*: it waits, on the server's own transcript events and never
by sleeping, until the preferred outcome's records have all arrived and
every connection the client opened is closed (nothing more can come), or
until the window (the default deadline times the time scale) runs out. In
the usual case that is at once: the client's call returned only after its
conversation with the server ended.

``check-callback: NAME`` needs no wait: a callback is called during the
candidate's call, which has returned by the time the step runs.

A mismatch is a FAIL that names the first differing field
(``requests[0].headers.host``) with the expected and received values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from fakeservers import FakeServer
from fakeservers.events import CONTROL, Closed, Event, Opened, WireTranscript
from fakeservers.payload import BodyRecord
from harness.callbacks import CallbackSet, ScenarioCallback
from harness.judging import Judgement
from harness.received import records
from harness.scenario.matchers import (
    AnyValue,
    Digest,
    Length,
    describe_returns,
    match_returns,
    value_mismatch,
)
from harness.scenario.model import CheckCallbackStep, CheckOutcome, CheckStep, Env, Matcher, Verdict
from harness.scenario.record_matchers import InOrder, NoneOf, explain
from harness.transcript import Transcript
from harness.values import LuaTable, lua_repr

SHOWN_LIMIT = 2000
"""Characters of the received view kept in a failure's ``actual``."""

MAIN_RECORDS = {"http": "requests", "smtp": "envelopes"}
"""The records ``count:`` counts, per server kind."""


class Inspector:
    """Judges check steps for one scenario run."""

    def __init__(self, servers: Mapping[str, FakeServer], callbacks: CallbackSet, env: Env,
                 transcript: Transcript, window: float) -> None:
        self.servers = servers
        self.callbacks = callbacks
        self.env = env
        self.transcript = transcript
        self.window = window

    def judge(self, step: CheckStep | CheckCallbackStep) -> Judgement:
        if isinstance(step, CheckStep):
            return self._check_server(step)
        return self._check_callback(step)

    # -- check: PEER ---------------------------------------------------------

    def _check_server(self, step: CheckStep) -> Judgement:
        server = self.servers[step.peer]
        self._settle(server, step)
        view = ServerView(step.server, server)
        judgement = _first_match(step.outcomes, lambda outcome: view.mismatch(outcome, self.env),
                                 f"check {step.peer}", self.env, view.render(step.outcomes))
        self.transcript.record("steps", f"check {step.peer}: {_summary(judgement)}")
        return judgement

    def _settle(self, server: FakeServer, step: CheckStep) -> None:
        """Wait until the preferred outcome's records are in and no connection is open."""
        deadline = time.monotonic() + self.window
        wanted = _wanted_counts(step.outcomes[0], MAIN_RECORDS.get(step.server))
        while True:
            seen = len(server.transcript.all())
            view = ServerView(step.server, server)
            if view.has(wanted) and _quiet(server.transcript):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _next_event(server.transcript, seen, remaining):
                self.transcript.record("harness", f"check {step.peer}: judged after {self.window:g}s "
                                                  "without the server settling")
                return

    # -- check-callback: NAME -------------------------------------------------

    def _check_callback(self, step: CheckCallbackStep) -> Judgement:
        callback = self.callbacks[step.name]
        judgement = _first_match(step.outcomes,
                                 lambda outcome: _callback_mismatch(outcome, callback, self.env),
                                 f"check-callback {step.name}", self.env, _render_callback(callback))
        self.transcript.record("steps", f"check-callback {step.name}: {_summary(judgement)}")
        return judgement


class ServerView:
    """A snapshot of what one server received, as Lua tables, with the checks against it."""

    def __init__(self, server_kind: str, server: FakeServer) -> None:
        self.received = server.received
        self.records = records(server_kind, self.received, server.transcript.all())
        self.main = MAIN_RECORDS.get(server_kind)

    def has(self, wanted: Mapping[str, int]) -> bool:
        return all(len(self.records[key]) >= count for key, count in wanted.items())

    def mismatch(self, outcome: CheckOutcome, env: Env) -> str | None:
        for key, expected in outcome.fields.items():
            if key == "count":
                assert self.main is not None
                got = len(self.records[self.main])
                if not _count_matches(expected, got, env):
                    return f"count: expected {_describe_count(expected, env)} {self.main}, received {got}"
            elif key == "stored":
                problem = self._stored_mismatch(expected, env)
                if problem:
                    return problem
            else:
                problem = _list_mismatch(key, expected, self.records[key], env)
                if problem:
                    return problem
        return None

    def _stored_mismatch(self, expected: tuple[tuple[str, Matcher], ...], env: Env) -> str | None:
        for path, matcher in expected:
            stored = self.received.stored_file(path)
            if stored is None:
                if not matcher.matches(None, env):
                    return f"stored[{path}]: expected {matcher.describe(env)}, nothing was stored there"
                continue
            problem = content_mismatch(matcher, stored.content, env)
            if problem:
                return f"stored[{path}]: {problem}"
        return None

    def render(self, outcomes: tuple[CheckOutcome, ...]) -> str:
        keys = dict.fromkeys(self.main if key == "count" else key
                             for outcome in outcomes for key in outcome.fields)
        parts = []
        for key in keys:
            if key == "stored":
                files = {item.path: item.content.length for item in self.received.stored}
                parts.append("stored: " + ", ".join(f"{path} ({size} bytes)" for path, size in files.items()))
            elif key is not None:
                listed = self.records[key]
                parts.append(f"{len(listed)} {key}: " + lua_repr(LuaTable(array=list(listed))))
        text = "; ".join(parts)
        return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT] + f"... ({len(text)} characters)"


def content_mismatch(matcher: Matcher, content: BodyRecord, env: Env) -> str | None:
    """A stored file or body against a matcher, even when only its length and SHA-256 were kept."""
    if content.data is not None:
        if matcher.matches(content.data, env):
            return None
        return value_mismatch(matcher, content.data, env)
    if isinstance(matcher, AnyValue):
        return None
    if isinstance(matcher, Length):
        ok = matcher.length == content.length
    elif isinstance(matcher, Digest) and matcher.algorithm == "sha256":
        ok = matcher.hexdigest.lower() == content.sha256 and matcher.length in (None, content.length)
    else:
        return (f"only the length ({content.length}) and SHA-256 were kept (above the server's record "
                f"limit): match it with !len or !digest {{sha256: ...}}")
    if ok:
        return None
    got = f"{content.length} bytes with sha256 {content.sha256[:16]}..."
    return f"expected {matcher.describe(env)}, got {got}"


def _list_mismatch(key: str, expected: tuple[Matcher, ...] | NoneOf | InOrder, observed: list[LuaTable],
                   env: Env) -> str | None:
    if isinstance(expected, (NoneOf, InOrder)):
        return expected.violation(key, observed, env)
    difference = next((explain(matcher, value, env, f"{key}[{index}]")
                       for index, (matcher, value) in enumerate(zip(expected, observed, strict=False))
                       if not matcher.matches(value, env)), None)
    if len(observed) == len(expected):
        return difference
    return _length_mismatch(
        f"{key}: expected {len(expected)}, received {len(observed)}", difference,
        len(expected), len(observed),
        extra=lambda index: f"came {lua_repr(observed[index], 120)}",
        missing=lambda index: f"nothing came: missing {expected[index].describe(env)}")


def _length_mismatch(counts: str, difference: str | None, wanted: int, got: int, *,
                     extra: Callable[[int], str], missing: Callable[[int], str]) -> str:
    """Why a list of ``got`` items is not the ``wanted`` ones, once the counts differ.

    The first item that differs if one does; else the counts alone would hide
    which item is extra or missing, so it is named: ``extra(index)`` or
    ``missing(index)`` says it, ``index`` being the first position one side lacks.
    """
    if difference is not None:
        return f"{counts}; the first difference: {difference}"
    same = min(wanted, got)
    if got > same:
        return f"{counts}; the first {same} match, then {extra(same)}"
    more = wanted - same - 1
    return f"{counts}; the first {same} match, then {missing(same)}" + (f" and {more} more" if more else "")


def _wanted_counts(outcome: CheckOutcome, main: str | None) -> dict[str, int]:
    """How many records of each list the outcome needs before it can match."""
    wanted = {key: len(value) if isinstance(value, tuple) else value.size
              for key, value in outcome.fields.items()
              if key in ("requests", "envelopes", "commands", "transfers", "uploads", "logins")}
    count = outcome.fields.get("count")
    if main is not None and isinstance(count, int):
        wanted[main] = max(count, wanted.get(main, 0))
    return wanted


def _quiet(transcript: WireTranscript) -> bool:
    """Every control connection the server accepted has been closed."""
    open_connections: set[int] = set()
    for event in transcript.all():
        if isinstance(event, Opened) and event.channel == CONTROL:
            open_connections.add(event.connection)
        elif isinstance(event, Closed) and event.channel == CONTROL:
            open_connections.discard(event.connection)
    return not open_connections


def _next_event(transcript: WireTranscript, seen: int, timeout: float) -> bool:
    """Wait for an event beyond the first ``seen``; False on timeout."""
    counted = 0

    def is_new(_event: Event) -> bool:
        nonlocal counted
        counted += 1
        return counted > seen

    return transcript.wait_for(is_new, timeout) is not None


# -- callbacks ------------------------------------------------------------------


def _callback_mismatch(outcome: CheckOutcome, callback: ScenarioCallback, env: Env) -> str | None:
    record = callback.record
    for key, expected in outcome.fields.items():
        if key == "count":
            if not _count_matches(expected, record.count, env):
                return (f"count: expected {_describe_count(expected, env)} calls, there were {record.count}"
                        + _first_extra_call(expected, record.calls))
        elif key == "empty":
            if record.empty is None:
                return "empty: not known (the candidate ran this callback itself and reports no such count)"
            if not _count_matches(expected, record.empty, env):
                return (f'empty: expected {_describe_count(expected, env)} calls with "", '
                        f"there were {record.empty}")
        elif key == "calls":
            assert record.calls is not None
            problem = _calls_mismatch(expected, record.calls, env)
            if problem is not None:
                return problem
        elif key in ("first", "last"):
            args = record.first if key == "first" else record.last
            if args is None:
                return f"{key}: expected a call with {describe_returns(expected, env)}, it was never called"
            ok, detail = match_returns(expected, args, env, observed_as="called with")
            if not ok:
                return f"{key}: {detail}"
        elif key == "data":
            data = record.data()
            if not expected.matches(data, env):
                return f"data: {value_mismatch(expected, data, env)}"
        else:  # digest
            content = BodyRecord(record.length, record.sha256)
            problem = content_mismatch(expected, content, env)
            if problem:
                return f"digest: {problem}"
    return None


def _first_extra_call(expected: int | Matcher, calls: list[tuple[Any, ...]] | None) -> str:
    """After a count of calls that is too high: the arguments of the first call beyond it.

    A count of 1 met by 2 calls reads as a transfer made twice; the second
    call's arguments say what it was (a failure call ``(nil, message)``
    after an abort, a second ``""``). Send callbacks' calls have no
    arguments, and ``record: digest`` keeps none: then nothing is added.
    """
    if not isinstance(expected, int) or calls is None or len(calls) <= expected or not calls[expected]:
        return ""
    return f"; the first extra call had ({_arguments(calls[expected])})"


def _calls_mismatch(expected: tuple[tuple[Matcher, ...], ...], calls: list[tuple[Any, ...]],
                    env: Env) -> str | None:
    """``calls:``: the first call that differs, or, with the same calls so far, the one missing or extra.

    A count alone ("expected 2 calls, there were 1") hides which call a
    candidate left out: the final "" of a transfer, or the failure call.
    """
    difference = None
    for index, (matchers, args) in enumerate(zip(expected, calls, strict=False)):
        ok, detail = match_returns(matchers, args, env, observed_as="called with")
        if not ok:
            difference = f"calls[{index}]: {detail}"
            break
    if len(calls) == len(expected):
        return difference
    return _length_mismatch(
        f"calls: expected {len(expected)} calls, there were {len(calls)}", difference,
        len(expected), len(calls),
        extra=lambda index: f"came an extra call with ({_arguments(calls[index])})",
        missing=lambda index: f"no call with ({describe_returns(expected[index], env)})")


def _arguments(args: tuple[Any, ...]) -> str:
    """A callback call's arguments, as a reason shows them between parentheses."""
    return ", ".join(lua_repr(arg, 80) for arg in args)


def _render_callback(callback: ScenarioCallback) -> str:
    record = callback.record
    shown = f"{record.count} calls, {record.length} bytes of chunks, sha256 {record.sha256[:16]}..."
    if record.calls is not None:
        calls = ", ".join("{" + ", ".join(lua_repr(arg, 80) for arg in args) + "}"
                          for args in record.calls[:20])
        shown += f"; calls: {calls}" + (" ..." if len(record.calls) > 20 else "")
    return shown


# -- shared -------------------------------------------------------------------


def _count_matches(expected: int | Matcher, got: int, env: Env) -> bool:
    """``count:`` is a whole number or a number matcher (``!range [2, null]``)."""
    return expected.matches(got, env) if isinstance(expected, Matcher) else got == expected


def _describe_count(expected: int | Matcher, env: Env) -> str:
    return expected.describe(env) if isinstance(expected, Matcher) else str(expected)


def _first_match(outcomes: tuple[CheckOutcome, ...], mismatch: Any, label: str, env: Env,
                 actual: str) -> Judgement:
    """The verdict of the first outcome that matches, or a FAIL listing why each did not."""
    problems = []
    for outcome in outcomes:
        problem = mismatch(outcome)
        if problem is None:
            note = f"{label}: {outcome.note}" if outcome.note else ""
            return Judgement(outcome.verdict, note if outcome.verdict is not Verdict.PASS else "")
        problems.append(problem)
    distinct = list(dict.fromkeys(problems))  # alternatives that miss the same way read as one
    reason = f"{label}: " + "; or ".join(distinct)
    expected = tuple(_describe_outcome(outcome, env) for outcome in outcomes)
    return Judgement(Verdict.FAIL, reason, expected=expected, actual=actual)


def _describe_outcome(outcome: CheckOutcome, env: Env) -> str:
    parts = []
    for key, value in outcome.fields.items():
        if key in ("count", "empty"):
            parts.append(f"{key}: {_describe_count(value, env)}")
        elif key == "stored":
            parts.append("stored: " + ", ".join(f"{path} {m.describe(env)}" for path, m in value))
        elif key in ("first", "last"):
            parts.append(f"{key}: {describe_returns(value, env)}")
        elif key == "calls":
            parts.append("calls: " + "; ".join("(" + describe_returns(args, env) + ")" for args in value))
        elif isinstance(value, tuple):
            parts.append(f"{key}: [" + ", ".join(matcher.describe(env) for matcher in value) + "]")
        else:
            parts.append(f"{key}: {value.describe(env)}")
    text = "; ".join(parts)
    if outcome.verdict is not Verdict.PASS:
        text += f" ({outcome.verdict.value.lower()})"
    return text


def _summary(judgement: Judgement) -> str:
    return judgement.verdict.value + (f" ({judgement.reason})" if judgement.reason else "")
