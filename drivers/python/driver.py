"""The Python driver: serves any Python implementation of the API over ``drivers/PROTOCOL.md``.

Run it as ``python -m drivers.python.driver MODULE`` or as a path,
``python drivers/python/driver.py [--path DIR]... [--name NAME] MODULE``.
It imports MODULE, says hello, then answers one request per line on stdin
until "bye" or end of input.

It is deliberately standalone (standard library only, no harness import):
a driver is what a stranger copies to serve their own module, and importing
little keeps one process per scenario cheap. The value mapping is the one
the harness's in-process adapter applies (``harness/adapters/pyvalues.py``),
rewritten here between JSON and Python directly; ``tests/drivers`` checks
that both give the same values:

* Lua strings are ``bytes``; results given as ``str`` are sent as their
  latin-1 bytes;
* a table with only an array part becomes a ``list``, any other a ``dict``
  (string keys as ``str``, one character per byte); lists, tuples and dicts
  in results become tables;
* socket objects (a ``kind`` of tcp-client/tcp-server/udp, or anything with
  ``close``) become handles, the same object always the same handle;
* a function argument becomes a callable that makes a callback round trip;
  a ``local-callback`` argument (PROTOCOL.md section 7.1) becomes a callable
  that does the callback's job right here (``LocalCallbacks``), with no
  round trip, and the answer carries its account;
* a result tuple is the return list, ``None`` is no values, anything else
  one value; the module's ``LuaError`` is a Lua error; any other exception
  is a crash: the traceback goes to stderr and the driver exits with 70.

Repeated calls (PROTOCOL.md section 7) loop here; with ``discard:
"digest"`` value 1's strings are hashed in batches off the loop's clock
(``OffClockDigest``, the same rule as the harness's own
``harness/adapters/offclock.py``), so the driver claims ``digest``.

The real stdout is kept for the protocol and file descriptor 1 is pointed at
stderr, so prints from the candidate cannot corrupt the channel.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, BinaryIO

PROTOCOL = 1
SOCKET_KINDS = frozenset({"tcp-client", "tcp-server", "udp"})
EX_SOFTWARE = 70
"""Exit status when the candidate does something with no Lua meaning (a Python exception)."""
EX_PROTOCOL = 76
"""Exit status when the harness sends something this driver cannot read."""
AREAS = {"tcp": "connect", "udp": "udpsocket", "select": "select", "dns": "toip",
         "smtp": "smtp_mail", "http": "http_request", "ftp": "ftp_get"}
"""Capability -> a function whose presence shows it, when the module declares no CAPABILITIES."""
LOOP_CAPABILITIES = ("repeat", "sequence", "digest", "local-callbacks")
"""What this driver itself adds to the module's areas (PROTOCOL.md sections 7, 7.1 and 7.2)."""
DISCARDS = ("none", "count", "digest")
DIGEST_FLUSH_BYTES = 1 << 20
DIGEST_FLUSH_COUNT = 1024
_STRINGS = (bytes, bytearray, memoryview, str)


class DriverExit(Exception):
    """End the driver with ``status`` after writing ``message`` to stderr."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Channel:
    """JSON lines in from the harness, out to the harness."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    def from_stdio(cls) -> Channel:
        """Keep the real stdout for the protocol; point fd 1 (and ``sys.stdout``) at stderr."""
        protocol_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return cls(sys.stdin.buffer, os.fdopen(protocol_fd, "wb"))

    def send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        self._writer.write(text.encode("utf-8") + b"\n")
        self._writer.flush()

    def receive(self) -> dict[str, Any] | None:
        """The next message, or None at end of input."""
        line = self._reader.readline()
        if not line:
            return None
        try:
            message = json.loads(line)
        except ValueError:
            raise DriverExit(f"not a JSON line from the harness: {line[:200]!r}", EX_PROTOCOL) from None
        if not isinstance(message, dict):
            raise DriverExit(f"not a message from the harness: {line[:200]!r}", EX_PROTOCOL)
        return message


