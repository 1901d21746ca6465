"""What a scenario is, once loaded: plain frozen data, no I/O.

The loader (``harness.scenario.loader``) builds these from YAML and is the
only place that knows the file syntax; the runner only reads them. Every
object that came from a file carries its ``SourceLocation`` so that any
complaint, at load time or at run time, can name the file and line.

A scenario reads top to bottom in four parts, like a small spec:

* meta: ``id``, ``title``, ``manual``, ``spec``, ``tags``, ``requires``, ``environment``;
* ``peers``: the scripted sockets and servers on the other end, each running
  its own ``script`` concurrently with the candidate;
* ``steps``: the candidate's calls, in order, with sync points;
* expectations: attached to each call (``expect``) and to peer actions that
  check what the peer received.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.values import LuaValue


@dataclass(frozen=True)
class SourceLocation:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Ref:
    """A value known only at run time: a saved result or a peer's address.

    ``name`` is a variable saved by a step (``c``) or a peer attribute
    (``srv.host``, ``srv.port``). Refs may stand anywhere a value may.
    ``line`` and ``in_template`` only say where the author wrote it, so a
    load error can point there; they take no part in equality.
    """

    name: str
    line: int = field(default=0, compare=False)
    in_template: bool = field(default=False, compare=False)

    def written(self) -> str:
        """The ref as its author wrote it: ``!ref c`` or ``!fmt {c}``."""
        return f"!fmt {{{self.name}}}" if self.in_template else f"!ref {self.name}"


@dataclass(frozen=True)
class Template:
    """Text built from refs at run time: ``!fmt "http://{web.host}:{web.port}/"``.

    ``parts`` alternates literal bytes and Refs; the runner renders it into
    one Lua string just before use (a peer's port is not known at load time).
    """

    parts: tuple[bytes | Ref, ...]

    def refs(self) -> Iterator[Ref]:
        return (part for part in self.parts if isinstance(part, Ref))


Env = Mapping[str, LuaValue]
"""Run-time variables: saved results plus ``<peer>.host`` / ``<peer>.port``."""


class Matcher(abc.ABC):
    """Decides whether one observed Lua value is acceptable."""

    @abc.abstractmethod
    def matches(self, value: LuaValue, env: Env) -> bool:
        """True if ``value`` is acceptable; ``env`` resolves any ``Ref``."""

    @abc.abstractmethod
    def describe(self, env: Env) -> str:
        """A short Lua-flavoured rendering of what is expected, for diffs."""


class Verdict(enum.StrEnum):
    """The closed set of results a scenario can have for a candidate.

    PASS: behaves as the manual says. NON_STRICT: acceptable, but not the
    preferred reading. INFORMATIONAL: matches a documented alternative (for
    example the original 2001 release's quirk); reported, never a failure.
    UNIMPLEMENTED: the candidate lacks a function the scenario needs.
    FAIL: no acceptable outcome matched. CRASH: the candidate or the harness
    broke. TIMEOUT: a call missed its deadline. SKIP: a required capability is
    missing (always with its reason).
    """

    PASS = "PASS"
    NON_STRICT = "NON-STRICT"
    INFORMATIONAL = "INFORMATIONAL"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    FAIL = "FAIL"
    CRASH = "CRASH"
    TIMEOUT = "TIMEOUT"
    SKIP = "SKIP"

    @property
    def is_failure(self) -> bool:
        """Verdicts that make a CI run fail."""
        return self in (Verdict.FAIL, Verdict.CRASH, Verdict.TIMEOUT)


# Severity order among acceptable outcomes: a scenario takes the worst one.
ACCEPTABLE_ORDER = (Verdict.PASS, Verdict.NON_STRICT, Verdict.INFORMATIONAL)


@dataclass(frozen=True)
class ExpectedOutcome:
    """One acceptable way for a call to end, and the verdict it earns.

    Exactly one of ``returns`` / ``raises`` / ``pending`` is set. ``returns``
    lists one matcher per returned value; trailing nils are trimmed on both
    sides before comparing. ``raises`` matches the Lua error message.
    ``pending`` means the call must still be blocked when its deadline
    passes (a connect whose SYN is never answered has no timeout in this
    API, so "still waiting" is the behaviour checked). ``within`` bounds the
    call's wall time in seconds; the upper bound is multiplied by the run's
    ``--time-scale``. ``stop`` ends the scenario after this outcome (never
    with a PASS, which must mean every step ran): for a quirk that leaves
    nothing for the later steps to check.
    """

    returns: tuple[Matcher, ...] | None = None
    raises: Matcher | None = None
    within: tuple[float, float] | None = None
    pending: bool = False
    verdict: Verdict = Verdict.PASS
    note: str = ""
    stop: bool = False
    location: SourceLocation | None = None


@dataclass(frozen=True)
class CallStep:
    """A candidate call: ``c:receive("*l")`` (method) or ``receive(c, "*l")``."""

    function: str
    style: str  # "global" | "method"
    target: str | None  # variable holding the socket, for method style
    args: tuple[Any, ...]  # Lua values and Refs
    save: tuple[str | None, ...] = ()
    expect: tuple[ExpectedOutcome, ...] = ()
    deadline: float | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class SignalStep:
    """Raise a named sync event that peers (or the candidate side) wait for."""

    name: str
    location: SourceLocation | None = None


@dataclass(frozen=True)
class WaitStep:
    """Block until a named sync event was raised (by a peer)."""

    name: str
    timeout: float | None = None
    location: SourceLocation | None = None


@dataclass(frozen=True)
class SleepStep:
    """Let time pass on purpose (timing semantics only, never for sync)."""

    seconds: float
    location: SourceLocation | None = None


@dataclass(frozen=True)
class CheckOutcome:
    """One acceptable reading of what a peer or a callback recorded, and its verdict.

    ``fields`` maps each listed check key to what the loader built for it.
    For ``check:``: ``requests``, ``envelopes``, ``commands``, ``transfers``,
    ``logins`` (tuples of matchers, one per record, exactly those records in
    order), ``stored`` (a tuple of (path, matcher)) and ``count`` (an int).
    For ``check-callback:``: ``calls`` (a tuple of argument-matcher tuples),
    ``first`` / ``last`` (argument-matcher tuples), ``count`` (an int),
    ``data`` and ``digest`` (matchers for the concatenated chunks). Only the
    listed keys are checked.
    """

    fields: Mapping[str, Any]
    verdict: Verdict = Verdict.PASS
    note: str = ""
    location: SourceLocation | None = None


@dataclass(frozen=True)
class CheckStep:
    """Inspect what a fake-server peer received (``check: web``).

    ``outcomes`` are tried in order, like a call's; the first that matches
    decides the verdict.
    """

    peer: str
    server: str  # the fake server kind: "http" | "smtp" | "ftp"
    outcomes: tuple[CheckOutcome, ...]
    location: SourceLocation | None = None


@dataclass(frozen=True)
class CheckCallbackStep:
    """Inspect what a scenario callback saw (``check-callback: sink``)."""

    name: str
    outcomes: tuple[CheckOutcome, ...]
    location: SourceLocation | None = None


Step = CallStep | SignalStep | WaitStep | SleepStep | CheckStep | CheckCallbackStep


@dataclass(frozen=True)
class PeerAction:
    """One action in a peer's script, e.g. ``send``, ``recv``, ``reset``.

    ``op`` is one of the names in ``PEER_OPS[kind]``; ``params`` holds its
    already-validated parameters (values may be Refs or Matchers).
    """

    op: str
    params: Mapping[str, Any]
    location: SourceLocation | None = None


# For each peer kind, each op and the parameters it accepts (required ones
# first, marked with a trailing "!"). The loader validates against this table
# and the peer implementations dispatch on it, so the two cannot drift.
_COMMON_OPS: dict[str, tuple[str, ...]] = {
    "signal": ("name!",),
    "wait": ("name!", "timeout"),
    "sleep": ("seconds!",),
}
_STREAM_OPS: dict[str, tuple[str, ...]] = {
    "send": ("data!", "slices", "delay", "times"),
    "recv": ("expect", "count", "timeout"),  # at least one of expect/count
    "recv-until-close": ("expect", "timeout"),
    "expect-close": ("timeout",),
    "shutdown": ("how",),
    "close": (),
    "reset": (),
    "echo": ("length!", "count!", "timeout"),  # bulk request/response (perf workloads)
}
PEER_OPS: dict[str, dict[str, tuple[str, ...]]] = {
    "tcp-server": {"accept": ("timeout",), **_STREAM_OPS, **_COMMON_OPS},
    "tcp-client": {"connect": ("host!", "port!"), **_STREAM_OPS, **_COMMON_OPS},
    "udp": {
        "sendto": ("data!", "host!", "port!", "times", "window"),
        "recvfrom": ("expect", "from-port", "timeout"),
        "close": (),
        **_COMMON_OPS,
    },
    # Crafted packets (harness.peers.raw): datagrams with any source, checksum
    # or fragmentation, ICMP errors, RST/FIN into another peer's connection,
    # and SYNs dropped or refused.
    "raw": {
        "inject-udp": ("data!", "host!", "port!", "from-host", "from-port", "checksum"),
        "inject-fragments": ("data!", "host!", "port!", "from-host", "from-port", "size", "order"),
        "recvfrom": ("expect", "from-port", "timeout"),
        "icmp-unreachable": ("code!", "host", "port"),
        "inject-rst": ("peer!", "timeout"),
        "inject-fin": ("peer!", "timeout"),
        "wait-drained": ("peer!", "timeout"),
        "drop-syn": (),
        "allow-syn": (),
        "expect-syn": ("timeout",),
        "refuse-syn": ("timeout",),
        **_COMMON_OPS,
    },
}


@dataclass(frozen=True)
class PeerSpec:
    """A scripted peer: its kind, setup options and its script."""

    name: str
    kind: str  # a key of PEER_OPS
    options: Mapping[str, Any] = field(default_factory=dict)
    script: tuple[PeerAction, ...] = ()
    location: SourceLocation | None = None


@dataclass(frozen=True)
class GeneratedData:
    """``size`` bytes of ``pattern`` repeated, handed out ``chunk`` bytes per call."""

    size: int
    pattern: bytes = b"x"
    chunk: int = 65536


@dataclass(frozen=True)
class CallbackSpec:
    """A streaming callback the steps pass to the candidate with ``!callback NAME``.

    ``kind`` "receive": ``receive_cb(chunk, err)``, every call recorded
    (``record`` "data": each call's arguments; "digest": only count, length,
    SHA-256 and the first and last call, so gigabyte streams stay small).
    ``kind`` "send": ``send_cb() -> chunk, total``, serving ``chunks`` or
    ``generate``d data and announcing ``total`` (default: their sum); once
    the chunks are used up it returns ``""`` (``after`` "empty") or all the
    chunks again (``after`` "repeat", the manual's second example). Either
    kind returns nil (plus ``message`` when given) at call number
    ``abort_at``.
    """

    name: str
    kind: str  # "receive" | "send"
    record: str = "data"
    abort_at: int | None = None
    message: bytes | None = None
    chunks: tuple[bytes, ...] = ()
    generate: GeneratedData | None = None
    total: int | None = None
    after: str = "empty"
    location: SourceLocation | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    manual: str  # the manual section checked, e.g. "TCP sockets / receive"
    spec: str  # the spec clause, e.g. "§6.2"
    tags: tuple[str, ...]
    requires: tuple[str, ...]
    peers: tuple[PeerSpec, ...]
    steps: tuple[Step, ...]
    location: SourceLocation
    notes: str = ""
    functions: tuple[str, ...] = ()  # API functions it exercises (derived)
    callbacks: tuple[CallbackSpec, ...] = ()  # streaming callbacks the steps pass
    workload: Any = None  # perf scenarios: a harness.bench.workload.Workload (size, timed step, checks)
    environment: tuple[tuple[str, str], ...] = ()  # API variables set for the run (schema.API_VARIABLES)


# -- results --------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of what happened, timestamped from the scenario's start."""

    at: float
    source: str  # "candidate", "peer:<name>", "harness"
    text: str


@dataclass(frozen=True)
class ScenarioResult:
    """The verdict of one scenario for one candidate, and why.

    ``expected`` and ``actual`` describe the first step that decided the
    verdict (for non-passes); ``transcript`` is kept for every non-pass.
    """

    scenario: str
    candidate: str
    verdict: Verdict
    duration: float
    reason: str = ""
    step: str = ""  # "path:line" of the deciding step
    expected: tuple[str, ...] = ()
    actual: str = ""
    transcript: tuple[TranscriptEntry, ...] = ()
    leaks: tuple[str, ...] = ()
