"""UDP sockets (spec §8): options, names, send/receive, truncation, peers, refused."""

from __future__ import annotations

import socket

import pytest
from ref_support import LOOPBACK, Closer, invoke, timed

import reference as ls


def new_udp(closer: Closer, *options: object) -> ls.UdpSocket:
    result = ls.udpsocket(*options)
    assert len(result) == 1, result
    return closer(result[0])


# -- creation and options ---------------------------------------------------


@pytest.mark.parametrize("options", [(), (None,), ({},), ([],)])
def test_udpsocket_without_options(closer: Closer, options: tuple[object, ...]) -> None:
    """An explicit nil counts as absent (the original raised: DIVERGENCES #14)."""
    sock = new_udp(closer, *options)
    assert sock.kind == "udp"


@pytest.mark.parametrize("options", ["x", 5, b"opts"])
def test_options_must_be_a_table(options: object) -> None:
    with pytest.raises(ls.LuaError) as raised:
        ls.udpsocket(options)
    assert str(raised.value) == "invalid options"


@pytest.mark.parametrize("options", [
    {"SO_KEEPALIVE": 1}, {"SO_DONTROUTE": 0}, {"SO_BROADCAST": "1"},
    {"SO_LINGER": {"l_onoff": 1, "l_linger": 2}}, {b"SO_BROADCAST": 1},
])
def test_known_options_are_accepted(closer: Closer, options: dict[object, object]) -> None:
    assert new_udp(closer, options).kind == "udp"


@pytest.mark.parametrize(("options", "message"), [
    ({"SO_KEEPALIVE": "yes"}, "invalid SO_KEEPALIVE value"),
    ({"SO_DONTROUTE": {}}, "invalid SO_DONTROUTE value"),
    ({"SO_BROADCAST": None}, "invalid SO_BROADCAST value"),
    ({"SO_LINGER": 5}, "invalid SO_LINGER value"),
    ({"SO_LINGER": {"l_onoff": "on", "l_linger": 1}}, "invalid SO_LINGER (l_onoff) value"),
    ({"SO_LINGER": {"l_onoff": 1}}, "invalid SO_LINGER (l_linger) value"),
    ({"SO_LINGER": [1, 2]}, "invalid SO_LINGER (l_onoff) value"),  # an array is a table without the fields
    ({"so_broadcast": 1}, "error setting option"),
    ({"SO_KEEPALIVE": 2**31}, "error setting option"),  # no C int holds it
    ({"SO_BROADCAST": -(2**31) - 1}, "error setting option"),
    ({"SO_KEEPALIVE": 1e10}, "error setting option"),
    ({"SO_DONTROUTE": float("inf")}, "error setting option"),
    ({"SO_LINGER": {"l_onoff": 1, "l_linger": 2**40}}, "error setting option"),
    ({"SO_RCVBUF": 1}, "error setting option"),
    ({1: 1}, "error setting option"),
    ([1], "error setting option"),
])
def test_bad_options_return_nil_and_message(options: object, message: str) -> None:
    """Returned, as the manual says of udpsocket's errors (the original raised: DIVERGENCES #24)."""
    assert ls.udpsocket(options) == (None, message)