def is_socket_object(obj: object) -> bool:
    if obj is None or isinstance(obj, (bytes, str, int, float, bool, list, dict, tuple)):
        return False
    return getattr(obj, "kind", None) in SOCKET_KINDS or callable(getattr(obj, "close", None))


class OffClockDigest:
    """SHA-256 of value 1's strings, hashed in small batches whose time is kept in ``paused``.

    Hashing costs about as much as a fast receive: hashed inside the loop it
    would be measured with the candidate. The loop subtracts ``paused`` from
    its elapsed time (and ``paused_cpu``, the process CPU time spent
    hashing, from its CPU time); batches stay about 1 MiB, so a long stream
    is never held whole.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self.paused = 0.0
        self.paused_cpu = 0.0

    def add(self, data: bytes) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= DIGEST_FLUSH_BYTES or len(self._pending) >= DIGEST_FLUSH_COUNT:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        began, began_cpu = time.perf_counter(), time.process_time()
        for data in self._pending:
            self._hash.update(data)
        self._pending.clear()
        self._pending_bytes = 0
        self.paused += time.perf_counter() - began
        self.paused_cpu += time.process_time() - began_cpu

    def hexdigest(self) -> str:
        self.flush()
        return self._hash.hexdigest()


class LoopClock:
    """A timed loop's wall and process CPU clocks, started at construction.

    ``stop`` gives both spans less what the loop's digests spent hashing in
    it, so that ``elapsed`` and ``cpu`` leave out the same work.
    """

    def __init__(self) -> None:
        self._started, self._started_cpu = time.perf_counter(), time.process_time()

    def stop(self, digests: list[OffClockDigest]) -> tuple[float, float]:
        """(elapsed, cpu) in seconds since the start, hashing excluded, never below 0."""
        elapsed, cpu = time.perf_counter() - self._started, time.process_time() - self._started_cpu
        for digest in digests:
            elapsed, cpu = elapsed - digest.paused, cpu - digest.paused_cpu
        return max(0.0, elapsed), max(0.0, cpu)
class LocalCallbacks:
    """The callbacks one call asked this driver to build itself (PROTOCOL.md section 7.1).

    They behave exactly as the harness's own callbacks for the same
    declaration (harness/callbacks.py): a receive callback answers 1 and
    hashes each string chunk as it arrives (on the clock, as the harness's
    in-process callbacks do); a send callback serves ``size`` bytes of
    ``pattern`` repeated, ``chunk`` bytes at a time, the pattern carrying on
    across chunks, then "" with the total. ``report`` is the answer's
    ``callbacks`` field.
    """

    def __init__(self) -> None:
        self._accounts: dict[str, dict[str, Any]] = {}
        self._functions: dict[str, Any] = {}

    def make(self, spec: Any) -> Any:
        """The function for a local-callback object; a name passed twice in one call is one callback."""
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise DriverExit(f"not a local-callback object: {spec!r}"[:300], EX_PROTOCOL)
        name, kind = spec["name"], spec.get("kind")
        if name in self._functions:
            return self._functions[name]
        account: dict[str, Any] = {"calls": 0, "bytes": 0, "first": None, "last": None}
        if kind == "receive":
            function = self._receiver(name, account)
        elif kind == "send":
            function = self._sender(name, spec, account)
        else:
            raise DriverExit(f"local callback {name!r} of unknown kind {kind!r}", EX_PROTOCOL)
        self._accounts[name], self._functions[name] = account, function
        return function

    @staticmethod
    def _receiver(name: str, account: dict[str, Any]) -> Any:
        digest = hashlib.sha256()
        account["digest"] = digest

        def receive_cb(*args: Any) -> tuple[Any, ...]:
            args = tuple(bytes(arg) if isinstance(arg, (bytearray, memoryview)) else arg for arg in args)
            account["calls"] += 1
            if account["first"] is None:
                account["first"] = args
            account["last"] = args
            chunk = args[0] if args else None
            if isinstance(chunk, str):
                chunk = chunk.encode("latin-1")
            if isinstance(chunk, bytes):
                account["bytes"] += len(chunk)
                digest.update(chunk)
            return (1,)

        receive_cb.__name__ = f"local_receive_{name}"
        return receive_cb

    @staticmethod
    def _sender(name: str, spec: dict[str, Any], account: dict[str, Any]) -> Any:
        pattern, size, chunk, total = (spec.get(key) for key in ("pattern", "size", "chunk", "total"))
        if not (isinstance(pattern, str) and pattern and _count(size) and _count(chunk) and chunk > 0
                and isinstance(total, (int, float))):
            raise DriverExit(f"local send callback {name!r} needs pattern, size, chunk > 0 and total: "
                             f"{spec!r}"[:300], EX_PROTOCOL)
        data = _bytes(pattern)
        block = data * (-(-chunk // len(data)) + 1)  # any chunk-sized window of the repeated pattern
        state = {"offset": 0}

        def send_cb(*args: Any) -> tuple[Any, ...]:
            account["calls"] += 1
            if account["first"] is None:
                account["first"] = args
            account["last"] = args
            offset = state["offset"]
            piece = min(chunk, size - offset)
            if piece <= 0:
                return (b"", total)
            start = offset % len(data)
            state["offset"] = offset + piece
            account["bytes"] += piece
            return (block[start:start + piece], total)

        send_cb.__name__ = f"local_send_{name}"
        return send_cb

    def report(self, values: Values) -> dict[str, Any]:
        report = {}
        for name, account in self._accounts.items():
            entry: dict[str, Any] = {"calls": account["calls"], "bytes": account["bytes"]}
            if "digest" in account:
                entry["sha256"] = account["digest"].hexdigest()
            if account["calls"]:
                entry["first"] = values.results(account["first"])
                entry["last"] = values.results(account["last"])
            report[name] = entry
        return report


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Values:
    """JSON values <-> the candidate's Python values, with the handle table."""

    def __init__(self, make_callback: Any, make_local: Any = None) -> None:
        self._make_callback = make_callback
        self._make_local = make_local
        self._objects: dict[int, Any] = {}
        self._numbers: dict[int, int] = {}  # id(obj) -> handle; objects are held, so ids stay unique
        self._last = 0

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str):
            return _bytes(value)
        if isinstance(value, dict):
            if "table" in value:
                return self._table(value["table"])
            if "handle" in value:
                return self.object_for(value["handle"])
            if "function" in value:
                return self._make_callback(str(value["function"]))
            if "local-callback" in value and self._make_local is not None:
                return self._make_local(value["local-callback"])
        raise DriverExit(f"not a protocol value: {value!r}"[:300], EX_PROTOCOL)

    def _table(self, body: dict[str, Any]) -> Any:
        """Only an array part: a list; anything else: a dict with keys 1..n for the array part."""
        array = [self.to_python(item) for item in body.get("array", [])]
        pairs = body.get("hash", [])
        if not pairs:
            return array
        table: dict[Any, Any] = dict(enumerate(array, start=1))
        for key, item in pairs:
            table[_bytes(key).decode("latin-1") if isinstance(key, str) else self.to_python(key)] = (
                self.to_python(item))
        return table

    def from_python(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).decode("latin-1")
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise _crash(f"string {value!r} has characters above U+00FF") from None
            return value
        if isinstance(value, (list, tuple)):
            return {"table": {"array": [self.from_python(item) for item in value], "hash": []}}
        if isinstance(value, dict):
            pairs = [[self.from_python(key), self.from_python(item)] for key, item in value.items()]
            return {"table": {"array": [], "hash": pairs}}
        if is_socket_object(value):
            return self.handle_for(value)
        raise _crash(f"result has no Lua meaning: {value!r}")

    def results(self, result: Any) -> list[Any]:
        return [self.from_python(item) for item in _as_list(result)]

    def handle_for(self, obj: Any) -> dict[str, Any]:
        number = self._numbers.get(id(obj))
        if number is None:
            self._last += 1
            number = self._numbers[id(obj)] = self._last
            self._objects[number] = obj
        kind = getattr(obj, "kind", None)
        return {"handle": number, "kind": kind if kind in SOCKET_KINDS else "unknown"}

    def object_for(self, number: Any) -> Any:
        if number not in self._objects:
            raise DriverExit(f"handle #{number} was not issued by this driver (or was released)", EX_PROTOCOL)
        return self._objects[number]

    def release(self, numbers: list[Any]) -> None:
        for number in numbers:
            obj = self._objects.pop(number, None)
            if obj is not None:
                self._numbers.pop(id(obj), None)
                _close_quietly(obj)

    def release_all(self) -> None:
        self.release(list(self._objects))


