"""The scenario's streaming callbacks, as the candidate sees and calls them.

A scenario declares callbacks under ``callbacks:`` and passes them to calls
as ``!callback NAME`` (a ``LuaFunction``). The adapter turns that into
something the candidate can call (a Python callable in process, a round trip
for a driver) and routes every call to ``CallbackSet.handle``, set on the
adapter by the runner. Each call is answered as the manual's contract says
and recorded for ``check-callback:`` steps:

* a **receive** callback ``receive_cb(chunk, err)`` returns 1 (go on), or
  nil plus its ``message`` at call number ``abort-at``; it keeps every
  call's arguments (``record: data``) or, for streams too big to keep
  (``record: digest``), only the count, the first and last call, and the
  length and SHA-256 of the chunks, updated as they arrive;
* a **send** callback ``send_cb()`` returns the next chunk and the total,
  from ``chunks`` or from ``generate`` (produced lazily, so a gigabyte body
  costs no memory), then ``""`` and the total once the data is used up, or
  nil plus its ``message`` at call number ``abort-at``.

A driver may instead run a callback itself (PROTOCOL.md section 7.1,
``local-callbacks``) when a local one behaves exactly like the scenario's
(``runs_locally``): the bench offers that for its timed call, so a stream
does not cross the protocol chunk by chunk. The driver's account of those
calls (count, bytes, SHA-256, first and last call) is merged into the same
record by ``CallbackSet.absorb``, so ``check-callback:`` steps judge it
unchanged.

Calls may come from the adapter's worker thread; records are guarded by a
lock. The first ``SHOWN_CALLS`` calls of each callback go into the
transcript (values cut short); after that only a summary at the end, so a
stream of a hundred thousand chunks does not become a hundred thousand
transcript lines.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from harness.scenario.model import CallbackSpec, GeneratedData
from harness.transcript import Transcript
from harness.values import LuaFunction, LuaTable, LuaValue, lua_repr, lua_repr_all, trim

if TYPE_CHECKING:
    from harness.adapters.driver_loops import LocalCallbackReport

SHOWN_CALLS = 20
VALUE_LIMIT = 80
GO_ON: tuple[LuaValue, ...] = (1,)


class UnknownCallback(LookupError):
    """The candidate called a callback name the scenario does not declare."""


class CallbackRecord:
    """What one callback was called with; bounded when ``keep_calls`` is false."""

    def __init__(self, keep_calls: bool) -> None:
        self.count = 0
        self.empty: int | None = 0
        """Calls whose chunk was "": the manual's end of a transfer, so a receive callback gets one, last.
        None once a local run is absorbed: the candidate reports no such count."""
        self.first: tuple[LuaValue, ...] | None = None
        self.last: tuple[LuaValue, ...] | None = None
        self.calls: list[tuple[LuaValue, ...]] | None = [] if keep_calls else None
        self.length = 0
        self._chunks: list[bytes] | None = [] if keep_calls else None
        self._digest = hashlib.sha256()
        self._reported_sha256: str | None = None  # the candidate's digest, once a local run reported one

    def add(self, args: tuple[LuaValue, ...]) -> int:
        """Record one call; returns its number (1 for the first)."""
        args = trim(args)
        if self._reported_sha256 is not None and args and isinstance(args[0], bytes) and args[0]:
            raise ValueError("a chunk after a local run's digest: the two SHA-256 cannot be combined")
        self.count += 1
        if self.first is None:
            self.first = args
        self.last = args
        if self.calls is not None:
            self.calls.append(args)
        chunk = args[0] if args else None
        if chunk == b"" and self.empty is not None:
            self.empty += 1
        if isinstance(chunk, bytes):
            self.length += len(chunk)
            self._digest.update(chunk)
            if self._chunks is not None:
                self._chunks.append(chunk)
        return self.count

    def absorb(self, count: int, length: int, sha256: str | None, first: tuple[LuaValue, ...] | None,
               last: tuple[LuaValue, ...] | None) -> None:
        """Merge the account of calls the candidate ran itself (PROTOCOL.md section 7.1).

        A digest cannot be extended from outside, so a reported SHA-256 is
        taken only while this record has hashed no chunk (and no chunk may
        follow it); the list of every call is not reported, so a record that
        kept one keeps only the first and last call from then on. The bench
        gives a callback to the candidate only for the call that is its only
        use, and not when a check asks for its list of calls.
        """
        if self.calls is not None and self.count:
            raise ValueError("calls kept here and calls run in the candidate cannot make one list of calls")
        if length and self.length:
            raise ValueError("chunks hashed here and in the candidate: the two SHA-256 cannot be combined")
        if count == 0:
            return
        self.calls = self._chunks = None  # the candidate reports only the first and last call
        self.empty = None
        self.count += count
        if self.first is None:
            self.first = trim(first or ())
        self.last = trim(last or ())
        if sha256 is not None and self.length == 0:
            self._reported_sha256 = sha256
        self.length += length

    @property
    def sha256(self) -> str:
        return self._reported_sha256 if self._reported_sha256 is not None else self._digest.hexdigest()

    def data(self) -> bytes | None:
        """The string chunks concatenated (None when only the digest was kept)."""
        return None if self._chunks is None else b"".join(self._chunks)


class ScenarioCallback:
    """One declared callback: answers calls and records them."""

    def __init__(self, spec: CallbackSpec, transcript: Transcript) -> None:
        self.spec = spec
        self.name = spec.name
        self.record = CallbackRecord(keep_calls=spec.record == "data")
        self._transcript = transcript
        self._lock = threading.Lock()

    def __call__(self, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        with self._lock:
            number = self.record.add(args)
            result = self._answer(number)
        if number <= SHOWN_CALLS:
            shown = ", ".join(lua_repr(arg, VALUE_LIMIT) for arg in trim(args))
            answer = lua_repr_all(result, VALUE_LIMIT)
            self._transcript.record("callback", f"{self.name}({shown}) -> {answer}")
        elif number == SHOWN_CALLS + 1:
            self._transcript.record("callback", f"{self.name}: further calls not shown (summary at the end)")
        return result

    def _answer(self, number: int) -> tuple[LuaValue, ...]:
        raise NotImplementedError

    def _abort(self) -> tuple[LuaValue, ...]:
        return (None,) if self.spec.message is None else (None, self.spec.message)

    def absorb(self, report: LocalCallbackReport) -> str:
        """Merge a local run's account into the record; returns a transcript line about it."""
        with self._lock:
            self.record.absorb(report.calls, report.bytes, report.sha256, report.first, report.last)
        return (f"{self.name} ran inside the candidate (local callback): {report.calls} calls, "
                f"{report.bytes} bytes of chunks, sha256 {(report.sha256 or '')[:16]}...")

    def summary(self) -> str:
        return f"{self.name}: {self.record.count} calls, {self.record.length} bytes of chunks"


