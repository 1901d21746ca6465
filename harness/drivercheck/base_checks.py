"""The base checks of ``lsconform check-driver``: what every driver must do (PROTOCOL.md sections 1-6).

The start and the end of the conversation are checked on the bare process;
calls, handles, release and callback round trips through the real adapter.
The API calls used are the plainest of the manual's TCP section (bind,
connect, accept, send, receive, close; select and udpsocket only where the
hello claims them), so that a FAIL points at the driver rather than at the
implementation behind it, and a driver for a TCP-only port can pass.
"""

from __future__ import annotations

import time

from harness.adapters.base import Call, Raised, Unimplemented
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_process import DriverGone, DriverSilent, describe_status
from harness.adapters.driver_wire import PROTOCOL_VERSION, ProtocolError, decode_message, encode_message
from harness.drivercheck.peers import LOOPBACK, FtpPeer, HttpPeer, RecordingPeer
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
from harness.values import Handle, LuaFunction, LuaTable, LuaValue, lua_repr_all

# -- the start and the end, on the bare process ------------------------------

UNJUDGED_EXIT_GRACE = 2.0
"""Seconds hello and protocol-version let the driver exit after its input ends, never more than the
target's patience: they do not judge that exit (end-of-input does), they only clean up, and a driver
that lingers would otherwise cost each of them the whole grace."""


def _unjudged_grace(target: Target) -> float:
    return min(UNJUDGED_EXIT_GRACE, target.patience)


def check_hello(target: Target) -> CheckResult:
    process, hello = raw_hello(target)
    process.close_input()
    process.finish(_unjudged_grace(target))
    capabilities = ", ".join(sorted(hello.capabilities)) or "none"
    return CheckResult("hello", "PASS", f"{hello.name} {hello.version}; capabilities: {capabilities}")


def check_protocol_version(target: Target) -> CheckResult:
    process, hello = raw_hello(target)
    process.close_input()
    process.finish(_unjudged_grace(target))
    if hello.protocol != PROTOCOL_VERSION:
        raise CheckFailed(f"the driver speaks protocol {hello.protocol}; "
                          f"this harness speaks {PROTOCOL_VERSION}")
    return CheckResult("protocol-version", "PASS", f"protocol {hello.protocol}")


def check_bye(target: Target) -> CheckResult:
    process, _ = raw_hello(target)
    try:
        deadline = time.monotonic() + target.patience
        process.send(encode_message({"type": "bye", "id": 1}), deadline)
        answer = decode_message(process.read_line(deadline))
    except (DriverGone, DriverSilent, ProtocolError) as error:
        process.finish(0.0)
        why = error or f"no answer within {target.patience:g}s"
        raise CheckFailed(f"no bye answer: {why}{stderr_note(process)}") from None
    status = process.finish(target.patience)
    if answer != {"type": "bye", "id": 1}:
        raise CheckFailed(f"bye was answered with {answer!r}, expected {{\"type\": \"bye\", \"id\": 1}}")
    if process.killed or status != 0:
        how = describe_status(status, process.killed)
        raise CheckFailed(f"after bye the driver {how}, expected exit status 0")
    return CheckResult("bye", "PASS", "answered and exited with status 0")


def check_end_of_input(target: Target) -> CheckResult:
    process, _ = raw_hello(target)
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
        raise unexpected(f"global {NO_SUCH_FUNCTION}()", outcome, "unimplemented")
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    outcome = adapter.call(Call("lsconform_no_such_method", (), "method", server, CALL_DEADLINE))
    if not isinstance(outcome, Raised):
        raise unexpected("server:lsconform_no_such_method()", outcome, "a Lua error")
    returned(adapter, "getsockname", target=server)
    return CheckResult("errors", "PASS", f"missing global -> unimplemented; missing method -> error "
                                         f"{outcome.message!r}; the driver carried on")


def check_byte_exact(adapter: DriverAdapter, patience: float) -> CheckResult:
    with RecordingPeer(echo=True) as peer:
        client = connect_to(adapter, peer.port)
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
    """TCP handles always; a UDP one and select's hand-back only where the driver claims them."""
    claimed = adapter.info.capabilities
    server = socket_of(returned(adapter, "bind", LOOPBACK.encode(), 0), "tcp-server", "bind")
    ip, port = returned(adapter, "getsockname", target=server)[:2]
    client = socket_of(returned(adapter, "connect", ip, port), "tcp-client", "connect")
    accepted = socket_of(returned(adapter, "accept", target=server), "tcp-client", "accept")
    numbers = [server.id, client.id, accepted.id]
    if "udp" in claimed:
        numbers.append(socket_of(returned(adapter, "udpsocket"), "udp", "udpsocket").id)
    if len(set(numbers)) != len(numbers):
        raise CheckFailed(f"{len(numbers)} sockets got the handles {numbers}; handles must be unique")
    if "select" not in claimed:
        return CheckResult("handles", "PASS", f"kinds right, handles {numbers} unique (select not claimed, "
                                              "so not used to hand them back)")
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


def _id(value: LuaValue) -> int | None:
    return value.id if isinstance(value, Handle) else None


def check_release(adapter: DriverAdapter, patience: float) -> CheckResult:
    with RecordingPeer(echo=False) as peer:
        client = connect_to(adapter, peer.port)
        adapter.release([client, Handle(999_999)])
        if adapter.failure is not None:
            raise CheckFailed(f"release (of a live handle and an unknown one): {describe(adapter.failure)}")
        if not peer.wait_closed(patience):
            raise CheckFailed("the peer's connection stayed open after its handle was released")
        returned(adapter, "bind", LOOPBACK.encode(), 0)  # and the driver carries on
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
