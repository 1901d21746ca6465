"""The UDP receive fast path: no register around the first attempt, and still safe.

A receive that finds a datagram queued makes one system call without
entering the register of calls (reference/base.py explains why that is
safe). These tests pin the two checks that argument rests on: a receive
never returns data once a close has begun, whether the descriptor is still
held open for a call inside or was released (and perhaps reused) during the
system call; and a tight receive loop closed from another thread ends with
``operation on closed socket`` having returned only its own datagrams.
Also here: the explicit parameters of the UDP methods keep Lua's argument
rules (extra arguments ignored, nil and a missing value told apart).
"""

from __future__ import annotations

import os
import select
import socket
import threading

import pytest
from ref_support import LOOPBACK, Background, Closer

import reference as ls
import reference.udp

CLOSED_ERROR = "operation on closed socket"
OWN = b"own datagram"
STRANGER = b"stranger's datagram"


def wait_readable(sock: object, deadline: float = 5.0) -> None:
    """Block until a datagram is queued on ``sock`` (a plain or a reference socket)."""
    target = sock._sock if isinstance(sock, ls.UdpSocket) else sock
    readable, _, _ = select.select([target], [], [], deadline)
    assert readable, "datagram not delivered in time"


def bound_udp(closer: Closer) -> ls.UdpSocket:
    udp = closer(ls.udpsocket()[0])
    assert udp.setsockname(LOOPBACK, 0) == (None,)
    return udp