class ReceiveCallback(ScenarioCallback):
    """``receive_cb(chunk, err)``: 1 to go on, nil (+ message) at ``abort-at``."""

    def _answer(self, number: int) -> tuple[LuaValue, ...]:
        return self._abort() if number == self.spec.abort_at else GO_ON


class SendCallback(ScenarioCallback):
    """``send_cb() -> chunk, total``: the chunks in order, then "" (``after: repeat``: all of them again)."""

    def __init__(self, spec: CallbackSpec, transcript: Transcript) -> None:
        super().__init__(spec, transcript)
        self.total = spec.total if spec.total is not None else _data_size(spec)
        self.served = 0
        self._pieces: Iterator[bytes] = iter(spec.chunks) if spec.generate is None else \
            generated_chunks(spec.generate)

    def _answer(self, number: int) -> tuple[LuaValue, ...]:
        if number == self.spec.abort_at:
            return self._abort()
        chunk = next(self._pieces, None)
        if chunk is None:  # used up: "" from now on, or everything again (the manual's second example)
            chunk = b"".join(self.spec.chunks) if self.spec.after == "repeat" else b""
        self.served += len(chunk)
        return (chunk, self.total)

    def absorb(self, report: LocalCallbackReport) -> str:
        """A local run served ``report.bytes``; the chunks here move on as if this callback served them."""
        with self._lock:
            self.record.absorb(report.calls, 0, None, report.first, report.last)
            self.served += report.bytes
            for _ in itertools.islice(self._pieces, report.calls):
                pass
        return (f"{self.name} ran inside the candidate (local callback): {report.calls} calls, "
                f"{report.bytes} bytes served of {self.total} announced")

    def summary(self) -> str:
        return f"{self.name}: {self.record.count} calls, {self.served} bytes served of {self.total} announced"


