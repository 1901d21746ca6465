"""The checks of the optional capabilities of ``lsconform check-driver`` (PROTOCOL.md section 7).

``local-callbacks`` (section 7.1), ``repeat`` and ``digest`` (section 7) and
``sequence`` (section 7.2): each check reads the hello's capabilities first.
A capability not claimed is a SKIP, after checking, where the protocol says
so, that the driver refuses the request instead of half-doing it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping

from harness.adapters.base import Call, Raised, Returned, Unimplemented
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import (
    DIGEST_CAPABILITY,
    LOCAL_CALLBACKS,
    LocalCallbackReport,
    RepeatRequest,
    SequenceRequest,
)
from harness.adapters.driver_process import DriverGone, DriverProcess, DriverSilent
from harness.adapters.driver_wire import ProtocolError, call_message, decode_message, encode_message
from harness.drivercheck.peers import LOOPBACK, Feeder, FtpPeer, HttpPeer, RecordingPeer
from harness.drivercheck.support import (
    ALL_BYTES,
    CALL_DEADLINE,
    NO_SUCH_FUNCTION,
    CheckFailed,
    CheckResult,
    Target,
    connect_to,
    describe,
    first_difference,
    raw_hello,
    returned,
    socket_of,
    stderr_note,
    unexpected,
)
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.values import Handle, LuaFunction, lua_repr_all

SEQUENCE_ROUNDS = 20
UPLOAD = GeneratedData(size=50_000, pattern=b"0123456789abc", chunk=4096)
"""What the local send callback of the check generates: 13 bytes of pattern do not divide 4096-byte
chunks, so every chunk but the first starts inside the pattern."""


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
        call = Call("bind", (LOOPBACK.encode(), 0), "global", None, CALL_DEADLINE)
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
        raise unexpected(f"receive({size}) repeated", outcome,
                         "nil, \"closed\" (the payload counted, the error code kept)")
    if (report.done, report.bytes) != (count + 1, size * count):
        raise CheckFailed(f"repeat report done={report.done} bytes={report.bytes}, expected done={count + 1} "
                          f"(stopped by \"closed\") bytes={size * count}")
    with RecordingPeer(echo=False) as sink:
        client = connect_to(adapter, sink.port)
        outcome, report = adapter.call_repeated(Call("send", (payload,), "method", client, CALL_DEADLINE),
                                                RepeatRequest(count, stop=1, discard="none"))
        if outcome != Returned((None, len(payload))) or report is None or report.done != count:
            raise unexpected(f"send repeated {count} times ({report})", outcome,
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
    process, hello = raw_hello(target)
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
    request = call_message(1, "bind", (LOOPBACK.encode(), 0), "global", None,
                           RepeatRequest(2, discard="digest"))
    try:
        deadline = time.monotonic() + target.patience
        process.send(encode_message(request), deadline)
        answer = decode_message(process.read_line(deadline))
    except (DriverGone, DriverSilent, ProtocolError) as error:
        process.finish(0.0)
        why = error or f"no answer within {target.patience:g}s"
        raise CheckFailed(f"a repeated call with discard \"digest\": {why}{stderr_note(process)}") from None
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
        raise unexpected(f"receive({size}) repeated with discard \"digest\"", outcome,
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
        client = connect_to(adapter, peer.port)
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
                raise unexpected("without 'digest' claimed, a sequence asking for digests", outcome,
                                 "an error")
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
        raise unexpected("send, receive, close in 3 rounds", outcome,
                         f"an error starting {wanted!r} (a send on the socket closed in round 1)")