def test_bad_option_socket_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket made before the bad option was found is not left open."""
    made: list[socket.socket] = []
    real_socket = socket.socket

    def recording_socket(*args: object) -> socket.socket:
        sock = real_socket(*args)  # type: ignore[call-overload]
        made.append(sock)
        return sock

    monkeypatch.setattr(socket, "socket", recording_socket)
    assert ls.udpsocket({"SO_KEEPALIVE": 1, "SO_RCVBUF": 1}) == (None, "error setting option")
    assert len(made) == 1 and made[0].fileno() == -1


def test_broadcast_option_allows_a_broadcast_peer(closer: Closer) -> None:
    sock = new_udp(closer, {"SO_BROADCAST": 1})
    assert sock.setpeername("255.255.255.255", 9) == (None,)


# -- names -------------------------------------------------------------------


def test_unbound_socket_has_no_name(closer: Closer, style: str) -> None:
    """nil until bound (manual; the original said "0.0.0.0", 0: DIVERGENCES #27)."""
    sock = new_udp(closer)
    assert invoke(style, sock, "getsockname") == (None,)
    assert invoke(style, sock, "getpeername") == (None,)


def test_setsockname_binds(closer: Closer, style: str) -> None:
    sock = new_udp(closer)
    assert invoke(style, sock, "setsockname", "*", 0) == (None,)
    ip, port = invoke(style, sock, "getsockname")
    assert ip == "0.0.0.0" and port > 0


def test_two_sockets_may_share_a_port(udp: ls.UdpSocket, closer: Closer) -> None:
    """Both set SO_REUSEADDR before binding, as the original did (spec §8.2)."""
    other = new_udp(closer)
    assert other.setsockname(*udp.getsockname()) == (None,)


def test_setsockname_resolves_names(closer: Closer) -> None:
    sock = new_udp(closer)
    assert sock.setsockname("localhost", 0) == (None,)
    assert sock.getsockname()[0] == LOOPBACK


def test_failed_setsockname_leaves_the_socket_usable(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    """The message is returned and the socket still works (the original closed it: #25)."""
    address = udp.getsockname()
    assert udp.setsockname(LOOPBACK, 0) == ("socket already bound",)
    assert udp.getsockname() == address
    assert udp.setsockname("no-such-host.invalid", 0) == ("host not found",)
    udp_peer.sendto(b"still here", address)
    assert udp.receive() == (b"still here",)


def test_setpeername_and_getpeername(udp: ls.UdpSocket, udp_peer: socket.socket, style: str) -> None:
    assert invoke(style, udp, "setpeername", *udp_peer.getsockname()) == (None,)
    assert invoke(style, udp, "getpeername") == udp_peer.getsockname()


def test_failed_setpeername_leaves_the_socket_unconnected(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    assert udp.setpeername("*", 9) == ("host not found",)
    assert udp.setpeername("255.255.255.255", 9) == ("access denied",)
    with pytest.raises(ls.LuaError, match="send on unconnected socket"):
        udp.send(b"x")
    assert udp.sendto(b"ok", *udp_peer.getsockname()) == (None,)
    assert udp_peer.recv(10) == b"ok"


def test_first_sendto_binds_an_ephemeral_port(closer: Closer, udp_peer: socket.socket) -> None:
    sock = new_udp(closer)
    assert sock.sendto(b"hi", *udp_peer.getsockname()) == (None,)
    ip, port = sock.getsockname()
    assert ip == "0.0.0.0" and port > 0
    assert udp_peer.recvfrom(10) == (b"hi", (LOOPBACK, port))


# -- sending -----------------------------------------------------------------


def test_sendto_returns_nil(udp: ls.UdpSocket, udp_peer: socket.socket, style: str) -> None:
    """Just nil on success (manual; the original added the byte count: #23)."""
    assert invoke(style, udp, "sendto", b"payload", *udp_peer.getsockname()) == (None,)
    assert udp_peer.recvfrom(100) == (b"payload", udp.getsockname())


def test_sendto_accepts_short_ip_forms_and_numeric_ports(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    assert udp.sendto(12, "127.1", str(udp_peer.getsockname()[1])) == (None,)
    assert udp_peer.recv(10) == b"12"


@pytest.mark.parametrize("host", ["localhost", "*", "no-such-host.invalid"])
def test_sendto_needs_an_ip_address(udp: ls.UdpSocket, host: str) -> None:
    with pytest.raises(ls.LuaError, match="invalid ip address"):
        udp.sendto(b"x", host, 9)


def test_oversized_datagram_is_refused(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    assert udp.sendto(b"x" * 70000, *udp_peer.getsockname()) == ("refused",)


def test_send_needs_a_peer_and_then_works(udp: ls.UdpSocket, udp_peer: socket.socket, style: str) -> None:
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, udp, "send", b"x")
    assert str(raised.value) == "send on unconnected socket"
    udp.setpeername(*udp_peer.getsockname())
    assert invoke(style, udp, "send", b"to peer") == (None,)
    assert udp_peer.recv(100) == b"to peer"
    with pytest.raises(ls.LuaError, match="sendto on connected socket"):
        invoke(style, udp, "sendto", b"x", *udp_peer.getsockname())


def test_large_datagrams_can_be_sent(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    assert udp.sendto(b"b" * 9000, *udp_peer.getsockname()) == (None,)
    assert len(udp_peer.recv(65535)) == 9000


# -- receiving ---------------------------------------------------------------


def test_receive_whole_datagrams(udp: ls.UdpSocket, udp_peer: socket.socket, style: str) -> None:
    """Up to 65535 bytes by default (the original capped at 4096: #26)."""
    big = bytes(range(256)) * 40
    udp_peer.sendto(big, udp.getsockname())
    udp_peer.sendto(b"", udp.getsockname())
    assert invoke(style, udp, "receive") == (big,)
    assert invoke(style, udp, "receive") == (b"",)


def test_receive_truncates_and_discards_the_rest(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    for data in (b"first datagram", b"second", b"third one", b"fourth"):
        udp_peer.sendto(data, udp.getsockname())
    assert udp.receive(5) == (b"first",)
    assert udp.receive("3") == (b"sec",)
    assert udp.receive(0) == (b"",)  # "third one" is consumed
    assert udp.receive(-1) == (b"fourth",)  # negative means the maximum
    udp_peer.sendto(b"fifth", udp.getsockname())
    assert udp.receive(None) == (b"fifth",)  # a trailing nil is an absent size


def test_receivefrom_names_the_sender(udp: ls.UdpSocket, udp_peer: socket.socket, style: str) -> None:
    udp_peer.sendto(b"from peer", udp.getsockname())
    assert invoke(style, udp, "receivefrom") == (b"from peer", *udp_peer.getsockname())
    udp_peer.sendto(b"truncated", udp.getsockname())
    assert invoke(style, udp, "receivefrom", 4) == (b"trun", *udp_peer.getsockname())


def test_receivefrom_on_connected_socket_raises(udp: ls.UdpSocket, udp_peer: socket.socket,
                                                style: str) -> None:
    udp.setpeername(*udp_peer.getsockname())
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, udp, "receivefrom")
    assert str(raised.value) == "receivefrom on connected socket"


def test_peer_filtering_drops_other_sources(udp: ls.UdpSocket, udp_peer: socket.socket,
                                            closer: Closer) -> None:
    stranger = closer(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    udp.setpeername(*udp_peer.getsockname())
    stranger.sendto(b"from stranger", udp.getsockname())
    udp_peer.sendto(b"from peer", udp.getsockname())
    assert udp.receive() == (b"from peer",)
    udp.timeout(0.1)
    assert udp.receive() == (None, "timeout")


def test_receive_times_out(udp: ls.UdpSocket, style: str) -> None:
    invoke(style, udp, "timeout", 0.2)
    result, took = timed(lambda: invoke(style, udp, "receive"))
    assert result == (None, "timeout")
    assert 0.18 <= took <= 1.5
    udp.timeout(0.2, "r")
    result, took = timed(lambda: invoke(style, udp, "receivefrom"))
    assert result == (None, "timeout")
    assert 0.18 <= took <= 1.5


def test_refused_on_a_connected_socket(udp: ls.UdpSocket, free_port: int) -> None:
    """Sending to a closed port succeeds; the ICMP error shows up on the next operation."""
    udp.timeout(2)
    assert udp.setpeername(LOOPBACK, free_port) == (None,)
    assert udp.send(b"anyone?") == (None,)
    assert udp.receive() == (None, "refused")


def test_unconnected_socket_never_sees_refused(udp: ls.UdpSocket, free_port: int) -> None:
    udp.timeout(0.2)
    assert udp.sendto(b"anyone?", LOOPBACK, free_port) == (None,)
    assert udp.receive() == (None, "timeout")


# -- close ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), [
    ("receive", ()), ("receivefrom", ()), ("send", (b"x",)), ("sendto", (b"x", LOOPBACK, 9)),
    ("setpeername", (LOOPBACK, 9)), ("setsockname", (LOOPBACK, 0)), ("getsockname", ()),
    ("getpeername", ()), ("timeout", (1,)),
])
def test_methods_on_closed_socket_raise(udp: ls.UdpSocket, style: str, name: str,
                                        args: tuple[object, ...]) -> None:
    assert invoke(style, udp, "close") == ()
    assert invoke(style, udp, "close") == ()
    with pytest.raises(ls.LuaError) as raised:
        invoke(style, udp, name, *args)
    assert str(raised.value) == "operation on closed socket"


@pytest.mark.parametrize(("name", "args"), [
    ("receive", ("x",)), ("receivefrom", ("x",)), ("send", ()), ("sendto", ()), ("sendto", (b"x", {}, 9)),
    ("setpeername", ("h",)), ("setsockname", ()), ("timeout", ("x",)),
])
def test_the_closed_check_comes_before_the_arguments(udp: ls.UdpSocket, name: str,
                                                      args: tuple[object, ...]) -> None:
    """As 1.3b's methods found their socket before reading an argument (spec §1.5)."""
    udp.close()
    with pytest.raises(ls.LuaError) as raised:
        getattr(udp, name)(*args)
    assert str(raised.value) == "operation on closed socket"


def test_udp_method_set_follows_the_manual(udp: ls.UdpSocket) -> None:
    names = {"close", "getpeername", "getsockname", "receive", "receivefrom", "send", "sendto",
             "setpeername", "setsockname", "timeout"}
    assert all(callable(getattr(udp, name)) for name in names)
    assert not hasattr(udp, "accept")
    with pytest.raises(ls.LuaError, match=r"attempt to call a nil value \(method 'accept'\)"):
        ls.accept(udp)
