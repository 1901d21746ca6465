"""The ``workload:`` section of a perf scenario: how big one run is, what is timed, what is checked.

A perf workload is an ordinary scenario (same loader, peers and steps) under
``scenarios/perf/``, plus this section::

    workload:
      size: 67108864               # units of work in one run
      unit: bytes                  # bytes | lines | datagrams | exchanges | messages
      timed: {step: 2, repeat: 1}  # the 2nd step, performed `repeat` times by the candidate itself
      expect: {done: 1, bytes: 67108864, returns: []}
      ceiling: {client: tcp-drain, peer: src}

``timed`` takes one of two forms:

* ``{step: N, repeat: R, stop: K}``: step N (1 is the first step) is one call
  that the candidate repeats R times in a loop of its own (PROTOCOL.md
  section 7), ending early after a repetition whose K-th value is not nil.
  The payload stays with the candidate (value 1 is counted, not returned)
  and the time is the candidate's own clock around the loop. ``expect`` is
  checked against the candidate's account: ``done`` repetitions, ``bytes``
  of value 1 in total, ``sha256`` of value 1's strings concatenated over
  every repetition (asked of candidates that can hash off the clock,
  ``discard: "digest"``), and ``returns`` for the last repetition's values
  (value 1 reads nil when it was a counted string). The step itself has no
  ``expect`` of its own.
* ``{steps: [A, B], rounds: R}``: steps A..B (a request/response exchange
  made of several calls, which no single repeated call can express) run R
  times in a row. A candidate that can (in process, or a driver claiming
  ``sequence``, PROTOCOL.md section 7.2, and ``digest`` when a step expects
  a literal string) runs them itself as one sequence, timed by its own
  clock; the run is checked from its account: R rounds done, each step's
  ``expect`` on the last round's values and, where a step expects a literal
  string as value 1, the bytes and SHA-256 of value 1 over all R rounds.
  Otherwise each call goes through the adapter, is judged against its own
  ``expect`` and the harness times the R rounds, round trips included (such
  a figure is protocol-bound for a driver). ``expect`` is not allowed.

``ceiling`` names the plain-socket client (``ceilings.CLIENT_PARAMS``) that
measures the same exchange against the same peers without any candidate,
and its parameters.

Loading reports problems through the scenario loader's ``Checker``, at
their ``path:line: field``, like every other part of a scenario file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.bench.ceilings import CLIENT_PARAMS
from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.convert import to_matcher
from harness.scenario.located import YList, YMap
from harness.scenario.model import CallStep, Matcher, PeerSpec, SourceLocation, Step

PERF_AREA = "perf"
UNITS = ("bytes", "lines", "datagrams", "exchanges", "messages")
WORKLOAD_KEYS = ("size", "unit", "timed", "expect", "ceiling")
WORKLOAD_REQUIRED = ("size", "unit", "timed")
REPEAT_KEYS = ("step", "repeat", "stop")
ROUNDS_KEYS = ("steps", "rounds")
EXPECT_KEYS = ("done", "bytes", "sha256", "returns")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class RepeatedCall:
    """One call the candidate performs ``repeat`` times itself; ``step`` is a 0-based index."""

    step: int
    repeat: int
    stop: int | None = None


@dataclass(frozen=True)
class Rounds:
    """Steps ``first``..``last`` (0-based, inclusive) run ``rounds`` times by the harness."""

    first: int
    last: int
    rounds: int


@dataclass(frozen=True)
class RepeatExpectation:
    """What the candidate's account of a repeated call must say (None: not checked).

    ``sha256`` is the lowercase hex SHA-256 of value 1 over every repetition
    where it was a string (the strings ``bytes`` counts), concatenated.
    """

    done: int | None = None
    bytes: int | None = None
    returns: tuple[Matcher, ...] | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class CeilingSpec:
    """The plain-socket client that measures the peers alone, and its parameters."""

    client: str
    peer: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    size: int
    unit: str
    timed: RepeatedCall | Rounds
    expect: RepeatExpectation = RepeatExpectation()
    ceiling: CeilingSpec | None = None
    location: SourceLocation | None = None

    @property
    def timing(self) -> str:
        """``candidate`` for a repeated call; ``harness`` for rounds, which the harness times unless the
        candidate runs them as a sequence (``RunResult.harness_timed`` says which, run by run)."""
        return "candidate" if isinstance(self.timed, RepeatedCall) else "harness"

    @property
    def repetitions(self) -> int:
        """How many times the timed work is done in one run (calls repeated, or rounds)."""
        return self.timed.repeat if isinstance(self.timed, RepeatedCall) else self.timed.rounds


def load_workload(checker: Checker, raw: Any, line: int, field: str, steps: tuple[Step, ...],
                  peers: tuple[PeerSpec, ...], bindings: Bindings) -> Workload | None:
    """The workload section of one scenario, or None after reporting its problems."""
    section = checker.mapping(raw, line, field)
    if section is None:
        return None
    if not checker.keys(section, field, WORKLOAD_KEYS, WORKLOAD_REQUIRED):
        return None
    size = _positive(checker, section, "size", field)
    unit = section["unit"]
    if not checker.expect(unit, section.line_of("unit"), join(field, "unit"), f"one of {', '.join(UNITS)}",
                          unit in UNITS):
        unit = None
    timed = _load_timed(checker, section["timed"], section.line_of("timed"), join(field, "timed"), steps)
    expect: RepeatExpectation | None = RepeatExpectation()
    if "expect" in section:
        where = join(field, "expect")
        if isinstance(timed, Rounds):
            checker.report(section.line_of("expect"), where, "expect goes with a repeated step; with rounds "
                           "each step's own expect is checked")
            expect = None
        else:
            expect = _load_expect(checker, section["expect"], section.line_of("expect"), where, bindings)
    ceiling: CeilingSpec | None | Any = None
    if "ceiling" in section:
        ceiling = _load_ceiling(checker, section["ceiling"], section.line_of("ceiling"),
                                join(field, "ceiling"), peers)
    stopping = [outcome for step in steps if isinstance(step, CallStep) for outcome in step.expect
                if outcome.stop]
    for outcome in stopping:
        checker.report(outcome.location.line if outcome.location else line, field,
                       "a workload runs every step: no outcome of a perf scenario may stop it")
    if None in (size, unit, timed, expect) or ceiling is FAILED or stopping:
        return None
    return Workload(size=size, unit=unit, timed=timed, expect=expect, ceiling=ceiling,
                    location=SourceLocation(checker.collector.path, section.line))


def _positive(checker: Checker, mapping: YMap, key: str, field: str) -> int | None:
    raw = mapping[key]
    ok = isinstance(raw, int) and not isinstance(raw, bool) and raw > 0
    wanted = "a whole number > 0"
    return raw if checker.expect(raw, mapping.line_of(key), join(field, key), wanted, ok) else None


def _load_timed(checker: Checker, raw: Any, line: int, field: str,
                steps: tuple[Step, ...]) -> RepeatedCall | Rounds | None:
    section = checker.mapping(raw, line, field)
    if section is None:
        return None
    if "step" in section:
        if not checker.keys(section, field, REPEAT_KEYS, ("step",)):
            return None
        index = _step_index(checker, section["step"], section.line_of("step"), join(field, "step"), steps)
        repeat = _positive(checker, section, "repeat", field) if "repeat" in section else 1
        stop = _positive(checker, section, "stop", field) if "stop" in section else None
        if index is not None and steps[index].expect:
            checker.report(section.line_of("step"), join(field, "step"),
                           f"the timed step (steps[{index}]) must have no expect of its own: its repetitions "
                           "are checked by workload.expect")
            return None
        if index is None or repeat is None or ("stop" in section and stop is None):
            return None
        return RepeatedCall(step=index, repeat=repeat, stop=stop)
    if not checker.keys(section, field, ROUNDS_KEYS, ROUNDS_KEYS):
        return None
    bounds, bounds_line, bounds_field = section["steps"], section.line_of("steps"), join(field, "steps")
    if not checker.expect(bounds, bounds_line, bounds_field, "[first, last] step numbers (1 is the first)",
                          isinstance(bounds, YList) and len(bounds) == 2):
        return None
    first = _step_index(checker, bounds[0], bounds_line, f"{bounds_field}[0]", steps)
    last = _step_index(checker, bounds[1], bounds_line, f"{bounds_field}[1]", steps)
    rounds = _positive(checker, section, "rounds", field)
    if first is None or last is None or rounds is None:
        return None
    if last < first:
        checker.report(bounds_line, bounds_field, "the last step comes before the first")
        return None
    between = [number + 1 for number in range(first, last + 1) if not isinstance(steps[number], CallStep)]
    if between:
        checker.report(bounds_line, bounds_field,
                       f"every step of the rounds must be a call; step {between[0]} is not")
        return None
    return Rounds(first=first, last=last, rounds=rounds)


def _step_index(checker: Checker, raw: Any, line: int, field: str, steps: tuple[Step, ...]) -> int | None:
    """A 1-based step number that names a call step, as a 0-based index."""
    ok = isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= len(steps)
    if not checker.expect(raw, line, field, f"a step number from 1 to {len(steps)}", ok):
        return None
    if not isinstance(steps[raw - 1], CallStep):
        checker.report(line, field, f"step {raw} (steps[{raw - 1}]) is not a call")
        return None
    return raw - 1


def _load_expect(checker: Checker, raw: Any, line: int, field: str,
                 bindings: Bindings) -> RepeatExpectation | None:
    section = checker.mapping(raw, line, field)
    if section is None:
        return None
    checker.keys(section, field, EXPECT_KEYS)
    done = checker.count(section["done"], section.line_of("done"), join(field, "done")) \
        if "done" in section else None
    size = checker.count(section["bytes"], section.line_of("bytes"), join(field, "bytes")) \
        if "bytes" in section else None
    sha256: str | None = None
    if "sha256" in section:
        raw_sha = section["sha256"]
        ok = isinstance(raw_sha, str) and SHA256_HEX.fullmatch(raw_sha) is not None
        if checker.expect(raw_sha, section.line_of("sha256"), join(field, "sha256"),
                          "a SHA-256 as 64 lowercase hex digits", ok):
            sha256 = raw_sha
    returns: tuple[Matcher, ...] | None = None
    failed = ("done" in section and done is None) or ("bytes" in section and size is None) or (
        "sha256" in section and sha256 is None)
    if "returns" in section:
        items, items_line = section["returns"], section.line_of("returns")
        items_field = join(field, "returns")
        if checker.expect(items, items_line, items_field, "a list with one matcher per returned value",
                          isinstance(items, YList)):
            matchers = []
            for index, item in enumerate(items):
                item_field = f"{items_field}[{index}]"
                matcher = checker.convert(to_matcher, item, items.line_of(index), item_field)
                if matcher is FAILED:
                    failed = True
                    continue
                bindings.check_step_refs(checker, matcher, items.line_of(index), item_field)
                matchers.append(matcher)
            returns = tuple(matchers)
        else:
            failed = True
    return None if failed else RepeatExpectation(done=done, bytes=size, returns=returns, sha256=sha256)


def _load_ceiling(checker: Checker, raw: Any, line: int, field: str, peers: tuple[PeerSpec, ...]) -> Any:
    section = checker.mapping(raw, line, field)
    if section is None:
        return FAILED
    client = section.get("client")
    if not checker.expect(client, section.line_of("client") if "client" in section else section.line,
                          join(field, "client"), f"one of {', '.join(CLIENT_PARAMS)}",
                          isinstance(client, str) and client in CLIENT_PARAMS):
        return FAILED
    params = CLIENT_PARAMS[client]
    names = [name.rstrip("!") for name in params]
    required = ["client", "peer", *[name.rstrip("!") for name in params if name.endswith("!")]]
    if not checker.keys(section, field, ["client", "peer", *names], required):
        return FAILED
    peer = section["peer"]
    known = {spec.name for spec in peers}
    if not checker.expect(peer, section.line_of("peer"), join(field, "peer"), "the name of a peer of this "
                          "scenario", isinstance(peer, str) and peer in known):
        return FAILED
    values = {name: _plain(section[name]) for name in names if name in section}
    return CeilingSpec(client=client, peer=peer, params=values)


def _plain(raw: Any) -> Any:
    """A ceiling parameter as plain Python data (YAML's located containers unwrapped)."""
    if isinstance(raw, YList):
        return [_plain(item) for item in raw]
    if isinstance(raw, YMap):
        return {key: _plain(value) for key, value in raw.items()}
    return raw