def _data_size(spec: CallbackSpec) -> int:
    if spec.generate is not None:
        return spec.generate.size
    return sum(len(chunk) for chunk in spec.chunks)


def generated_chunks(generate: GeneratedData) -> Iterator[bytes]:
    """``size`` bytes of ``pattern`` repeated, ``chunk`` bytes at a time (the last one shorter)."""
    repeats = -(-generate.chunk // len(generate.pattern)) + 1
    block = generate.pattern * repeats
    offset = 0
    remaining = generate.size
    while remaining > 0:
        size = min(generate.chunk, remaining)
        start = offset % len(generate.pattern)
        yield block[start:start + size]
        offset += size
        remaining -= size


def runs_locally(spec: CallbackSpec) -> bool:
    """Whether a callback the candidate builds itself (PROTOCOL.md section 7.1) behaves exactly like this one.

    A receive callback that answers 1 and keeps only a digest, or a send
    callback serving generated data: neither ever aborts. Callbacks that keep
    every call's data, serve fixed chunks or abort stay with the harness. (A
    send callback's calls carry no data; a check that lists them all is the
    caller's to rule out: the candidate reports the first and last only.)
    """
    if spec.abort_at is not None:
        return False
    if spec.kind == "receive":
        return spec.record == "digest"
    return spec.kind == "send" and spec.generate is not None


def callback_names(values: Iterable[LuaValue]) -> set[str]:
    """The names of the callbacks (``LuaFunction``) among some values, tables searched too."""
    names: set[str] = set()
    for value in values:
        if isinstance(value, LuaFunction):
            names.add(value.name)
        elif isinstance(value, LuaTable):
            names |= callback_names(value.values())
    return names


_KINDS: dict[str, type[ScenarioCallback]] = {"receive": ReceiveCallback, "send": SendCallback}


class CallbackSet:
    """Every callback of one scenario run; ``handle`` is the adapter's ``CallbackHandler``."""

    def __init__(self, specs: Iterable[CallbackSpec], transcript: Transcript) -> None:
        self._transcript = transcript
        self.callbacks: dict[str, ScenarioCallback] = {
            spec.name: _KINDS[spec.kind](spec, transcript) for spec in specs}

    def handle(self, name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        callback = self.callbacks.get(name)
        if callback is None:
            raise UnknownCallback(f"the candidate called callback {name!r}, which the scenario does not "
                                  f"declare (declared: {', '.join(self.callbacks) or 'none'})")
        return callback(args)

    def absorb(self, name: str, report: LocalCallbackReport) -> None:
        """Merge the account of a callback the candidate ran itself (an adapter's ``LocalCallbackSink``)."""
        callback = self.callbacks.get(name)
        if callback is None:
            raise UnknownCallback(f"a local callback {name!r} was reported, which the scenario does not "
                                  "declare")
        self._transcript.record("callback", callback.absorb(report))

    def __getitem__(self, name: str) -> ScenarioCallback:
        return self.callbacks[name]

    def called_summaries(self) -> list[str]:
        """``source: 3 calls, 10 bytes served of 22 announced`` for each callback called so far."""
        return [callback.summary() for callback in self.callbacks.values() if callback.record.count]

    def summarize(self) -> None:
        """One transcript line per callback whose calls were not all shown."""
        for callback in self.callbacks.values():
            if callback.record.count > SHOWN_CALLS:
                self._transcript.record("callback", callback.summary())
