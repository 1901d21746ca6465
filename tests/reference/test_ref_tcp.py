"""TCP creation, names, accept and close, in both call styles (spec §5, §1.5, §1.6)."""

from __future__ import annotations

import socket
import time

import pytest
from ref_support import LOOPBACK, Background, Closer, TcpPair, invoke

import reference as ls


def test_bind_returns_only_the_server(closer: Closer) -> None:
    result = ls.bind(LOOPBACK, 0)
    closer(result[0])
    assert len(result) == 1
    assert result[0].kind == "tcp-server"


def test_server_names_its_address(server: ls.TcpServer, style: str) -> None:
    ip, port = invoke(style, server, "getsockname")
    assert ip == LOOPBACK
    assert isinstance(port, int) and port > 0


@pytest.mark.parametrize(("address", "ip"),
                         [("*", "0.0.0.0"), ("localhost", "127.0.0.1"), ("127.1", LOOPBACK)])
def test_bind_addresses(address: str, ip: str, closer: Closer) -> None:
    server = closer(ls.bind(address, 0)[0])
    assert server.getsockname()[0] == ip


def test_connect_and_accept_pair_up(server: ls.TcpServer, closer: Closer, style: str) -> None:
    ip, port = server.getsockname()
    client = closer(ls.connect(ip, port)[0])
    accepted = invoke(style, server, "accept")
    assert len(accepted) == 1
    peer = closer(accepted[0])
    assert peer.kind == "tcp-client"
    assert invoke(style, client, "getpeername") == (ip, port)
    assert invoke(style, peer, "getpeername") == client.getsockname()
    assert invoke(style, peer, "getsockname") == (ip, port)


def test_connect_accepts_numeric_string_port(listener: socket.socket, closer: Closer) -> None:
    ip, port = listener.getsockname()
    assert closer(ls.connect(ip, str(port))[0]).getpeername() == (ip, port)


def test_a_number_as_address_is_its_text(listener: socket.socket, closer: Closer) -> None:
    """2130706433 becomes "2130706433", which inet_aton reads as 127.0.0.1 (spec §2)."""
    port = listener.getsockname()[1]
    assert closer(ls.connect(2130706433, port)[0]).getpeername() == (LOOPBACK, port)


def test_connect_refused_returns_the_message(free_port: int) -> None:
    assert ls.connect(LOOPBACK, free_port) == (None, "connection refused")


# no C string holds a NUL: such a name fails like an unknown one (R7)
@pytest.mark.parametrize("host", ["no-such-host.invalid", "*", "127.0.0.1\0junk"])
def test_connect_to_unknown_host(host: str) -> None:
    assert ls.connect(host, 80) == (None, "host not found")


def test_bind_port_in_use(server: ls.TcpServer) -> None:
    assert ls.bind(LOOPBACK, server.getsockname()[1]) == (None, "address already in use")


def test_bind_foreign_address_is_unavailable() -> None:
    assert ls.bind("192.0.2.1", 0) == (None, "address unavailable")


def test_bind_backlog_absent_or_nil_or_number(closer: Closer) -> None:
    """An explicit nil backlog is the default (the original raised: DIVERGENCES #14)."""
    for args in ((), (None,), (5,), ("3",)):
        assert closer(ls.bind(LOOPBACK, 0, *args)[0]).kind == "tcp-server"
    with pytest.raises(ls.LuaError, match="number expected, got string"):
        ls.bind(LOOPBACK, 0, "many")


@pytest.mark.parametrize(("args", "message"), [
    ((), "string expected, got no value"),
    ((None, 80), "string expected, got nil"),
    ((LOOPBACK,), "number expected, got no value"),
    ((LOOPBACK, "http"), "number expected, got string"),
])
def test_creator_argument_errors(args: tuple[object, ...], message: str) -> None:
    for creator in (ls.connect, ls.bind):
        with pytest.raises(ls.LuaError) as raised:
            creator(*args)
        assert str(raised.value) == message


def test_accept_waits_within_its_timeout(server: ls.TcpServer, style: str) -> None:
    invoke(style, server, "timeout", 0.2)
    began = time.monotonic()
    assert invoke(style, server, "accept") == (None, "timeout")
    assert 0.18 <= time.monotonic() - began <= 1.5


def test_accept_with_zero_timeout_returns_at_once(server: ls.TcpServer) -> None:
    server.timeout(0)
    began = time.monotonic()
    assert server.accept() == (None, "timeout")
    assert time.monotonic() - began < 0.5


