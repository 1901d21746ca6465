"""The fixed battery ``lsconform check-driver`` runs against any driver.

Each check starts its own driver process (a failure in one never spoils the
next), drives it through the real adapter or, for the start and end of the
conversation, through the bare process, and ends in PASS, FAIL or SKIP with
a sentence saying what was seen. The API calls used are the plainest of the
manual (bind, connect, accept, send, receive, select, udpsocket, close), so
that a FAIL points at the driver rather than at the implementation behind it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from harness.adapters.base import Call, Outcome, Raised, Returned, TimedOut, Unimplemented
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import (
    DIGEST_CAPABILITY,
    LOCAL_CALLBACKS,
    LocalCallbackReport,
    RepeatRequest,
    SequenceRequest,
)
from harness.adapters.driver_process import DriverGone, DriverProcess, DriverSilent, describe_status
from harness.adapters.driver_wire import (
    PROTOCOL_VERSION,
    Hello,
    ProtocolError,
    call_message,
    decode_message,
    encode_message,
    parse_hello,
)
from harness.drivercheck.peers import LOOPBACK, Feeder, FtpPeer, HttpPeer, RecordingPeer
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.values import Handle, LuaFunction, LuaTable, LuaValue, lua_repr_all

ALL_BYTES = bytes(range(256)) + bytes(reversed(range(256)))
CALL_DEADLINE = 5.0
NO_SUCH_FUNCTION = "lsconform_no_such_function"
SEQUENCE_ROUNDS = 20
UPLOAD = GeneratedData(size=50_000, pattern=b"0123456789abc", chunk=4096)
"""What the local send callback of the check generates: 13 bytes of pattern do not divide 4096-byte
chunks, so every chunk but the first starts inside the pattern."""


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
                                hello_timeout=self.hello_timeout)
        if adapter.failure is not None:
            adapter.close()
            raise CheckFailed(describe(adapter.failure))
        return adapter


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


# -- the start and the end, on the bare process ------------------------------


def _raw_hello(target: Target) -> tuple[DriverProcess, Hello]:
    process = DriverProcess(target.command, env=target.env)
    try:
        line = process.read_line(time.monotonic() + target.hello_timeout)
        return process, parse_hello(decode_message(line))
    except DriverSilent:
        process.finish(0.0)
        raise CheckFailed(f"no hello within {target.hello_timeout:g}s{_tail(process)}") from None
    except (DriverGone, ProtocolError) as error:
        status = process.finish(1.0)
        how = describe_status(status, process.killed)
        raise CheckFailed(f"{error}; the driver {how}{_tail(process)}") from None


def _tail(process: DriverProcess) -> str:
    tail = process.stderr_tail()
    return f"; stderr:\n{tail}" if tail else ""


def check_hello(target: Target) -> CheckResult:
    process, hello = _raw_hello(target)
    process.close_input()
    process.finish(2.0)
    capabilities = ", ".join(sorted(hello.capabilities)) or "none"
    return CheckResult("hello", "PASS", f"{hello.name} {hello.version}; capabilities: {capabilities}")


def check_protocol_version(target: Target) -> CheckResult:
    process, hello = _raw_hello(target)
    process.close_input()
    process.finish(2.0)
    if hello.protocol != PROTOCOL_VERSION:
        raise CheckFailed(f"the driver speaks protocol {hello.protocol}; "
                          f"this harness speaks {PROTOCOL_VERSION}")
    return CheckResult("protocol-version", "PASS", f"protocol {hello.protocol}")


def check_bye(target: Target) -> CheckResult:
    process, _ = _raw_hello(target)
    try:
        deadline = time.monotonic() + target.patience
        process.send(encode_message({"type": "bye", "id": 1}), deadline)
        answer = decode_message(process.read_line(deadline))
    except (DriverGone, DriverSilent, ProtocolError) as error:
        process.finish(0.0)
        why = error or f"no answer within {target.patience:g}s"
        raise CheckFailed(f"no bye answer: {why}{_tail(process)}") from None
    status = process.finish(target.patience)
    if answer != {"type": "bye", "id": 1}:
        raise CheckFailed(f"bye was answered with {answer!r}, expected {{\"type\": \"bye\", \"id\": 1}}")
    if process.killed or status != 0:
        how = describe_status(status, process.killed)
        raise CheckFailed(f"after bye the driver {how}, expected exit status 0")
    return CheckResult("bye", "PASS", "answered and exited with status 0")


def check_end_of_input(target: Target) -> CheckResult:
    process, _ = _raw_hello(target)
    process.close_input()
    try:
        line = process.read_line(time.monotonic() + target.patience)
    except DriverGone:
        line = None
    except DriverSilent:
        process.finish(0.0)
        raise CheckFailed(f"the driver did not end its output within {target.patience:g}s "
                          "of the end of its input") from None
    status = process.finish(target.patience)
    if line is not None:
        raise CheckFailed(f"the driver wrote after the end of its input: {line[:200]!r}")
    if process.killed or status != 0:
        raise CheckFailed(f"at the end of its input the driver {describe_status(status, process.killed)}, "
                          "expected exit status 0")
    return CheckResult("end-of-input", "PASS", "exited with status 0 when stdin closed")


# -- calls, through the adapter ----------------------------------------------


def check_unimplemented_and_error(adapter: DriverAdapter, patience: float) -> CheckResult:
    outcome = adapter.call(Call(NO_SUCH_FUNCTION, (), "global", None, CALL_DEADLINE))
    if outcome != Unimplemented(NO_SUCH_FUNCTION):
        raise CheckFailed(f"global {NO_SUCH_FUNCTION}() {describe(outcome)}, expected unimplemented")
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    outcome = adapter.call(Call("lsconform_no_such_method", (), "method", server, CALL_DEADLINE))
    if not isinstance(outcome, Raised):
        raise CheckFailed(f"server:lsconform_no_such_method() {describe(outcome)}, expected a Lua error")
    returned(adapter, "getsockname", target=server)
    return CheckResult("errors", "PASS", f"missing global -> unimplemented; missing method -> error "
                                         f"{outcome.message!r}; the driver carried on")


def check_byte_exact(adapter: DriverAdapter, patience: float) -> CheckResult:
    with RecordingPeer(echo=True) as peer:
        client = _connect(adapter, peer.port)
        returned(adapter, "send", ALL_BYTES, target=client)
        sent = peer.wait_for(len(ALL_BYTES), patience)
        if sent != ALL_BYTES:
            raise CheckFailed(f"harness -> driver: the peer received {first_difference(sent, ALL_BYTES)}")
        values = returned(adapter, "receive", client, len(ALL_BYTES))  # global style, socket first
        got = values[0] if values else None
        if not isinstance(got, bytes):
            raise CheckFailed(f"receive({len(ALL_BYTES)}) returned {lua_repr_all(values)}")
        if got != ALL_BYTES:
            raise CheckFailed(f"driver -> harness: receive returned {first_difference(got, ALL_BYTES)}")
    return CheckResult("byte-exact", "PASS", f"all 256 byte values, both ways, {len(ALL_BYTES)} bytes "
                                             "through a TCP echo (send as a method, receive as a global)")


def check_handles(adapter: DriverAdapter, patience: float) -> CheckResult:
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    ip, port = returned(adapter, "getsockname", target=server)[:2]
    client = socket_of(returned(adapter, "connect", ip, port), "tcp-client", "connect")
    accepted = socket_of(returned(adapter, "accept", target=server), "tcp-client", "accept")
    udp = socket_of(returned(adapter, "udpsocket"), "udp", "udpsocket")
    numbers = [server.id, client.id, accepted.id, udp.id]
    if len(set(numbers)) != len(numbers):
        raise CheckFailed(f"four sockets got the handles {numbers}; handles must be unique")
    returned(adapter, "send", b"x", target=client)
    for attempt in ("first", "second"):
        values = returned(adapter, "select", LuaTable(array=[server, accepted]), LuaTable(array=[client]), 5)
        readable, writable = (values + (None, None))[:2]
        if not (isinstance(readable, LuaTable) and isinstance(writable, LuaTable)):
            raise CheckFailed(f"select returned {lua_repr_all(values)}, expected two tables")
        if [_id(item) for item in readable.array] != [accepted.id]:
            raise CheckFailed(f"{attempt} select: readable holds {lua_repr_all(readable.array)}, "
                              f"expected the accepted socket #{accepted.id} only")
        if [_id(item) for item in writable.array] != [client.id]:
            raise CheckFailed(f"{attempt} select: writable holds {lua_repr_all(writable.array)}, "
                              f"expected the client socket #{client.id}")
    return CheckResult("handles", "PASS", f"kinds right, handles {numbers} unique and the same when select "
                                          "hands the sockets back")


def _connect(adapter: DriverAdapter, port: int) -> Handle:
    return socket_of(returned(adapter, "connect", LOOPBACK.encode(), port), "tcp-client", "connect")


def _id(value: LuaValue) -> int | None:
    return value.id if isinstance(value, Handle) else None


def check_release(adapter: DriverAdapter, patience: float) -> CheckResult:
    with RecordingPeer(echo=False) as peer:
        client = _connect(adapter, peer.port)
        adapter.release([client, Handle(999_999)])
        if adapter.failure is not None:
            raise CheckFailed(f"release (of a live handle and an unknown one): {describe(adapter.failure)}")
        if not peer.wait_closed(patience):
            raise CheckFailed("the peer's connection stayed open after its handle was released")
        returned(adapter, "udpsocket")
    return CheckResult("release", "PASS", "released sockets are closed; unknown handles are ignored")


def check_callbacks(adapter: DriverAdapter, patience: float) -> CheckResult:
    """A receive callback through ``http_requestindirect`` (or ``ftp_getindirect``), body = all bytes."""
    capabilities = adapter.info.capabilities
    if not {"http", "ftp"} & capabilities:
        return CheckResult("callbacks", "SKIP", "the driver claims neither http nor ftp")
    chunks: list[tuple[str, tuple[LuaValue, ...]]] = []

    def handler(name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        chunks.append((name, args))
        return (1,)

    adapter.set_callback_handler(handler)
    if "http" in capabilities:
        with HttpPeer(ALL_BYTES) as http:
            url = f"http://{LOOPBACK}:{http.port}/drivercheck".encode()
            returned(adapter, "http_requestindirect", b"GET", url, LuaFunction("body"))
        via = "http_requestindirect"
    else:
        with FtpPeer(ALL_BYTES) as ftp:
            url = f"ftp://{LOOPBACK}:{ftp.port}/drivercheck.bin".encode()
            returned(adapter, "ftp_getindirect", url, LuaFunction("body"), b"b")
        via = "ftp_getindirect"
    if not chunks:
        raise CheckFailed(f"{via} returned without a single callback round trip")
    names = {name for name, _ in chunks}
    if names != {"body"}:
        raise CheckFailed(f"callbacks named {sorted(names)}, expected only 'body'")
    data = b"".join(args[0] for _, args in chunks if args and isinstance(args[0], bytes))
    if data != ALL_BYTES:
        raise CheckFailed(f"the chunks add up to {first_difference(data, ALL_BYTES)}")
    return CheckResult("callbacks", "PASS",
                       f"{via}: {len(chunks)} round trips carried the body byte for byte")


def check_local_callbacks(adapter: DriverAdapter, patience: float) -> CheckResult:
    """PROTOCOL.md section 7.1: callbacks the driver runs itself, with no round trip, and their account.

    A local receive callback gets a body of all byte values (as the
    ``callbacks`` check does through round trips); a local send callback
    uploads generated data (``UPLOAD``), which the peer must receive byte
    for byte.
    """
    capabilities = adapter.info.capabilities
    if LOCAL_CALLBACKS not in capabilities:
        return CheckResult("local-callbacks", "SKIP", "not claimed")
    if not {"http", "ftp"} & capabilities:
        return CheckResult("local-callbacks", "SKIP", "claimed, but the driver claims neither http nor ftp")
    round_trips: list[str] = []
    reports: dict[str, LocalCallbackReport] = {}
    adapter.set_callback_handler(lambda name, args: (round_trips.append(name), (1,))[1])
    specs = [CallbackSpec("body", "receive", record="digest"),
             CallbackSpec("reply", "receive", record="digest"),
             CallbackSpec("source", "send", generate=UPLOAD)]
    if not adapter.set_local_callbacks(specs, reports.__setitem__):
        raise CheckFailed("the adapter did not accept local callbacks although the hello claims them")
    upload = (UPLOAD.pattern * (UPLOAD.size // len(UPLOAD.pattern) + 1))[:UPLOAD.size]
    if "http" in capabilities:
        with HttpPeer(ALL_BYTES) as http:
            url = f"http://{LOOPBACK}:{http.port}/drivercheck".encode()
            returned(adapter, "http_requestindirect", b"GET", url, LuaFunction("body"))
        _check_receive_report(reports, "http_requestindirect")
        reports.clear()
        with HttpPeer(b"stored") as http:
            url = f"http://{LOOPBACK}:{http.port}/drivercheck".encode()
            returned(adapter, "http_requestindirect", b"POST", url, LuaFunction("reply"), None,
                     LuaFunction("source"))
        arrived, via = http.uploaded, "http_requestindirect"
    else:
        with FtpPeer(ALL_BYTES) as ftp:
            url = f"ftp://{LOOPBACK}:{ftp.port}/drivercheck.bin".encode()
            returned(adapter, "ftp_getindirect", url, LuaFunction("body"), b"b")
        _check_receive_report(reports, "ftp_getindirect")
        with FtpPeer(b"") as ftp:
            url = f"ftp://{LOOPBACK}:{ftp.port}/drivercheck.bin".encode()
            returned(adapter, "ftp_putindirect", url, LuaFunction("source"), b"b")
        arrived, via = ftp.stored, "ftp_putindirect"
    if round_trips:
        raise CheckFailed(f"{len(round_trips)} callback round trips ({sorted(set(round_trips))}) for "
                          "callbacks sent as local")
    source = reports.get("source")
    if source is None or source.calls < 2:
        raise CheckFailed(f"{via}: the send callback's report is {source}, expected at least 2 calls "
                          "(the data, then \"\")")
    if source.bytes != UPLOAD.size:
        raise CheckFailed(f"{via}: the send callback reports {source.bytes} bytes served, "
                          f"expected {UPLOAD.size}")
    if arrived != upload:
        raise CheckFailed(f"{via}: the peer received {first_difference(arrived, upload)} from the local send "
                          "callback")
    return CheckResult("local-callbacks", "PASS", f"no round trip; the receive callback's calls, bytes and "
                       f"SHA-256 match the body; {via} uploaded {UPLOAD.size} generated bytes byte for byte")


def _check_receive_report(reports: Mapping[str, LocalCallbackReport], via: str) -> None:
    body = reports.get("body")
    if body is None or body.calls < 1:
        raise CheckFailed(f"{via}: the local receive callback's report is {body}, expected calls")
    if body.bytes != len(ALL_BYTES) or body.sha256 != hashlib.sha256(ALL_BYTES).hexdigest():
        raise CheckFailed(f"{via}: the local receive callback reports {body.bytes} bytes with sha256 "
                          f"{body.sha256}, expected {len(ALL_BYTES)} bytes with sha256 "
                          f"{hashlib.sha256(ALL_BYTES).hexdigest()}")
    first = body.first or ()
    if not first or not isinstance(first[0], bytes) or not ALL_BYTES.startswith(first[0]):
        raise CheckFailed(f"{via}: the first call's arguments are reported as {lua_repr_all(first)}, "
                          "expected the start of the body")


def check_repeat(adapter: DriverAdapter, patience: float) -> CheckResult:
    if "repeat" not in adapter.info.capabilities:
        call = Call("udpsocket", (), "global", None, CALL_DEADLINE)
        outcome, _ = adapter.call_repeated(call, RepeatRequest(2))
        if not isinstance(outcome, Raised):
            raise CheckFailed(f"without 'repeat' in its capabilities, a repeated call {describe(outcome)}; "
                              "expected the error 'repeat not supported'")
        return CheckResult("repeat", "SKIP", "not claimed (a repeated call is refused, as it should be)")
    size, count = 1000, 50
    payload = bytes(range(250)) * 4
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    _, port = returned(adapter, "getsockname", target=server)[:2]
    with Feeder(int(port), payload * count):  # type: ignore[arg-type]
        accepted = socket_of(returned(adapter, "accept", target=server), "tcp-client", "accept")
        outcome, report = adapter.call_repeated(Call("receive", (size,), "method", accepted, CALL_DEADLINE),
                                                RepeatRequest(count + 5, stop=2, discard="count"))
    expected = Returned((None, b"closed"))
    if outcome != expected or report is None:
        raise CheckFailed(f"receive({size}) repeated {describe(outcome)}, expected nil, \"closed\" "
                          "(the payload counted, the error code kept)")
    if (report.done, report.bytes) != (count + 1, size * count):
        raise CheckFailed(f"repeat report done={report.done} bytes={report.bytes}, expected done={count + 1} "
                          f"(stopped by \"closed\") bytes={size * count}")
    with RecordingPeer(echo=False) as sink:
        client = _connect(adapter, sink.port)
        outcome, report = adapter.call_repeated(Call("send", (payload,), "method", client, CALL_DEADLINE),
                                                RepeatRequest(count, stop=1, discard="none"))
        if outcome != Returned((None, len(payload))) or report is None or report.done != count:
            raise CheckFailed(f"send repeated {count} times {describe(outcome)} ({report}), expected "
                              f"nil, {len(payload)} and done={count}")
        received = sink.wait_for(len(payload) * count, patience)
        if received != payload * count:
            raise CheckFailed(f"the repeated sends delivered {first_difference(received, payload * count)}")
    return CheckResult("repeat", "PASS", "receive stopped at \"closed\" with the bytes counted; "
                                         "send repeated delivered every byte")


def check_digest(target: Target) -> CheckResult:
    """``discard: "digest"``: the SHA-256 of a repeated receive's data, or a refusal when not claimed.

    The data is random, sent by the check itself, so only a driver that
    hashed every byte it received gives the right digest; a wrong digest is
    named, and a missing one (or one the call did not ask for) is a protocol
    error of the adapter, which the check reports.
    """
    process, hello = _raw_hello(target)
    if DIGEST_CAPABILITY not in hello.capabilities:
        return _digest_refused(target, process)
    process.close_input()
    process.finish(target.patience)
    adapter = target.adapter()
    try:
        return _digest_matches(adapter)
    finally:
        adapter.close()


def _digest_refused(target: Target, process: DriverProcess) -> CheckResult:
    """Without the capability, a digest request must be an ``error`` answer (PROTOCOL.md section 7)."""
    request = call_message(1, "udpsocket", (), "global", None, RepeatRequest(2, discard="digest"))
    try:
        deadline = time.monotonic() + target.patience
        process.send(encode_message(request), deadline)
        answer = decode_message(process.read_line(deadline))
    except (DriverGone, DriverSilent, ProtocolError) as error:
        process.finish(0.0)
        why = error or f"no answer within {target.patience:g}s"
        raise CheckFailed(f"a repeated call with discard \"digest\": {why}{_tail(process)}") from None
    process.close_input()
    process.finish(target.patience)
    if answer.get("type") != "error":
        raise CheckFailed(f"without 'digest' in its capabilities, a call with discard \"digest\" was "
                          f"answered with {answer.get('type')!r}; expected the error "
                          "'discard \"digest\" not supported'")
    return CheckResult("digest", "SKIP", "not claimed (a digest request is refused, as it should be)")


def _digest_matches(adapter: DriverAdapter) -> CheckResult:
    size, count = 1000, 50
    payload = os.urandom(size * count)
    expected = hashlib.sha256(payload).hexdigest()
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    _, port = returned(adapter, "getsockname", target=server)[:2]
    with Feeder(int(port), payload):  # type: ignore[arg-type]
        accepted = socket_of(returned(adapter, "accept", target=server), "tcp-client", "accept")
        outcome, report = adapter.call_repeated(Call("receive", (size,), "method", accepted, CALL_DEADLINE),
                                                RepeatRequest(count + 5, stop=2, discard="digest"))
    if outcome != Returned((None, b"closed")) or report is None:
        raise CheckFailed(f"receive({size}) repeated with discard \"digest\" {describe(outcome)}, expected "
                          "nil, \"closed\" with a repeat summary")
    if (report.done, report.bytes) != (count + 1, size * count):
        raise CheckFailed(f"repeat report done={report.done} bytes={report.bytes}, expected done={count + 1} "
                          f"bytes={size * count}")
    if report.sha256 != expected:
        raise CheckFailed(f"repeat.sha256 is {report.sha256}, but the {size * count} bytes sent hash to "
                          f"{expected}")
    return CheckResult("digest", "PASS", f"receive({size}) repeated: the SHA-256 of the {size * count} "
                                         "random bytes sent matches, the payload never crossed")


def check_sequence(adapter: DriverAdapter, patience: float) -> CheckResult:
    """A send/receive exchange through a TCP echo as one sequence (PROTOCOL.md section 7.2)."""
    claimed = adapter.info.capabilities
    if "sequence" not in claimed:
        return CheckResult("sequence", "SKIP", "not claimed (the harness never sends a sequence then)")
    digest = "digest" in claimed
    with RecordingPeer(echo=True) as peer:
        client = _connect(adapter, peer.port)
        exchange = [Call("send", (ALL_BYTES,), "method", client, CALL_DEADLINE),
                    Call("receive", (len(ALL_BYTES),), "method", client, CALL_DEADLINE)]
        _sequence_exchange(adapter, exchange, digest)
        echoed = peer.wait_for(len(ALL_BYTES) * SEQUENCE_ROUNDS, patience)
        if echoed != ALL_BYTES * SEQUENCE_ROUNDS:
            raise CheckFailed(f"the peer received {first_difference(echoed, ALL_BYTES * SEQUENCE_ROUNDS)}")
        _sequence_unimplemented_before_running(adapter, client)
        if not digest:
            probe = Call("getsockname", (), "method", client, CALL_DEADLINE)
            outcome, _ = adapter.call_sequence([probe], SequenceRequest(1, "digest"))
            if not isinstance(outcome, Raised):
                raise CheckFailed(f"without 'digest' claimed, a sequence asking for digests "
                                  f"{describe(outcome)}; expected an error")
        _sequence_error_names_its_round(adapter, client, exchange)
    checked = "bytes and sha256" if digest else "bytes (no digest claimed)"
    return CheckResult("sequence", "PASS", f"send/receive through a TCP echo, {SEQUENCE_ROUNDS} rounds: last "
                       f"values and {checked} right; an unknown global is unimplemented before anything "
                       "runs; an error names its round")


def _sequence_exchange(adapter: DriverAdapter, exchange: list[Call], digest: bool) -> None:
    """The exchange ``SEQUENCE_ROUNDS`` times: the account must match the payload in every round."""
    rounds, size = SEQUENCE_ROUNDS, len(ALL_BYTES)
    outcome, report = adapter.call_sequence(exchange, SequenceRequest(rounds, "digest" if digest else "none"))
    if not isinstance(outcome, Returned) or report is None:
        raise CheckFailed(f"a sequence of send and receive, {rounds} rounds, {describe(outcome)}")
    if report.rounds != rounds:
        raise CheckFailed(f"the sequence reports {report.rounds} rounds, expected {rounds}")
    sent, received = report.results
    if sent.values[:2] != (None, size):
        raise CheckFailed(f"send's last values are {lua_repr_all(sent.values)}, expected nil, {size}")
    got = received.values[0] if received.values else None
    if got != ALL_BYTES:
        shown = first_difference(got, ALL_BYTES) if isinstance(got, bytes) else lua_repr_all(received.values)
        raise CheckFailed(f"receive's last value is {shown}")
    if received.bytes != size * rounds:
        raise CheckFailed(f"receive's bytes are {received.bytes}, expected {size * rounds}")
    if digest and received.sha256 != hashlib.sha256(ALL_BYTES * rounds).hexdigest():
        raise CheckFailed(f"receive's sha256 is {received.sha256}, not that of the {rounds} payloads")


def _sequence_unimplemented_before_running(adapter: DriverAdapter, client: Handle) -> None:
    """A sequence naming an unknown global is ``unimplemented`` and runs none of its calls."""
    first = Call("send", (b"A",), "method", client, CALL_DEADLINE)
    missing = Call(NO_SUCH_FUNCTION, (), "global", None, CALL_DEADLINE)
    outcome, _ = adapter.call_sequence([first, missing], SequenceRequest(2))
    if outcome != Unimplemented(NO_SUCH_FUNCTION):
        raise CheckFailed(f"a sequence calling {NO_SUCH_FUNCTION}() {describe(outcome)}, "
                          "expected unimplemented")
    returned(adapter, "send", b"B", target=client)
    echoed = returned(adapter, "receive", 1, target=client)
    if echoed[:1] != (b"B",):
        raise CheckFailed(f"after the unimplemented sequence the echo gave {lua_repr_all(echoed)}, "
                          "expected \"B\": its first call ran anyway")


def _sequence_error_names_its_round(adapter: DriverAdapter, client: Handle, exchange: list[Call]) -> None:
    """Send, receive, close: round 1 closes the socket, so round 2's send raises."""
    close = Call("close", (), "method", client, CALL_DEADLINE)
    outcome, _ = adapter.call_sequence([*exchange, close], SequenceRequest(3))
    wanted = "round 2, call 1 (send): "
    if not (isinstance(outcome, Raised) and outcome.message.startswith(wanted)):
        raise CheckFailed(f"send, receive, close in 3 rounds {describe(outcome)}, expected an error "
                          f"starting {wanted!r} (a send on the socket closed in round 1)")


