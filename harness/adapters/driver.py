"""The candidate contract for any runtime, through a driver process (``drivers/PROTOCOL.md``).

``DriverAdapter(command)`` starts the driver, reads its hello and then turns
each ``Call`` into one request line and its answer back into an ``Outcome``.
Whatever the driver does wrong is mapped in one place, ``_failed``:

=============================================  ==============================
the driver...                                  outcome
=============================================  ==============================
misses a call's deadline                       ``TimedOut`` (process killed)
exits, closes stdout, or stops reading stdin   ``Crashed`` with its exit status
writes a line that is not a protocol message   ``Crashed`` quoting the line
answers with the wrong id or type              ``Crashed``
says no hello (or a bad one) at start          ``Crashed`` on the first call
=============================================  ==============================

Every ``Crashed``/``TimedOut`` carries the tail of the driver's stderr, and
after the first one the adapter answers every later call with the same
outcome at once: the scenario is lost, the run is not.

Usage, e.g. for a new driver candidate::

    with DriverAdapter(["lua5.4", "drivers/lua/driver.lua"], name_hint="my-lua") as adapter:
        adapter.call(Call("connect", (b"127.0.0.1", 8080)))

``env`` entries are added to this process's environment for the driver.

``set_local_callbacks(specs, sink)`` (PROTOCOL.md section 7.1) sends those
callbacks as ``local-callback`` objects, when the hello claims
``local-callbacks``: the driver builds and runs them itself, and the
account in each answer's ``callbacks`` field goes to ``sink``.
"""

from __future__ import annotations

import math
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.adapters.base import (
    Adapter,
    Call,
    CallbackHandler,
    CandidateInfo,
    Crashed,
    LocalCallbackSink,
    Outcome,
    Raised,
    Returned,
    TimedOut,
    Unimplemented,
)
from harness.adapters.driver_loops import (
    DIGEST_CAPABILITY,
    LOCAL_CALLBACKS,
    LocalCallbackReport,
    RepeatReport,
    RepeatRequest,
    SequenceReport,
    SequenceRequest,
    local_callback_value,
    parse_callback_reports,
    parse_repeat_report,
    parse_sequence_report,
    sequence_deadline,
    sequence_message,
)
from harness.adapters.driver_process import (
    DriverGone,
    DriverProcess,
    DriverSilent,
    LineTooLong,
    describe_status,
)
from harness.adapters.driver_wire import (
    ANSWER_TYPES,
    PROTOCOL_VERSION,
    Hello,
    NotAMessage,
    ProtocolError,
    call_message,
    decode_message,
    decode_string,
    decode_values,
    encode_message,
    encode_value,
    excerpt,
    parse_hello,
    require_id,
)
from harness.callbacks import callback_names
from harness.values import Handle, LuaTable, LuaValue

if TYPE_CHECKING:
    from harness.scenario.model import CallbackSpec

HELLO_TIMEOUT = 10.0
HELLO_TIMEOUT_ENV = "LSCONFORM_HELLO_TIMEOUT"
"""Seconds to wait for a driver's hello in ``run`` and ``bench``, for a runtime slow to start (a JVM)."""
BYE_TIMEOUT = 2.0
RELEASE_TIMEOUT = 5.0
EXIT_GRACE = 1.0
"""Seconds a driver whose output ended gets to exit, so its status can be reported."""

DIGEST_REFUSED = 'discard "digest" not supported'
"""The error a driver without the ``digest`` capability answers (PROTOCOL.md section 7)."""

_FAILURES = (DriverGone, DriverSilent, LineTooLong, ProtocolError)
SEQUENCE_REFUSED = "sequence not supported"
"""What a sequence asked of a driver that does not claim ``sequence`` comes back as (never sent)."""


def configured_hello_timeout() -> float:
    """The hello wait ``run`` and ``bench`` give their drivers: ``$LSCONFORM_HELLO_TIMEOUT`` or 10 s.

    Raises ValueError, naming the variable, for anything but a number of seconds above 0.
    """
    raw = os.environ.get(HELLO_TIMEOUT_ENV, "").strip()
    if not raw:
        return HELLO_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 86400:
        raise ValueError(f"{HELLO_TIMEOUT_ENV}={raw!r} is not a number of seconds above 0 (at most 86400)")
    return seconds


