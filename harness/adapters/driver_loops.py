"""The driver protocol's loop extensions, as bytes in and bytes out (no I/O).

PROTOCOL.md section 7 lets the harness move a loop into the driver, so that
a measurement times the implementation and not the pipe: a repeated call
(section 7, with the ``digest`` capability for ``discard: "digest"``),
callbacks the driver builds and runs itself (section 7.1, ``local-callbacks``)
and a list of calls repeated in rounds (section 7.2, ``sequence``). Each
comes with a request the harness sends and a report the driver sends back;
this module holds both and the parsers of the reports. The plain values and
messages they build on live in ``harness.adapters.driver_wire``, which stays
the whole contract for a driver that claims none of these capabilities.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.adapters.base import Call
from harness.adapters.driver_wire import ProtocolError, call_body, decode_values, excerpt
from harness.values import LuaValue

if TYPE_CHECKING:
    from harness.scenario.model import CallbackSpec

DISCARDS = ("none", "count", "digest")
"""What a repeated call may do with value 1 (PROTOCOL.md section 7)."""
SEQUENCE_DISCARDS = ("none", "digest")
"""What a sequence may do with each call's value 1 (PROTOCOL.md section 7.2)."""
REPEAT_CAPABILITY = "repeat"
"""The hello capability of a driver that loops over a call itself (section 7)."""
DIGEST_CAPABILITY = "digest"
"""The hello capability of a driver that accepts ``discard: "digest"``."""
LOCAL_CALLBACKS = "local-callbacks"
"""The hello capability of PROTOCOL.md section 7.1: callbacks built and run by the driver."""
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# -- repeated calls (section 7) ----------------------------------------------


@dataclass(frozen=True)
class RepeatRequest:
    """PROTOCOL.md section 7: run one call ``times`` times inside the driver.

    ``stop`` is the 1-based position of the return value that carries the
    error code: the loop ends after the first repetition where it is not nil.
    ``discard`` is ``"none"`` (return the last values), ``"count"`` (the
    first value of every repetition, when a string, is counted and not sent:
    it is nil in the answer, whose other values are the last repetition's) or
    ``"digest"`` (as ``"count"``, and the report also carries the SHA-256 of
    those strings concatenated, hashed off the loop's clock; only for a
    driver that claims the ``digest`` capability).
    """

    times: int
    stop: int | None = None
    discard: str = "count"


@dataclass(frozen=True)
class RepeatReport:
    """The driver's account of a repeated call: repetitions done, seconds inside the driver, and
    the total length of value 1 over the repetitions where it was a string; with ``discard:
    "digest"``, ``sha256`` is the lowercase hex SHA-256 of those same strings, concatenated."""

    done: int
    elapsed: float
    bytes: int | None = None
    sha256: str | None = None
    cpu: float | None = None
    """CPU seconds the candidate spent over the same span (hashing excluded); None: not reported."""


def parse_repeat_report(message: dict[str, Any], digest: bool = False) -> RepeatReport:
    """The ``repeat`` summary of a repeated call's return; ``digest``: whether the call asked for one.

    A ``sha256`` must be there exactly when it was asked for: a digest the
    harness did not ask for is as wrong as a missing one, since either way the
    driver did not do what the request said.
    """
    report = message.get("repeat")
    if not isinstance(report, dict):
        raise ProtocolError("a repeated call's return must carry a \"repeat\" object")
    done, elapsed, size = report.get("done"), report.get("elapsed"), report.get("bytes")
    if not isinstance(done, int) or isinstance(done, bool) or done < 0:
        raise ProtocolError(f"repeat.done must be a non-negative integer, not {done!r}")
    if not isinstance(elapsed, (int, float)) or isinstance(elapsed, bool) or elapsed < 0:
        raise ProtocolError(f"repeat.elapsed must be seconds (a number), not {elapsed!r}")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ProtocolError(f"repeat.bytes must be a non-negative integer, not {size!r}")
    return RepeatReport(done, float(elapsed), size, _parse_sha256(report, digest),
                        _parse_cpu(report, "repeat"))


def _parse_cpu(report: dict[str, Any], where: str) -> float | None:
    """The optional ``cpu`` of a loop's account: seconds (a non-negative number) or absent."""
    cpu = report.get("cpu")
    if cpu is None:
        return None
    if not isinstance(cpu, (int, float)) or isinstance(cpu, bool) or not cpu >= 0:
        raise ProtocolError(f"{where}.cpu must be seconds (a non-negative number), not {cpu!r}")
    return float(cpu)


