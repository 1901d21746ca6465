"""The candidate contract for a Python implementation of the API, in this process.

The module is called directly (``module.receive(sock, "*l")`` or
``sock.receive("*l")``) on a dedicated worker thread, so that a hung call
becomes ``TimedOut`` instead of hanging the run. Values cross through
``pyvalues``; the module's own ``LuaError`` class (if it exports one) is how
it signals a Lua error, and anything else it raises is a crash.

``call_repeated`` is PROTOCOL.md section 7 in process: the worker thread
loops over the call itself and times the loop, so that a throughput figure
of a Python candidate is taken exactly as a driver takes its own. With
``discard: "digest"`` the strings of value 1 go to an ``OffClockDigest``
and the time it spent hashing is taken off the loop's time, as the drivers
do: the adapter does this for any module, so it ``claims`` the capability.
``call_sequence`` is section 7.2 in the same way: the worker runs the
calls of every round itself, with its clock around the whole loop and the
digests hashed off it.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from harness.adapters.base import (
    Adapter,
    Call,
    CandidateInfo,
    Crashed,
    Outcome,
    Raised,
    Returned,
    TimedOut,
    Unimplemented,
)
from harness.adapters.driver_loops import (
    DIGEST_CAPABILITY,
    DISCARDS,
    SEQUENCE_DISCARDS,
    RepeatReport,
    RepeatRequest,
    SequenceReport,
    SequenceRequest,
    SequenceResult,
    sequence_deadline,
)
from harness.adapters.offclock import LoopClock, OffClockDigest
from harness.adapters.pyvalues import HandleTable, Unconvertible, results_from_python, to_python
from harness.adapters.worker import CallWorker, WorkerBusy
from harness.values import Handle, LuaValue

JOIN_TIMEOUT = 2.0
"""Seconds ``close`` waits for the worker thread once the sockets are closed."""
_STRINGS = (bytes, bytearray, memoryview, str)
"""What counts as a Lua string among a Python candidate's results (value 1 of a repeated call)."""
LOOP_CAPABILITIES = frozenset({"repeat", "sequence", DIGEST_CAPABILITY})
"""What this adapter does itself for any module, whatever the module declares."""


class CallbackUnavailable(RuntimeError):
    """A candidate called a scenario callback while no handler was set."""