class Server:
    """Answers the harness's requests for one module."""

    def __init__(self, module: Any, channel: Channel, name: str) -> None:
        self.module = module
        self.channel = channel
        self.name = name
        self.values = Values(self._callback, lambda spec: self._locals.make(spec))
        self._locals = LocalCallbacks()
        error_class = getattr(module, "LuaError", None)
        is_class = isinstance(error_class, type) and issubclass(error_class, Exception)
        self.lua_error = error_class if is_class else None
        self._current_id: Any = None
        self._invocations = 0

    def hello(self) -> dict[str, Any]:
        declared = getattr(self.module, "CAPABILITIES", None)
        areas = list(declared) if declared is not None else [
            area for area, probe in AREAS.items() if callable(getattr(self.module, probe, None))]
        version = getattr(self.module, "__version__", None)
        return {"type": "hello", "protocol": PROTOCOL, "name": self.name,
                "version": str(version) if version is not None else "unknown",
                "capabilities": list(dict.fromkeys([*areas, *LOOP_CAPABILITIES]))}

    def run(self) -> int:
        self.channel.send(self.hello())
        try:
            while True:
                message = self.channel.receive()
                if message is None:
                    return 0
                kind = message.get("type")
                if kind == "call":
                    self.channel.send(self._call(message))
                elif kind == "sequence":
                    self.channel.send(self._sequence(message))
                elif kind == "release":
                    self.values.release(list(message.get("handles", [])))
                    self.channel.send({"type": "released", "id": message.get("id")})
                elif kind == "bye":
                    self.values.release_all()
                    self.channel.send({"type": "bye", "id": message.get("id")})
                    return 0
                else:
                    raise DriverExit(f"unexpected message type {kind!r} from the harness", EX_PROTOCOL)
        finally:
            self.values.release_all()

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        """The answer to a call, with the account of its local callbacks (section 7.1) if it had any."""
        self._locals = LocalCallbacks()
        answer = self._perform(message)
        report = self._locals.report(self.values)
        if report and answer.get("type") in ("return", "error"):
            answer["callbacks"] = report
        return answer

    def _perform(self, message: dict[str, Any]) -> dict[str, Any]:
        call_id, name = message.get("id"), str(message.get("function"))
        self._current_id, self._invocations = call_id, 0
        function = self._lookup(message, name)
        if isinstance(function, dict):
            return {**function, "id": call_id}
        args = [self.values.to_python(arg) for arg in message.get("args", [])]
        times = message.get("repeat")
        try:
            if times is None:
                return {"type": "return", "id": call_id, "values": self.values.results(function(*args))}
            return {"id": call_id, **self._repeat(function, args, message)}
        except Exception as error:
            if self.lua_error is not None and isinstance(error, self.lua_error):
                return {"type": "error", "id": call_id, "message": _lua_text(str(error))}
            if isinstance(error, DriverExit):
                raise
            where = _candidate_traceback(error)
            raise _crash(f"{name} raised {type(error).__name__}: {error}\n{where}") from None

    def _lookup(self, message: dict[str, Any], name: str) -> Any:
        """The callable, or the answer that replaces the call."""
        if message.get("style") == "method":
            target = message.get("target")
            if not isinstance(target, dict) or "handle" not in target:
                raise DriverExit(f"method call {name!r} without a target handle", EX_PROTOCOL)
            method = getattr(self.values.object_for(target["handle"]), name, None)
            if not callable(method):
                return {"type": "error", "message": f"attempt to call method '{name}' (a nil value)"}
            return method
        function = getattr(self.module, name, None)
        if not callable(function) or isinstance(function, type):
            return {"type": "unimplemented", "function": name}
        return function

    def _repeat(self, function: Any, args: list[Any], message: dict[str, Any]) -> dict[str, Any]:
        """PROTOCOL.md section 7: loop here so that payload and round trips stay off the channel."""
        times, stop, discard = message.get("repeat"), message.get("stop"), message.get("discard", "none")
        if not isinstance(times, int) or times < 1 or discard not in DISCARDS or not (
                stop is None or (isinstance(stop, int) and stop >= 1)):
            return {"type": "error", "message": "invalid repeat request"}
        digest = OffClockDigest() if discard == "digest" else None
        done = size = 0
        values: list[Any] = []
        clock = LoopClock()
        while done < times:
            values = _as_list(function(*args))
            done += 1
            first = values[0] if values else None
            if isinstance(first, _STRINGS):
                size += len(first)
                if digest is not None:
                    digest.add(first if type(first) is bytes else _string_bytes(first))
            if stop is not None and len(values) >= stop and values[stop - 1] is not None:
                break
        elapsed, cpu = clock.stop([digest] if digest is not None else [])  # the batches hashed inside it
        report: dict[str, Any] = {"done": done, "elapsed": elapsed, "cpu": cpu, "bytes": size}
        if digest is not None:
            report["sha256"] = digest.hexdigest()  # the last batch, hashed after the clock stopped
        encoded = [self.values.from_python(value) for value in values]
        if discard != "none":  # the payload (value 1) was counted; it is not sent back
            encoded[:1] = [None if isinstance(value, str) else value for value in encoded[:1]]
        return {"type": "return", "values": encoded, "repeat": report}

    def _sequence(self, message: dict[str, Any]) -> dict[str, Any]:
        """PROTOCOL.md section 7.2: the calls in order, ``rounds`` times, timed around the whole loop.

        A missing global is answered before anything runs; a missing method,
        like any Lua error, ends the loop when its turn comes, named by round
        and call.
        """
        call_id, calls = message.get("id"), message.get("calls")
        rounds, discard = message.get("rounds"), message.get("discard", "none")
        self._current_id, self._invocations = call_id, 0
        if not isinstance(calls, list) or not calls or not all(isinstance(call, dict) for call in calls) or (
                not isinstance(rounds, int) or rounds < 1 or discard not in ("none", "digest")):
            return {"type": "error", "id": call_id, "message": "invalid sequence request"}
        prepared: list[tuple[str, Any, list[Any]]] = []
        for call in calls:
            name = str(call.get("function"))
            function = self._lookup(call, name)
            if isinstance(function, dict) and function["type"] == "unimplemented":
                return {**function, "id": call_id}
            raw = [] if isinstance(function, dict) else call.get("args", [])
            args = [self.values.to_python(arg) for arg in raw]
            prepared.append((name, function, args))
        sizes = [0] * len(prepared)
        digests = [OffClockDigest() for _ in prepared] if discard == "digest" else None
        last: list[list[Any]] = [[] for _ in prepared]
        number = index = 0
        clock = LoopClock()
        try:
            for number in range(1, rounds + 1):
                for index, (name, function, args) in enumerate(prepared):
                    if isinstance(function, dict):  # a missing method: its Lua error, raised in turn
                        text = f"round {number}, call {index + 1} ({name}): {function['message']}"
                        return {"type": "error", "id": call_id, "message": text}
                    values = last[index] = _as_list(function(*args))
                    first = values[0] if values else None
                    if isinstance(first, _STRINGS):
                        sizes[index] += len(first)
                        if digests is not None:
                            digests[index].add(first if type(first) is bytes else _string_bytes(first))
        except Exception as error:
            name = prepared[index][0]
            if self.lua_error is not None and isinstance(error, self.lua_error):
                text = f"round {number}, call {index + 1} ({name}): {error}"
                return {"type": "error", "id": call_id, "message": _lua_text(text)}
            if isinstance(error, DriverExit):
                raise
            raise _crash(f"round {number}, call {index + 1}: {name} raised {type(error).__name__}: {error}\n"
                         f"{_candidate_traceback(error)}") from None
        elapsed, cpu = clock.stop(digests or [])
        results = []
        for index, values in enumerate(last):
            result: dict[str, Any] = {"values": [self.values.from_python(value) for value in values],
                                      "bytes": sizes[index]}
            if digests is not None:
                result["sha256"] = digests[index].hexdigest()
            results.append(result)
        return {"type": "return", "id": call_id,
                "sequence": {"rounds": rounds, "elapsed": elapsed, "cpu": cpu, "results": results}}

    def _callback(self, name: str) -> Any:
        """A callable for the candidate that turns each call into a callback round trip."""

        def proxy(*args: Any) -> tuple[Any, ...]:
            self._invocations += 1
            number = self._invocations
            self.channel.send({"type": "callback", "id": self._current_id, "cb": number, "function": name,
                               "args": [self.values.from_python(arg) for arg in args]})
            reply = self.channel.receive()
            if reply is None:
                raise DriverExit("input ended during a callback", 0)
            if reply.get("id") != self._current_id or reply.get("cb") != number:
                raise DriverExit(f"callback reply for the wrong call: {reply!r}"[:300], EX_PROTOCOL)
            if reply.get("type") == "callback-return":
                return tuple(self.values.to_python(value) for value in reply.get("values", []))
            if reply.get("type") == "callback-error":
                text = str(reply.get("message", "callback failed"))
                raise (self.lua_error or RuntimeError)(text)
            raise DriverExit(f"expected a callback reply, got {reply.get('type')!r}", EX_PROTOCOL)

        proxy.__name__ = f"lua_callback_{name}"
        return proxy