def _parse_sha256(report: dict[str, Any], digest: bool) -> str | None:
    value = report.get("sha256")
    if value is None:  # absent (or null, which says the same)
        if digest:
            raise ProtocolError("repeat.sha256 is missing: the call asked for discard \"digest\"")
        return None
    if not digest:
        raise ProtocolError(f"repeat.sha256 was not asked for (the call did not ask for discard \"digest\"): "
                            f"{excerpt(json.dumps(value))}")
    if not isinstance(value, str) or SHA256_HEX.fullmatch(value) is None:
        shown = excerpt(json.dumps(value))
        raise ProtocolError(f"repeat.sha256 must be 64 lowercase hex digits, not {shown}")
    return value


# -- local callbacks (section 7.1) -------------------------------------------


def local_callback_value(spec: CallbackSpec) -> dict[str, Any]:
    """The ``local-callback`` object that tells a driver to build this callback itself.

    Only callbacks ``harness.callbacks.runs_locally`` accepts have one: a
    receive callback that keeps a digest, or a send callback that generates
    its data, neither aborting. The send form carries what
    ``harness.callbacks.generated_chunks`` needs to produce the same chunks.
    """
    if spec.kind == "receive":
        return {"name": spec.name, "kind": "receive"}
    generate = spec.generate
    if generate is None:
        raise ValueError(f"callback {spec.name!r} serves fixed chunks; only generated data can be local")
    total = spec.total if spec.total is not None else generate.size
    return {"name": spec.name, "kind": "send", "pattern": generate.pattern.decode("latin-1"),
            "size": generate.size, "chunk": generate.chunk, "total": total}


@dataclass(frozen=True)
class LocalCallbackReport:
    """A driver's account of a callback it ran itself: calls, bytes, and for a receive callback the
    SHA-256 of the string chunks; ``first``/``last`` are the first and last call's arguments (None
    when it was never called). ``bytes`` is what a receive callback received, or a send callback
    served."""

    calls: int
    bytes: int
    sha256: str | None = None
    first: tuple[LuaValue, ...] | None = None
    last: tuple[LuaValue, ...] | None = None


def parse_callback_reports(message: dict[str, Any],
                           kinds: Mapping[str, str]) -> dict[str, LocalCallbackReport]:
    """The ``callbacks`` field of an answer; ``kinds`` names the call's local callbacks and their kinds.

    A local callback the report leaves out was never called. Anything else
    (a name that was not local to this call, a malformed field) is a
    protocol error naming the field.
    """
    raw = message.get("callbacks")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProtocolError(f"callbacks must be an object of reports by name, not {excerpt(json.dumps(raw))}")
    reports = {}
    for name, entry in raw.items():
        if name not in kinds:
            local = ", ".join(sorted(kinds)) or "none"
            raise ProtocolError(f"callbacks.{name}: {name!r} was not a local callback of this call "
                                f"(local: {local})")
        reports[name] = _callback_report(f"callbacks.{name}", entry, kinds[name])
    return reports