class DriverAdapter(Adapter):
    """One driver process serving one candidate; ``close`` always ends the process."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str] | None = None,
                 name_hint: str | None = None, *, cwd: str | None = None,
                 hello_timeout: float = HELLO_TIMEOUT, bye_timeout: float = BYE_TIMEOUT,
                 release_timeout: float = RELEASE_TIMEOUT, slow_start_hint: str = "") -> None:
        self.command = list(command)
        self._slow_start_hint = slow_start_hint  # how to wait longer, where whoever started it knows
        self.info = CandidateInfo(name_hint or (self.command[0] if self.command else "driver"), "unknown")
        self.hello: Hello | None = None
        self.failure: Crashed | TimedOut | None = None
        self._callback_handler: CallbackHandler | None = None
        self._local: dict[str, CallbackSpec] = {}
        self._local_sink: LocalCallbackSink | None = None
        self._bye_timeout = bye_timeout
        self._release_timeout = release_timeout
        self._last_id = 0
        self._held: dict[int, Handle] = {}
        self._closed = False
        self._process: DriverProcess | None = None
        if not self.command:
            self.failure = Crashed("cannot start a driver: the command line is empty")
            return
        try:
            self._process = DriverProcess(self.command, env=env, cwd=cwd)
        except (OSError, ValueError) as error:
            self.failure = Crashed(f"cannot start the driver {shlex.join(self.command)}: {error}")
            return
        try:
            self._read_hello(hello_timeout)
        except BaseException:
            # Ctrl-C (or anything) during the wait: no one will ever hold this adapter to close it,
            # and the driver runs in a session of its own, out of reach of the terminal's signal.
            self._process.finish(0.0)
            raise

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def held_handles(self) -> list[Handle]:
        """Handles the driver has handed out and not yet been asked to release."""
        return list(self._held.values())

    def stderr_tail(self) -> str:
        return self._process.stderr_tail() if self._process else ""

    # -- the contract --------------------------------------------------------

    def call(self, call: Call) -> Outcome:
        outcome, _ = self._call(call, None)
        return outcome

    def call_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]:
        """PROTOCOL.md section 7: the driver loops; ``call.deadline`` covers the whole loop.

        ``discard: "digest"`` goes only to a driver whose hello claims it: any
        other is answered here, as such a driver would answer, without a
        request (an older driver may not know the word at all).
        """
        if repeat.discard == "digest" and self.failure is None and not self.claims(DIGEST_CAPABILITY):
            return Raised(DIGEST_REFUSED), None
        return self._call(call, repeat)

    def call_sequence(self, calls: Sequence[Call],
                      request: SequenceRequest) -> tuple[Outcome, SequenceReport | None]:
        """PROTOCOL.md section 7.2: the driver runs ``calls`` in order, ``request.rounds`` times.

        Refused here, before anything is sent, when the hello did not claim
        ``sequence``: such a driver would take the message for a protocol
        violation. The deadline covers the whole loop (``sequence_deadline``).
        On success the outcome is the last call's values of the last round;
        the report has every call's.
        """
        if self.failure is not None or self._process is None:
            return self.failure or Crashed("the driver is not running"), None
        if "sequence" not in self.info.capabilities:
            return Raised(SEQUENCE_REFUSED), None
        if not calls:
            raise ValueError("a sequence needs at least one call")
        request_id = self._new_id()
        budget = sequence_deadline(calls)
        deadline = time.monotonic() + budget
        no_handler: list[str] = []
        try:
            self._process.send(encode_message(sequence_message(request_id, calls, request)), deadline)
            answer = self._await_answer(request_id, deadline, no_handler)
            report = None
            if answer["type"] == "return":
                report = parse_sequence_report(answer, len(calls), request.discard == "digest")
                for result in report.results:
                    for handle in _handles_in(result.values):
                        self._held[handle.id] = handle
                outcome: Outcome = Returned(report.results[-1].values)
            else:
                outcome = self._outcome(answer, calls)
        except _FAILURES as error:
            return self._failed(error, f"a sequence of {len(calls)} calls", budget), None
        if no_handler:
            return Crashed(f"callback {no_handler[0]!r} called but the run set no callback handler"), None
        return outcome, report

    def set_local_callbacks(self, specs: Sequence[CallbackSpec], sink: LocalCallbackSink | None) -> bool:
        """PROTOCOL.md section 7.1: the driver runs these callbacks itself, if its hello claims it can."""
        if not specs or sink is None or not self.claims(LOCAL_CALLBACKS):
            self._local, self._local_sink = {}, None
            return False
        self._local = {spec.name: spec for spec in specs}
        self._local_sink = sink
        return True

    def release(self, handles: list[Handle]) -> None:
        """Ask the driver to close these sockets; a driver failing at it is killed, quietly."""
        ids = sorted({handle.id for handle in handles})
        for number in ids:
            self._held.pop(number, None)
        if not ids or self.failure is not None or self._process is None:
            return
        request_id = self._new_id()
        deadline = time.monotonic() + self._release_timeout
        try:
            request = {"type": "release", "id": request_id, "handles": ids}
            self._process.send(encode_message(request), deadline)
            answer = decode_message(self._process.read_line(deadline))
            if answer["type"] != "released":
                raise ProtocolError(f"release was answered with {answer['type']!r}, expected \"released\"")
            require_id(answer, request_id, "release")
        except _FAILURES as error:
            self._failed(error, "release", self._release_timeout)

    def close(self) -> None:
        """Say bye, give the driver ``bye_timeout`` to exit, then kill its process group."""
        if self._closed:
            return
        self._closed = True
        if self._process is None:
            return
        deadline = time.monotonic() + self._bye_timeout  # one wait in all: for the answer and the exit
        if self.failure is None:
            request_id = self._new_id()
            try:
                self._process.send(encode_message({"type": "bye", "id": request_id}), deadline)
                self._process.read_line(deadline)
            except _FAILURES:
                pass
            self.failure = Crashed("the adapter is closed")
        self._process.close_input()
        self._process.finish(max(0.0, deadline - time.monotonic()))

    # -- internals -----------------------------------------------------------

    def _new_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def _read_hello(self, timeout: float) -> None:
        assert self._process is not None
        try:
            line = self._process.read_line(time.monotonic() + timeout)
            self.hello = parse_hello(decode_message(line))
        except DriverSilent as silent:
            hint = "" if silent.pending else self._slow_start_hint
            self._failed_at_start(f"no hello within {timeout:g}s{silent.note()}{hint}", killed=True)
            return
        except _FAILURES as error:
            following = self._following(error)
            self._failed_at_start(f"no valid hello: {error}{following}" if str(error) else "no hello")
            return
        if self.hello.protocol != PROTOCOL_VERSION:
            self._failed_at_start(f"the driver speaks protocol {self.hello.protocol}; "
                                  f"this harness speaks {PROTOCOL_VERSION}", killed=True)
            return
        self.info = CandidateInfo(self.hello.name, self.hello.version, self.hello.capabilities)

    def _failed_at_start(self, why: str, killed: bool = False) -> None:
        assert self._process is not None
        status = self._process.finish(0.0 if killed else EXIT_GRACE)
        ended = "" if killed else f"; it {describe_status(status, self._process.killed)}"
        self.failure = Crashed(f"the driver did not start: {why}{ended}", self._process.stderr_tail())

    def _call(self, call: Call, repeat: RepeatRequest | None) -> tuple[Outcome, RepeatReport | None]:
        if self.failure is not None or self._process is None:
            return self.failure or Crashed("the driver is not running"), None
        request_id = self._new_id()
        deadline = time.monotonic() + call.deadline
        no_handler: list[str] = []
        local = {name: self._local[name] for name in callback_names(call.args) if name in self._local}
        try:
            objects = {name: local_callback_value(spec) for name, spec in local.items()}
            request = call_message(request_id, call.function, call.args, call.style, call.target, repeat,
                                   objects)
            self._process.send(encode_message(request), deadline)
            answer = self._await_answer(request_id, deadline, no_handler)
            outcome = self._outcome(answer, (call,))
            report = None
            if repeat is not None and answer["type"] == "return":
                report = parse_repeat_report(answer, digest=repeat.discard == "digest")
            ran_locally = self._local_reports(answer, local)
        except _FAILURES as error:
            return self._failed(error, f"call {call.function}", call.deadline), None
        if no_handler:
            return Crashed(f"callback {no_handler[0]!r} called but the run set no callback handler"), None
        if self._local_sink is not None:
            for name, account in ran_locally.items():
                self._local_sink(name, account)
        return outcome, report

    @staticmethod
    def _local_reports(answer: dict[str, Any], local: Mapping[str, CallbackSpec]) -> dict[
            str, LocalCallbackReport]:
        """The ``callbacks`` account of a return or error; a local callback left out was never called."""
        if answer["type"] not in ("return", "error"):
            return {}
        kinds = {name: spec.kind for name, spec in local.items()}
        reports = parse_callback_reports(answer, kinds)
        return {name: reports.get(name, LocalCallbackReport(0, 0)) for name in local}

    def _await_answer(self, request_id: int, deadline: float, no_handler: list[str]) -> dict[str, Any]:
        """Read until the call's answer, serving callback round trips on the way."""
        assert self._process is not None
        invocations = 0
        while True:
            message = decode_message(self._process.read_line(deadline))
            kind = message["type"]
            if kind == "callback":
                require_id(message, request_id, "callback")
                invocations += 1
                if message.get("cb") != invocations:
                    raise ProtocolError(f"callback numbered {message.get('cb')!r}, expected {invocations}")
                started = time.monotonic()
                reply = self._run_callback(message, request_id, invocations, no_handler)
                deadline += time.monotonic() - started  # the harness's own time is not the driver's
                self._process.send(encode_message(reply), deadline)
                continue
            if kind not in ANSWER_TYPES:
                shown = excerpt(encode_message(message))
                raise ProtocolError(f"a call was answered with a {kind!r} message: {shown}")
            require_id(message, request_id, "answer")
            return message

    def _run_callback(self, message: dict[str, Any], request_id: int, number: int,
                      no_handler: list[str]) -> dict[str, Any]:
        name = message.get("function")
        if not isinstance(name, str):
            raise ProtocolError(f"callback without a function name: {excerpt(encode_message(message))}")
        args = decode_values(message.get("args", []))
        base = {"id": request_id, "cb": number}
        handler = self._callback_handler
        if handler is None:
            no_handler.append(name)
            return {"type": "callback-error", **base, "message": "the run set no callback handler"}
        try:
            values: tuple[LuaValue, ...] = tuple(handler(name, args))
        except Exception as error:  # the scenario's callback failed: a Lua error inside the candidate
            return {"type": "callback-error", **base, "message": str(error)}
        return {"type": "callback-return", **base, "values": [encode_value(value) for value in values]}

    def _outcome(self, answer: dict[str, Any], calls: Sequence[Call]) -> Outcome:
        kind = answer["type"]
        if kind == "return":
            values = decode_values(answer.get("values"))
            for handle in _handles_in(values):
                self._held[handle.id] = handle
            return Returned(values)
        if kind == "error":
            message = answer.get("message")
            if not isinstance(message, str):
                shown = excerpt(encode_message(answer))
                raise ProtocolError(f"error answer without a message string: {shown}")
            decode_string(message)
            return Raised(message)
        return _unimplemented(answer.get("function"), calls)

    def _failed(self, error: Exception, during: str, deadline: float) -> Crashed | TimedOut:
        """The one place where a misbehaving driver becomes an outcome; the process is ended.

        A silent one is only frozen here (``DriverProcess.freeze``) and
        killed by ``close``, after the scenario has been judged.
        """
        assert self._process is not None
        if isinstance(error, DriverSilent):
            self._process.freeze()
            self.failure = TimedOut(deadline, self._process.stderr_tail(), error.note().strip())
            return self.failure
        if isinstance(error, DriverGone):
            status = self._process.finish(EXIT_GRACE)
            how = describe_status(status, self._process.killed)
            detail = f"the driver {how} during {during} ({error})"
        else:
            following = self._following(error)
            self._process.finish(0.0)
            detail = f"protocol error during {during}: {error}{following}"
        self.failure = Crashed(detail, self._process.stderr_tail())
        return self.failure

    def _following(self, error: Exception) -> str:
        """After a line that is no message, the lines already written after it, for the message.

        A stack trace printed to stdout starts with a line that says nothing
        ("Traceback (most recent call last):", "lua5.4: stack traceback:");
        the lines after it say where, and the driver is about to be killed.
        """
        if not isinstance(error, NotAMessage) or self._process is None:
            return ""
        return self._process.following_note()


