"""What every check of ``lsconform check-driver`` shares: its result, the driver under test, and
the few helpers through which checks call the driver and word what they saw.

Kept apart from the checks themselves so that the base checks and the
checks of the optional capabilities read the same way and fail with the
same sentences.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from harness.adapters.base import Call, Outcome, Raised, Returned, TimedOut, Unimplemented
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_process import DriverGone, DriverProcess, DriverSilent, describe_status
from harness.adapters.driver_wire import (
    Hello,
    NotAMessage,
    ProtocolError,
    decode_message,
    parse_hello,
)
from harness.drivercheck.peers import LOOPBACK
from harness.values import Handle, LuaValue, lua_repr_all

ALL_BYTES = bytes(range(256)) + bytes(reversed(range(256)))
CALL_DEADLINE = 5.0
NO_SUCH_FUNCTION = "lsconform_no_such_function"
SLOW_START_HINT = " (a driver slow to start may be given longer: check-driver --hello-timeout SECONDS)"


class CheckFailed(Exception):
    """A check saw something PROTOCOL.md does not allow; the message says what."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "PASS", "FAIL" or "SKIP"
    detail: str = ""

    def line(self) -> str:
        return f"{self.status:4}  {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Target:
    """The driver under test."""

    command: tuple[str, ...]
    env: Mapping[str, str] | None = None
    hello_timeout: float = 10.0
    patience: float = 5.0
    """Seconds to wait for something a correct driver does at once (an exit, a close, an answer)."""

    def adapter(self) -> DriverAdapter:
        adapter = DriverAdapter(self.command, env=self.env, name_hint="driver under test",
                                hello_timeout=self.hello_timeout, slow_start_hint=SLOW_START_HINT)
        if adapter.failure is not None:
            adapter.close()
            raise CheckFailed(describe(adapter.failure))
        return adapter


def unexpected(what: str, outcome: Outcome, wanted: str) -> CheckFailed:
    """``WHAT: expected WANTED, but it OUTCOME``: the stderr tail a crash or timeout brings ends the sentence.

    Written the other way round ("WHAT OUTCOME, expected WANTED"), a tail split the sentence in two.
    """
    return CheckFailed(f"{what}: expected {wanted}, but it {describe(outcome)}")


def describe(outcome: Outcome) -> str:
    if isinstance(outcome, Returned):
        return f"returned {lua_repr_all(outcome.values)}"
    if isinstance(outcome, Raised):
        return f"raised {outcome.message!r}"
    if isinstance(outcome, Unimplemented):
        return f"answered unimplemented ({outcome.function})"
    tail = f"; stderr:\n{outcome.stderr_tail}" if outcome.stderr_tail else ""
    if isinstance(outcome, TimedOut):
        return f"no answer within {outcome.deadline:g}s{tail}"
    return f"crashed: {outcome.detail}{tail}"


def returned(adapter: DriverAdapter, function: str, *args: LuaValue, target: Handle | None = None) -> tuple[
        LuaValue, ...]:
    """Call (method style when ``target`` is given) and insist on a normal return."""
    style = "method" if target is not None else "global"
    outcome = adapter.call(Call(function, args, style, target, CALL_DEADLINE))
    if not isinstance(outcome, Returned):
        shown = f"{'sock:' if target is not None else ''}{function}"
        raise CheckFailed(f"{shown}(...) {describe(outcome)}")
    return outcome.values


def socket_of(values: tuple[LuaValue, ...], kind: str, what: str) -> Handle:
    first = values[0] if values else None
    if not isinstance(first, Handle):
        raise CheckFailed(f"{what} returned {lua_repr_all(values)}, expected a socket handle")
    if first.kind != kind:
        raise CheckFailed(f"{what} returned a handle of kind {first.kind!r}, expected {kind!r}")
    return first


def first_difference(got: bytes, want: bytes) -> str:
    for index, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"byte {index} is 0x{a:02x}, expected 0x{b:02x}"
    return f"{len(got)} bytes, expected {len(want)}"


def raw_hello(target: Target) -> tuple[DriverProcess, Hello]:
    """A bare driver process and its hello, for checks of the conversation itself (no adapter)."""
    process = DriverProcess(target.command, env=target.env)
    try:
        line = process.read_line(time.monotonic() + target.hello_timeout)
        return process, parse_hello(decode_message(line))
    except DriverSilent as silent:
        process.finish(0.0)
        hint = "" if silent.pending else SLOW_START_HINT
        raise CheckFailed(f"no hello within {target.hello_timeout:g}s{silent.note()}{hint}"
                          f"{stderr_note(process)}") from None
    except (DriverGone, ProtocolError) as error:
        then = process.following_note() if isinstance(error, NotAMessage) else ""
        status = process.finish(1.0)
        how = describe_status(status, process.killed)
        raise CheckFailed(f"{error}{then}; the driver {how}{stderr_note(process)}") from None


def stderr_note(process: DriverProcess) -> str:
    """The end of a failed check's sentence: what the driver wrote to stderr, if anything."""
    tail = process.stderr_tail()
    return f"; stderr:\n{tail}" if tail else ""


def connect_to(adapter: DriverAdapter, port: int) -> Handle:
    return socket_of(returned(adapter, "connect", LOOPBACK.encode(), port), "tcp-client", "connect")
