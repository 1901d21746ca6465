"""Whatever a caller passes, a call returns a tuple or raises LuaError, nothing else.

Random Lua-ish arguments are thrown at every method that cannot reach the
outside world (no host names, no foreign addresses) with zero timeouts, so
nothing blocks. A Python exception of any other kind would be a traceback in
a harness, which the mapping forbids.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ref_support import LOOPBACK, Closer, TcpPair

import reference as ls

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["*l", "*lu", "*a", "*w", "b", "r", "", "10", "-1", "0x10", "1e400", "\u20ac",
                     "SO_LINGER"]),
    st.binary(max_size=8), st.text(max_size=4),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(scalars.filter(
    lambda v: v is None or isinstance(v, (str, bytes, int, bool))), inner, max_size=3), max_leaves=6)
argument_lists = st.lists(values, max_size=4).map(tuple)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def call_safely(function: Callable[..., object], args: tuple[object, ...]) -> None:
    try:
        result = function(*args)
    except ls.LuaError as error:
        assert isinstance(error.message, str) and str(error) == error.message
        return
    assert isinstance(result, tuple)


@pytest.mark.parametrize("name", ["receive", "send", "timeout", "getsockname", "getpeername"])
@FUZZ
@given(args=argument_lists)
def test_tcp_client_methods(pair: TcpPair, name: str, args: tuple[object, ...]) -> None:
    pair.sock.timeout(0)
    pair.sock.timeout(0, "r")
    call_safely(getattr(pair.sock, name), args)
    call_safely(getattr(ls, name), (pair.sock, *args))


@pytest.mark.parametrize("name", ["accept", "timeout", "getsockname"])
@FUZZ
@given(args=argument_lists)
def test_tcp_server_methods(server: ls.TcpServer, name: str, args: tuple[object, ...]) -> None:
    server.timeout(0)
    result = getattr(server, name)  # accept with timeout 0 never blocks
    call_safely(result, args)
    for sock in ls.select([server], None, 0)[0]:
        sock.accept()[0].close()


@pytest.mark.parametrize("name", ["receive", "receivefrom", "send", "timeout", "getsockname", "getpeername"])
@FUZZ
@given(args=argument_lists)
def test_udp_methods(udp: ls.UdpSocket, udp_peer: socket.socket, name: str, args: tuple[object, ...]) -> None:
    if udp.getpeername() == (None,):
        udp.setpeername(*udp_peer.getsockname())
    udp.timeout(0)
    udp.timeout(0, "r")
    call_safely(getattr(udp, name), args)


@FUZZ
@given(readset=values, writeset=values)
def test_select_sets(pair: TcpPair, readset: object, writeset: object) -> None:
    if isinstance(readset, list):
        readset = [*readset, pair.sock]
    call_safely(ls.select, (readset, writeset, 0))


@FUZZ
@given(args=argument_lists)
def test_udpsocket_options(closer: Closer, args: tuple[object, ...]) -> None:
    try:
        result = ls.udpsocket(*args)
    except ls.LuaError:
        return
    assert isinstance(result, tuple)
    if result[0] is not None:
        closer(result[0])


@FUZZ
@given(first=values, rest=argument_lists)
def test_globals_reject_non_sockets(first: object, rest: tuple[object, ...]) -> None:
    for name in ("receive", "send", "close", "timeout", "accept", "sendto", "setpeername"):
        with pytest.raises(ls.LuaError, match="invalid socket object"):
            getattr(ls, name)(first, *rest)


@pytest.mark.parametrize("function", [ls.connect, ls.bind, ls.toip, ls.tohostname])
@FUZZ
@given(address=st.one_of(st.none(), st.booleans(), st.lists(scalars, max_size=2),
                         st.dictionaries(st.text(), scalars)),
       rest=argument_lists)
def test_creators_reject_non_text_addresses(function: Callable[..., object], address: object,
                                            rest: tuple[object, ...]) -> None:
    """Only non-text addresses: a random string or number could reach a real host."""
    with pytest.raises(ls.LuaError):
        function(address, *rest)


def test_bind_with_odd_ports_and_backlogs(closer: Closer) -> None:
    for port, backlog in ((0.5, -3), ("0", 2**40), (-65536, "1e3"), (0, float("nan"))):
        result = ls.bind(LOOPBACK, port, backlog)
        assert len(result) == 1, result
        closer(result[0])