def test_accept_blocks_until_a_client_comes(server: ls.TcpServer, closer: Closer) -> None:
    waiting = Background(server.accept)
    client = closer(ls.connect(*server.getsockname())[0])
    accepted = waiting.join()
    closer(accepted[0])
    assert accepted[0].getpeername() == client.getsockname()


def test_accepted_socket_starts_without_limits(server: ls.TcpServer, closer: Closer) -> None:
    server.timeout(0.05)
    server.timeout(0.05, "r")
    client = closer(socket.create_connection(server.getsockname()))
    accepted = closer(server.accept()[0])
    receiving = Background(accepted.receive)
    time.sleep(0.3)  # longer than the server's limits: the accepted socket must still be waiting
    client.sendall(b"late\n")
    assert receiving.join() == (b"late", None)


def test_close_returns_nothing_and_may_repeat(pair: TcpPair, server: ls.TcpServer, style: str) -> None:
    for sock in (pair.sock, server):
        assert invoke(style, sock, "close") == ()
        assert invoke(style, sock, "close") == ()


def test_close_frees_the_address(closer: Closer) -> None:
    server = ls.bind(LOOPBACK, 0)[0]
    port = server.getsockname()[1]
    server.close()
    assert closer(ls.bind(LOOPBACK, port)[0]).getsockname() == (LOOPBACK, port)


@pytest.mark.parametrize(("name", "args"), [
    ("receive", ()), ("send", (b"x",)), ("getsockname", ()), ("getpeername", ()), ("timeout", (1,)),
])
def test_client_methods_on_closed_socket_raise(pair: TcpPair, style: str, name: str,
                                               args: tuple[object, ...]) -> None:
    pair.sock.close()
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, pair.sock, name, *args)
    assert str(raised.value) == "operation on closed socket"


@pytest.mark.parametrize(("name", "args"), [("accept", ()), ("getsockname", ()), ("timeout", (1,))])
def test_server_methods_on_closed_socket_raise(server: ls.TcpServer, style: str, name: str,
                                               args: tuple[object, ...]) -> None:
    server.close()
    with pytest.raises(ls.LuaError, match="operation on closed socket"):
        invoke(style, server, name, *args)


def test_method_sets_follow_the_manual(pair: TcpPair, server: ls.TcpServer) -> None:
    client_methods = {"close", "getsockname", "getpeername", "receive", "send", "timeout"}
    server_methods = {"accept", "close", "getsockname", "timeout"}
    everything = client_methods | server_methods | {"receivefrom", "sendto", "setpeername", "setsockname"}
    assert {name for name in everything if hasattr(pair.sock, name)} == client_methods
    assert {name for name in everything if hasattr(server, name)} == server_methods


@pytest.mark.parametrize(("function", "args"), [(ls.accept, ()), (ls.sendto, (b"x", LOOPBACK, 9)),
                                                (ls.receivefrom, ()), (ls.setpeername, (LOOPBACK, 9))])
def test_global_on_a_kind_without_that_method_raises(pair: TcpPair, function: object,
                                                     args: tuple[object, ...]) -> None:
    with pytest.raises(ls.LuaError) as raised:
        function(pair.sock, *args)  # type: ignore[operator]
    assert str(raised.value) == f"attempt to call a nil value (method '{function.__name__}')"  # type: ignore[attr-defined]


@pytest.mark.parametrize("first", [None, 42, b"sock", {}, [], "x"])
def test_global_needs_a_socket_object(first: object) -> None:
    for function in (ls.receive, ls.close, ls.timeout, ls.getsockname):
        with pytest.raises(ls.LuaError, match="invalid socket object"):
            function(first)
    with pytest.raises(ls.LuaError, match="invalid socket object"):
        ls.send()


def test_sockets_take_user_fields(pair: TcpPair, server: ls.TcpServer) -> None:
    pair.sock.number = 7  # type: ignore[attr-defined]
    server.is_server = True  # type: ignore[attr-defined]
    readable, _, _ = ls.select([server, pair.sock], None, 0)
    assert pair.sock.number == 7  # type: ignore[attr-defined]
    assert readable == []


def test_extra_arguments_are_ignored(pair: TcpPair) -> None:
    assert pair.sock.getsockname("extra", 1) == pair.sock.getsockname()
    assert pair.sock.close("extra") == ()