class InProcessAdapter(Adapter):
    """Calls a Python module that implements the LuaSocket API."""

    def __init__(
        self, module: ModuleType, name: str, version: str, join_timeout: float = JOIN_TIMEOUT
    ) -> None:
        self.info = CandidateInfo(name, version, frozenset(getattr(module, "CAPABILITIES", ())))
        self._module = module
        self._handles = HandleTable()
        self._worker = CallWorker(name=f"lsconform-call-{name}")
        self._join_timeout = join_timeout
        self._callback_handler = None
        self._closed = False
        error_class = getattr(module, "LuaError", None)
        self._lua_error: type[BaseException] | None = (
            error_class if isinstance(error_class, type) and issubclass(error_class, BaseException) else None
        )

    def claims(self, capability: str) -> bool:
        return capability in LOOP_CAPABILITIES or super().claims(capability)

    def candidate_threads(self) -> tuple[int, ...]:
        native_id = self._worker.native_id
        return () if native_id is None else (native_id,)

    def call(self, call: Call) -> Outcome:
        if self._closed:
            return Crashed("the adapter is closed")
        try:
            finished, outcome = self._worker.run(lambda: self._perform(call), call.deadline)
        except WorkerBusy as busy:
            return Crashed(str(busy))
        return outcome if finished else TimedOut(call.deadline)

    def call_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]:
        """PROTOCOL.md section 7, as a driver does it; ``call.deadline`` covers the whole loop."""
        if self._closed:
            return Crashed("the adapter is closed"), None
        if repeat.times < 1 or repeat.discard not in DISCARDS or (
                repeat.stop is not None and repeat.stop < 1):
            return Raised("invalid repeat request"), None
        try:
            finished, result = self._worker.run(lambda: self._perform_repeated(call, repeat), call.deadline)
        except WorkerBusy as busy:
            return Crashed(str(busy)), None
        return result if finished else (TimedOut(call.deadline), None)

    def call_sequence(self, calls: Sequence[Call],
                      request: SequenceRequest) -> tuple[Outcome, SequenceReport | None]:
        """PROTOCOL.md section 7.2, as a driver does it; the deadline covers the whole loop."""
        if self._closed:
            return Crashed("the adapter is closed"), None
        if not calls or request.rounds < 1 or request.discard not in SEQUENCE_DISCARDS:
            return Raised("invalid sequence request"), None
        budget = sequence_deadline(calls)
        try:
            finished, result = self._worker.run(lambda: self._perform_sequence(calls, request), budget)
        except WorkerBusy as busy:
            return Crashed(str(busy)), None
        return result if finished else (TimedOut(budget), None)

    def release(self, handles: list[Handle]) -> None:
        for handle in handles:
            try:
                obj = self._handles.object_for(handle)
            except Unconvertible:
                continue
            _close_quietly(obj)

    def close(self) -> None:
        """Close every socket the candidate handed out, then end the worker.

        Closing first is what unblocks a call stuck past its deadline; the
        sockets are closed once more after the join in case that call
        returned a new one on its way out.
        """
        self._closed = True
        for obj in self._handles.objects():
            _close_quietly(obj)
        self._worker.stop(self._join_timeout)
        for obj in self._handles.objects():
            _close_quietly(obj)

    # -- runs on the worker thread -------------------------------------------

    def _perform(self, call: Call) -> Outcome:
        try:
            function = self._lookup(call)
            if not callable(function):
                return function
            args = [to_python(arg, self._handles, self._callback_proxy) for arg in call.args]
        except Unconvertible as error:
            return Crashed(f"cannot make the call: {error}")
        try:
            result = function(*args)
        except Exception as error:
            if self._lua_error is not None and isinstance(error, self._lua_error):
                return Raised(str(error))
            summary = f"{call.function} raised {type(error).__name__}: {error}"
            return Crashed(summary + _candidate_traceback(error))
        try:
            return Returned(results_from_python(result, self._handles))
        except Unconvertible as error:
            return Crashed(f"{call.function} returned a value with no Lua meaning: {error}")

    def _perform_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]:
        """The loop of section 7: values converted once, from the last repetition only."""
        try:
            function = self._lookup(call)
            if not callable(function):
                return function, None
            args = [to_python(arg, self._handles, self._callback_proxy) for arg in call.args]
        except Unconvertible as error:
            return Crashed(f"cannot make the call: {error}"), None
        done = size = 0
        values: tuple[Any, ...] = ()
        stop = repeat.stop
        digest = OffClockDigest() if repeat.discard == "digest" else None
        clock = LoopClock()
        try:
            while done < repeat.times:
                result = function(*args)
                values = result if isinstance(result, tuple) else (result,)
                done += 1
                if values and isinstance(values[0], _STRINGS):
                    first = values[0]
                    size += len(first)
                    if digest is not None:
                        digest.add(first if type(first) is bytes else _as_bytes(first))
                if stop is not None and len(values) >= stop and values[stop - 1] is not None:
                    break
        except Exception as error:
            if self._lua_error is not None and isinstance(error, self._lua_error):
                return Raised(str(error)), None
            summary = f"{call.function} raised {type(error).__name__} in repetition {done + 1}: {error}"
            return Crashed(summary + _candidate_traceback(error)), None
        elapsed, cpu = clock.stop([digest] if digest is not None else [])  # the batches hashed inside it
        sha256 = digest.hexdigest() if digest is not None else None  # the last batch, after the clock stopped
        if repeat.discard != "none" and values and isinstance(values[0], _STRINGS):
            values = (None, *values[1:])
        try:
            outcome = Returned(results_from_python(values, self._handles))
        except Unconvertible as error:
            return Crashed(f"{call.function} returned a value with no Lua meaning: {error}"), None
        return outcome, RepeatReport(done=done, elapsed=elapsed, bytes=size, sha256=sha256, cpu=cpu)

    def _perform_sequence(self, calls: Sequence[Call],
                          request: SequenceRequest) -> tuple[Outcome, SequenceReport | None]:
        """The loop of section 7.2: every function found and every argument converted before the clock
        starts; a missing global ends it before anything runs, a missing method when its turn comes."""
        prepared: list[tuple[Any, list[Any]]] = []
        try:
            for call in calls:
                function = self._lookup(call)
                if isinstance(function, (Unimplemented, Crashed)):
                    return function, None
                args = [] if isinstance(function, Raised) else [
                    to_python(arg, self._handles, self._callback_proxy) for arg in call.args]
                prepared.append((function, args))
        except Unconvertible as error:
            return Crashed(f"cannot make the call: {error}"), None
        count = len(prepared)
        sizes = [0] * count
        digests = [OffClockDigest() for _ in prepared] if request.discard == "digest" else None
        last: list[tuple[Any, ...]] = [()] * count
        number = index = 0
        clock = LoopClock()
        try:
            for number in range(1, request.rounds + 1):
                for index, (function, args) in enumerate(prepared):
                    if isinstance(function, Raised):
                        return Raised(_in_sequence(number, index, calls, function.message)), None
                    result = function(*args)
                    values = result if isinstance(result, tuple) else (result,)
                    last[index] = values
                    if values and isinstance(values[0], _STRINGS):
                        sizes[index] += len(values[0])
                        if digests is not None:
                            digests[index].add(_as_bytes(values[0]))
        except Exception as error:
            if self._lua_error is not None and isinstance(error, self._lua_error):
                return Raised(_in_sequence(number, index, calls, str(error))), None
            where = _in_sequence(number, index, calls, f"{type(error).__name__}: {error}")
            return Crashed(where + _candidate_traceback(error)), None
        elapsed, cpu = clock.stop(digests or [])
        try:
            results = tuple(
                SequenceResult(results_from_python(values, self._handles), sizes[index],
                               digests[index].hexdigest() if digests is not None else None)
                for index, values in enumerate(last))
        except Unconvertible as error:
            return Crashed(f"a call of the sequence returned a value with no Lua meaning: {error}"), None
        return Returned(results[-1].values), SequenceReport(request.rounds, elapsed, results, cpu)

    def _lookup(self, call: Call) -> Any:
        """The callable to invoke, or the Outcome that replaces the call."""
        if call.style == "method":
            if call.target is None:
                return Crashed(f"method call {call.function!r} without a target")
            obj = self._handles.object_for(call.target)
            method = getattr(obj, call.function, None)
            if not callable(method):
                return Raised(f"attempt to call method '{call.function}' (a nil value)")
            return method
        function = getattr(self._module, call.function, None)
        if not callable(function) or isinstance(function, type):
            return Unimplemented(call.function)
        return function

    def _callback_proxy(self, name: str) -> Any:
        """A Python callable the candidate can call; it reaches the scenario's callback."""

        def proxy(*args: Any) -> tuple[Any, ...]:
            handler = self._callback_handler
            if handler is None:
                raise CallbackUnavailable(f"callback {name!r} called but the run set no callback handler")
            lua_args: tuple[LuaValue, ...] = results_from_python(args, self._handles)
            results = handler(name, lua_args)
            return tuple(to_python(value, self._handles, self._callback_proxy) for value in results)

        proxy.__name__ = f"lua_callback_{name}"
        return proxy