def raises_closed(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except ls.LuaError as error:
        return str(error) == CLOSED_ERROR
    return False


# -- a close that has begun always wins ----------------------------------------


def test_receive_after_close_raises_while_a_call_inside_holds_the_descriptor(
        udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    """The descriptor is still open and a datagram is queued, yet nothing is returned."""
    udp._enter()  # a call inside (as one blocked in poll would be) defers the release
    try:
        udp_peer.sendto(OWN, udp.getsockname())
        wait_readable(udp)
        udp.close()
        assert udp._sock.fileno() != -1  # still held for the call inside
        assert raises_closed(udp.receive)  # the fast path's read would succeed here
        assert raises_closed(lambda: udp.receive(5))
        assert raises_closed(udp.receivefrom)
    finally:
        udp._leave()
    assert udp._sock.fileno() == -1  # the last call out released it


@pytest.mark.parametrize("call", ["receive", "receive(n)", "receivefrom"])
def test_receive_after_close_leaves_a_reused_descriptor_alone(
        closer: Closer, udp_peer: socket.socket, call: str) -> None:
    """The freed number went to a new socket with a datagram queued: it stays queued.

    ``receive`` holds the descriptor as a number, so only the closed flag,
    looked at before the read, keeps it from reading the newcomer's datagram.
    """
    udp = bound_udp(closer)
    number = udp._sock.fileno()
    udp.close()
    newcomer = closer(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    if newcomer.fileno() != number:
        pytest.skip(f"descriptor {number} was not reused (got {newcomer.fileno()}): another thread took it")
    newcomer.bind((LOOPBACK, 0))
    udp_peer.sendto(STRANGER, newcomer.getsockname())
    wait_readable(newcomer)
    newcomer.setblocking(False)  # a stray read takes the datagram rather than hanging
    invoke = {"receive": udp.receive, "receive(n)": lambda: udp.receive(100),
              "receivefrom": udp.receivefrom}[call]
    assert raises_closed(invoke)
    assert newcomer.recv(100) == STRANGER


class _OvertakenSocket(socket.socket):
    """An OS socket whose receive is overtaken by a close and a descriptor reuse.

    It plays the one race the fast path leaves to CPython: another thread
    closes the socket while this call is already on its way into the
    kernel, and the freed descriptor number goes to a new socket, so the
    system call reads that socket's datagram. ``receive`` reads the
    descriptor with ``os.read`` rather than ``recv``: the test routes that
    read here too (``route_reads``).
    """

    owner: ls.UdpSocket
    newcomer: socket.socket

    def recv(self, size: int, *flags: int) -> bytes:
        self.owner.close()
        return self.newcomer.recv(size, *flags)

    def recvfrom(self, size: int, *flags: int) -> tuple[bytes, tuple[str, int]]:
        self.owner.close()
        return self.newcomer.recvfrom(size, *flags)


def route_reads(monkeypatch: pytest.MonkeyPatch, overtaken: _OvertakenSocket) -> list[int]:
    """Send the fast path's reads of ``overtaken``'s descriptor to its ``recv``; count them."""
    descriptor = overtaken.fileno()
    routed: list[int] = []

    def read(fd: int, size: int) -> bytes:
        if fd != descriptor:
            return os.read(fd, size)
        routed.append(size)
        return overtaken.recv(size)

    monkeypatch.setattr(reference.udp, "read", read)
    return routed


@pytest.mark.parametrize("call", ["receive", "receive(n)", "receivefrom"])
def test_close_during_the_system_call_never_returns_another_sockets_data(
        closer: Closer, udp_peer: socket.socket, monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    newcomer = closer(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    newcomer.bind((LOOPBACK, 0))
    udp_peer.sendto(STRANGER, newcomer.getsockname())
    wait_readable(newcomer)
    overtaken = closer(_OvertakenSocket(socket.AF_INET, socket.SOCK_DGRAM))
    udp = closer(ls.UdpSocket(overtaken))
    overtaken.owner, overtaken.newcomer = udp, newcomer
    routed = route_reads(monkeypatch, overtaken)
    invoke = {"receive": udp.receive, "receive(n)": lambda: udp.receive(100),
              "receivefrom": udp.receivefrom}[call]
    assert raises_closed(invoke)
    newcomer.setblocking(False)
    with pytest.raises(BlockingIOError):  # the race did take the stranger's datagram
        newcomer.recv(100)
    assert len(routed) == (0 if call == "receivefrom" else 1)


def test_tight_receive_loop_closed_from_another_thread(closer: Closer, udp_peer: socket.socket) -> None:
    """Rounds of: a thread drains queued datagrams in a tight loop, the main thread closes.

    Each round must end in ``operation on closed socket``, having returned
    only this socket's own datagrams (or timeouts once drained), even
    though the main thread immediately opens new sockets that are likely to
    get the freed descriptor number and have datagrams waiting.
    """
    for _ in range(40):
        udp = bound_udp(closer)
        udp.timeout(0)  # once drained, each call is a zero-length wait: the slow path
        for _ in range(64):
            udp_peer.sendto(OWN, udp.getsockname())
        wait_readable(udp)
        first_returned = threading.Event()

        def tight_loop(udp: ls.UdpSocket = udp,
                       first_returned: threading.Event = first_returned) -> set[object]:
            seen: set[object] = set()
            try:
                while True:
                    seen.add(udp.receive())
                    seen.add(udp.receivefrom()[:1])
                    first_returned.set()
            except ls.LuaError as error:
                seen.add(str(error))
                return seen

        running = Background(tight_loop)
        assert first_returned.wait(5.0)
        udp.close()
        for _ in range(3):  # newcomers, likely on the freed number, each with a datagram waiting
            newcomer = closer(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            newcomer.bind((LOOPBACK, 0))
            udp_peer.sendto(STRANGER, newcomer.getsockname())
        seen = running.join(5.0)
        assert running.error is None, running.error
        assert CLOSED_ERROR in seen
        assert seen <= {(OWN,), (None, "timeout"), (None,), CLOSED_ERROR}, seen


# -- explicit parameters, Lua's argument rules ------------------------------------


def test_extra_arguments_are_ignored(udp: ls.UdpSocket, udp_peer: socket.socket) -> None:
    udp_peer.sendto(OWN, udp.getsockname())
    assert udp.receive(None, 1, "x") == (OWN,)  # a nil size is the default size
    udp_peer.sendto(OWN, udp.getsockname())
    assert udp.receive(3, None, 7) == (OWN[:3],)
    udp_peer.sendto(OWN, udp.getsockname())
    assert udp.receive(None, "a", "b", "c") == (OWN,)  # three extras: the most receive takes
    udp_peer.sendto(OWN, udp.getsockname())
    assert udp.receivefrom(None, 2) == (OWN, *udp_peer.getsockname())
    assert udp.sendto(OWN, *udp_peer.getsockname(), "extra", None) == (None,)
    assert udp_peer.recv(100) == OWN
    assert udp.setpeername(*udp_peer.getsockname()) == (None,)
    assert udp.send(OWN, 1, 2) == (None,)
    assert udp_peer.recv(100) == OWN


def test_receive_takes_at_most_three_extra_arguments(udp: ls.UdpSocket) -> None:
    """R9's one bound (DIVERGENCES.md): named parameters keep the per-datagram call specialisable."""
    with pytest.raises(TypeError):
        udp.receive(None, 1, 2, 3, 4)


@pytest.mark.parametrize(("args", "message"), [
    ((), "string expected, got no value"),
    ((None,), "string expected, got no value"),  # a trailing nil is an absent argument
    ((None, 5), "string expected, got nil"),  # a nil followed by a value is a nil
    ((b"x",), "string expected, got no value"),
    ((b"x", None, 5), "string expected, got nil"),
    ((b"x", LOOPBACK), "number expected, got no value"),
    ((b"x", LOOPBACK, None, None), "number expected, got no value"),
    ((b"x", LOOPBACK, None, 1), "number expected, got nil"),
])
def test_sendto_tells_nil_from_a_missing_argument(udp: ls.UdpSocket, args: tuple[object, ...],
                                                  message: str) -> None:
    with pytest.raises(ls.LuaError) as raised:
        udp.sendto(*args)
    assert str(raised.value) == message


@pytest.mark.parametrize(("args", "message"), [
    ((), "string expected, got no value"),
    ((None,), "string expected, got no value"),
    ((None, 1), "string expected, got nil"),
    (({},), "string expected, got table"),
])
def test_send_tells_nil_from_a_missing_argument(udp: ls.UdpSocket, udp_peer: socket.socket,
                                                args: tuple[object, ...], message: str) -> None:
    udp.setpeername(*udp_peer.getsockname())
    with pytest.raises(ls.LuaError) as raised:
        udp.send(*args)
    assert str(raised.value) == message


def test_a_kept_receive_keeps_reading_its_own_socket(closer: Closer, udp_peer: socket.socket) -> None:
    """``receive`` taken from a socket reads that socket, and raises once it is closed."""
    first, second = bound_udp(closer), bound_udp(closer)
    receive = first.receive
    udp_peer.sendto(OWN, second.getsockname())
    udp_peer.sendto(STRANGER, first.getsockname())
    wait_readable(first)
    assert receive() == (STRANGER,)
    assert ls.receive(second) == (OWN,)
    first.close()
    assert raises_closed(receive)


# -- sends keep the register ---------------------------------------------------------
#
# On loopback a UDP send never finds the buffer full, so these hand ``_send``
# a transmit function that plays the kernel's answers.


def test_send_waits_for_room_then_sends(udp: ls.UdpSocket) -> None:
    attempts: list[tuple[object, ...]] = []

    def full_then_room(*arguments: object) -> int:
        attempts.append(arguments)
        if len(attempts) == 1:
            raise BlockingIOError
        return 1

    assert udp._send(full_then_room, b"x") == (None,)
    assert attempts == [(b"x",), (b"x",)]


def test_send_refused_by_an_icmp_error(udp: ls.UdpSocket) -> None:
    def refused(*_arguments: object) -> int:
        raise ConnectionRefusedError

    assert udp._send(refused, b"x") == ("refused",)


def test_send_closed_while_waiting_for_room_raises_and_releases(udp: ls.UdpSocket) -> None:
    def full_and_closed_meanwhile(*_arguments: object) -> int:
        assert udp._inside, "a send must be in the register before its system call"
        udp.close()
        assert udp._sock.fileno() != -1  # held for the send inside
        raise BlockingIOError

    assert raises_closed(lambda: udp._send(full_and_closed_meanwhile, b"x"))
    assert udp._sock.fileno() == -1