RAW_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("hello", check_hello),
    ("protocol-version", check_protocol_version),
)
ADAPTER_CHECKS: Sequence[tuple[str, Callable[[DriverAdapter, float], CheckResult]]] = (
    ("errors", check_unimplemented_and_error),
    ("byte-exact", check_byte_exact),
    ("handles", check_handles),
    ("release", check_release),
    ("callbacks", check_callbacks),
    ("local-callbacks", check_local_callbacks),
    ("repeat", check_repeat),
    ("sequence", check_sequence),
)
TARGET_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("digest", check_digest),
)
"""Checks that look at the hello before choosing how to talk to the driver."""
END_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("bye", check_bye),
    ("end-of-input", check_end_of_input),
)


def run_checks(target: Target) -> list[CheckResult]:
    """Every check, in order; one check's failure never stops the others."""
    results = [_guarded(name, lambda check=check: check(target)) for name, check in RAW_CHECKS]
    for name, check in ADAPTER_CHECKS:
        results.append(_guarded(name, lambda check=check: _with_adapter(target, check)))
    results += [_guarded(name, lambda check=check: check(target)) for name, check in (*TARGET_CHECKS,
                                                                                       *END_CHECKS)]
    return results


def _with_adapter(target: Target, check: Callable[[DriverAdapter, float], CheckResult]) -> CheckResult:
    adapter = target.adapter()
    try:
        return check(adapter, target.patience)
    finally:
        adapter.close()


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except CheckFailed as failure:
        return CheckResult(name, "FAIL", str(failure))
    except Exception as error:  # a driver can provoke anything; report it, go on
        return CheckResult(name, "FAIL", f"{type(error).__name__}: {error}")