def _candidate_traceback(error: BaseException) -> str:
    """The traceback of ``error`` from the candidate's frames on, after a newline; "" if it has none.

    The first frame is this adapter's own line that made the call: it tells
    the candidate's author nothing, and in a report's one-line reason it took
    the room the candidate's file and line needed. An error raised by the
    call itself (a wrong number of arguments) has no frame of the candidate's,
    and its message, already in the summary, is all there is.
    """
    frames = error.__traceback__.tb_next if error.__traceback__ is not None else None
    if frames is None:
        return ""
    return "\n" + "".join(traceback.format_exception(type(error), error, frames))


def _as_bytes(value: bytes | bytearray | memoryview | str) -> bytes:
    """A Lua string as its bytes: ``str`` results are latin-1, as ``pyvalues`` converts them.

    Bytes-like values are copied, since a candidate may reuse its buffer for
    the next repetition before the digest's batch is hashed.
    """
    return value.encode("latin-1") if isinstance(value, str) else bytes(value)


def _in_sequence(number: int, index: int, calls: Sequence[Call], message: str) -> str:
    """The message of a call that failed inside a sequence, as PROTOCOL.md section 7.2 words it."""
    return f"round {number}, call {index + 1} ({calls[index].function}): {message}"


def _close_quietly(obj: Any) -> None:
    """Close a candidate socket; teardown goes on whatever the candidate does."""
    with contextlib.suppress(Exception):
        obj.close()