def _bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise DriverExit(f"string with a code point above U+00FF: {text[:100]!r}", EX_PROTOCOL) from None


def _string_bytes(value: bytearray | memoryview | str) -> bytes:
    """A Lua string's bytes (``str`` as latin-1, as results are sent), copied: a buffer may be reused."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise _crash(f"string {value!r} has characters above U+00FF") from None
    return bytes(value)


def _as_list(result: Any) -> list[Any]:
    if result is None:
        return []
    return list(result) if isinstance(result, tuple) else [result]


def _lua_text(text: str) -> str:
    """A message as a Lua string: text beyond U+00FF is sent as its UTF-8 bytes."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8").decode("latin-1")
    return text


def _crash(message: str) -> DriverExit:
    return DriverExit(message, EX_SOFTWARE)


def _close_quietly(obj: Any) -> None:
    with contextlib.suppress(Exception):
        obj.close()


def _candidate_traceback(error: BaseException) -> str:
    """The traceback of an exception the module raised, from its first frame of the module's own on.

    The driver's frames above it (the line that made the call) are the same
    in every crash and only push the module's file and line out of the
    stderr tail a report shows; an error with no frame of the module's (the
    call itself failed, or the driver did) keeps the whole traceback.
    """
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename == __file__:
        frames = frames.tb_next
    if frames is None:
        return "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return "".join(traceback.format_exception(type(error), error, frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a Python module implementing LuaSocket 1.3b "
                                     "over the lsconform driver protocol (stdin/stdout).")
    parser.add_argument("module", help="the module to serve, e.g. reference")
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help="put DIR first on the module search path (repeatable)")
    parser.add_argument("--name", help="candidate name in the hello (default: the module name)")
    args = parser.parse_args(argv)
    sys.path[:0] = args.path
    channel = Channel.from_stdio()
    try:
        module = importlib.import_module(args.module)
    except Exception:
        traceback.print_exc()
        print(f"python driver: cannot import {args.module!r}", file=sys.stderr)
        return 2
    try:
        return Server(module, channel, args.name or args.module).run()
    except DriverExit as stop:
        print(f"python driver: {stop}", file=sys.stderr)
        return stop.status
    except BrokenPipeError:
        return 0  # the harness went away; nothing left to answer


if __name__ == "__main__":
    sys.exit(main())