def _callback_report(field: str, entry: Any, kind: str) -> LocalCallbackReport:
    if not isinstance(entry, dict):
        raise ProtocolError(f"{field} must be an object, not {excerpt(json.dumps(entry))}")
    calls, size = entry.get("calls"), entry.get("bytes")
    for key, number in (("calls", calls), ("bytes", size)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ProtocolError(f"{field}.{key} must be a non-negative integer, not {number!r}")
    digest = entry.get("sha256")
    if kind == "receive" and (not isinstance(digest, str) or SHA256_HEX.fullmatch(digest) is None):
        shown = excerpt(json.dumps(digest))
        raise ProtocolError(f"{field}.sha256 must be 64 lowercase hex digits, not {shown}")
    ends = []
    for key in ("first", "last"):
        values = entry.get(key)
        if calls and not isinstance(values, list):
            raise ProtocolError(f"{field}.{key} must be the list of that call's arguments, not "
                                f"{excerpt(json.dumps(values))}")
        if not calls and values is not None:
            raise ProtocolError(f"{field}.{key} must be absent or null for a callback never called")
        ends.append(decode_values(values) if calls else None)
    return LocalCallbackReport(calls, size, digest if kind == "receive" else None, ends[0], ends[1])


# -- sequences (section 7.2) -------------------------------------------------


@dataclass(frozen=True)
class SequenceRequest:
    """PROTOCOL.md section 7.2: perform a list of calls in order, ``rounds`` times, inside the driver.

    ``discard`` is ``"none"`` (each call's byte count only) or ``"digest"``
    (also the SHA-256 of each call's value 1 over every round, hashed off the
    driver's clock). Values are never discarded: the answer carries the last
    round's values of every call in full.
    """

    rounds: int
    discard: str = "none"


@dataclass(frozen=True)
class SequenceResult:
    """One call of a sequence: its last round's values, and value 1 over all rounds (when a string)."""

    values: tuple[LuaValue, ...]
    bytes: int
    sha256: str | None = None


@dataclass(frozen=True)
class SequenceReport:
    """The driver's account of a sequence: rounds done, seconds inside it, one result per call."""

    rounds: int
    elapsed: float
    results: tuple[SequenceResult, ...]
    cpu: float | None = None
    """CPU seconds the candidate spent over the loop (hashing excluded); None: not reported."""


def sequence_deadline(calls: Sequence[Call]) -> float:
    """Seconds the harness waits for a whole sequence: the sum of its calls' own deadlines, once.

    Not once per round: like a repeated call's deadline (section 7), the
    deadlines of a workload's steps bound the whole loop, so a hung call
    is noticed in about the time one round of them would allow.
    """
    return sum(call.deadline for call in calls)


def sequence_message(request_id: int, calls: Sequence[Call], request: SequenceRequest) -> dict[str, Any]:
    """A ``sequence`` request; every call's arguments go out exactly as a ``call`` would send them."""
    return {"type": "sequence", "id": request_id,
            "calls": [call_body(call.function, call.args, call.style, call.target) for call in calls],
            "rounds": request.rounds, "discard": request.discard}


def parse_sequence_report(message: dict[str, Any], calls: int, digest: bool) -> SequenceReport:
    """A sequence's return, read: anything malformed is a protocol error that names the field.

    ``calls`` is how many calls were sent (one result each); with ``digest``
    every result must carry its ``sha256``.
    """
    report = message.get("sequence")
    if not isinstance(report, dict):
        raise ProtocolError("a sequence's return must carry a \"sequence\" object")
    rounds, elapsed, results = report.get("rounds"), report.get("elapsed"), report.get("results")
    if not _count(rounds):
        raise ProtocolError(f"sequence.rounds must be a non-negative integer, not {rounds!r}")
    if not isinstance(elapsed, (int, float)) or isinstance(elapsed, bool) or not elapsed >= 0:
        raise ProtocolError(f"sequence.elapsed must be seconds (a number), not {elapsed!r}")
    if not isinstance(results, list) or len(results) != calls:
        shown = excerpt(json.dumps(results))
        raise ProtocolError(f"sequence.results must be a list of {calls} results (one per call), not {shown}")
    return SequenceReport(rounds, float(elapsed),
                          tuple(_sequence_result(item, index, digest) for index, item in enumerate(results)),
                          _parse_cpu(report, "sequence"))


def _sequence_result(item: Any, index: int, digest: bool) -> SequenceResult:
    where = f"sequence.results[{index}]"
    if not isinstance(item, dict):
        raise ProtocolError(f"{where} must be an object, not {excerpt(json.dumps(item))}")
    if "values" not in item:
        raise ProtocolError(f"{where}.values is missing")
    try:
        values = decode_values(item["values"])
    except ProtocolError as error:
        raise ProtocolError(f"{where}.values: {error}") from None
    size, sha256 = item.get("bytes"), item.get("sha256")
    if not _count(size):
        raise ProtocolError(f"{where}.bytes must be a non-negative integer, not {size!r}")
    if sha256 is None and digest:
        raise ProtocolError(f"{where}.sha256 is missing (the sequence asked for discard \"digest\")")
    if sha256 is not None and not (isinstance(sha256, str) and SHA256_HEX.fullmatch(sha256)):
        shown = excerpt(json.dumps(sha256))
        raise ProtocolError(f"{where}.sha256 must be 64 lowercase hex digits, not {shown}")
    return SequenceResult(values, size, sha256)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