def _unimplemented(named: Any, calls: Sequence[Call]) -> Unimplemented:
    """An ``unimplemented`` answer to ``calls`` (one call, or a sequence's), checked.

    PROTOCOL.md section 4: only a global can be missing; a missing method is an error with Lua's
    message. Taken as UNIMPLEMENTED it would turn what is a FAIL into a run that exits 0.
    """
    globals_called = [call.function for call in calls if call.style == "global"]
    if isinstance(named, str) and named in globals_called:
        return Unimplemented(named)
    if len(calls) == 1 and calls[0].style == "global":
        return Unimplemented(calls[0].function)  # what was asked for, whatever name the answer gives
    if len(calls) == 1:
        method = calls[0].function
        raise ProtocolError(f"'unimplemented' answers a global call only; a missing method {method!r} is an "
                            f"error: \"attempt to call method '{method}' (a nil value)\"")
    raise ProtocolError(f"'unimplemented' names {named!r}, which is none of the sequence's global calls "
                        f"({', '.join(globals_called) or 'it has none'})")


def _handles_in(values: Any) -> list[Handle]:
    """Every handle among ``values``, tables searched too."""
    found: list[Handle] = []
    for value in values:
        if isinstance(value, Handle):
            found.append(value)
        elif isinstance(value, LuaTable):
            found.extend(_handles_in(value.values()))
    return found
