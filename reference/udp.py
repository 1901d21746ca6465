"""UDP sockets: ``udpsocket`` and its methods (spec §8).

Datagrams are atomic: a receive returns at most the requested size and the
rest of that datagram is discarded. Up to 65,535 bytes can be received (the
manual's "maximum datagram size"; the 2001 code capped it at 4,096,
DIVERGENCES.md #26). Successful sends return ``(None,)`` as the manual says.
Failures of ``setsockname``/``setpeername`` return the message and leave the
socket usable (#25).

A receive first makes one non-blocking system call outside the register of
calls, and enters it only to wait (base.py, "The receive fast path");
``receive`` itself is a closure per socket (:func:`_fast_receive`), the
cheapest Python around the per-datagram system call. Sends always enter.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from os import read

from reference.args import (
    check_data,
    check_number,
    check_port,
    check_text,
    is_absent,
    settle,
    truncate,
)
from reference.base import READABLE, WRITABLE, SocketBase
from reference.errors import CLOSED, REFUSED, TIMEOUT, LuaError, closed_socket_error
from reference.netaddr import (
    BIND_MESSAGES,
    CONNECT_MESSAGES,
    CREATE_MESSAGES,
    UNKNOWN_ERROR,
    os_message,
    parse_ip,
    resolve,
)
from reference.sockopts import OptionError, apply_options

MAX_DATAGRAM = 65535


Receiver = Callable[..., tuple[object, ...]]


class UdpSocket(SocketBase):
    """A UDP socket; "connected" once ``setpeername`` succeeded.

    ``receive`` is a per-socket closure made by :func:`_fast_receive`, set
    on each instance rather than defined on the class: it is the
    per-datagram path, and calling a closure skips building a bound method
    and looking up instance attributes.
    """

    kind = "udp"
    receive: Receiver

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._connected = False
        self.receive, self._stop_fast_receive = _fast_receive(self, sock.fileno())

    def close(self, *_ignored: object) -> tuple[()]:
        """``sock:close()``: as for every socket, after flagging ``receive`` closed.

        The flag must be up before the descriptor can be released: the fast
        path of ``receive`` checks it before and after its system call
        (base.py).
        """
        self._stop_fast_receive()
        return super().close()

    # -- addresses ----------------------------------------------------------

    def getsockname(self, *_ignored: object) -> tuple[str, int] | tuple[None]:
        """Local ``(ip, port)``; ``(None,)`` while the socket is still unbound."""
        address = super().getsockname()
        return (None,) if address[0] is None or address[-1] == 0 else address

    def getpeername(self, *_ignored: object) -> tuple[str, int] | tuple[None]:
        """The peer's ``(ip, port)``; ``(None,)`` before ``setpeername``."""
        return self._address(self._sock.getpeername)

    def setsockname(self, *args: object) -> tuple[str | None]:
        """``setsockname(address, port)``: bind; ``(None,)`` or ``(message,)``.

        ``"*"`` is every local interface, port 0 an ephemeral port.
        """
        if self._closed:
            raise closed_socket_error()
        address, port_value = settle(args, 2)
        host, port = check_text(address), check_port(port_value)
        targets = ["0.0.0.0"] if host == "*" else resolve(host)
        return self._try_addresses(targets, port, self._bind, BIND_MESSAGES)

    def setpeername(self, *args: object) -> tuple[str | None]:
        """``setpeername(address, port)``: fix the peer; ``(None,)`` or ``(message,)``.

        Afterwards ``send``/``receive`` must be used, and datagrams from other
        sources are dropped by the OS.
        """
        if self._closed:
            raise closed_socket_error()
        address, port_value = settle(args, 2)
        host, port = check_text(address), check_port(port_value)
        return self._try_addresses(resolve(host), port, self._connect, CONNECT_MESSAGES)

    def _bind(self, ip: str, port: int) -> None:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((ip, port))

    def _connect(self, ip: str, port: int) -> None:
        self._sock.connect((ip, port))
        self._connected = True

    def _try_addresses(self, targets: list[str] | str, port: int, action: Callable[[str, int], None],
                       messages: Mapping[int, str]) -> tuple[str | None]:
        if isinstance(targets, str):
            return (targets,)
        message = UNKNOWN_ERROR
        self._enter()
        try:
            for ip in targets:
                try:
                    action(ip, port)
                except OSError as error:
                    message = os_message(error, messages)
                    continue
                return (None,)
        finally:
            self._leave()
        return (message,)

    # -- sending ------------------------------------------------------------
    #
    # Named parameters rather than one ``*args`` list for ``settle``: the
    # common call (no nil among them) skips it. A None among them sends the
    # whole argument list through ``settle``, so ``sendto(nil, ...)`` and a
    # missing argument still differ in their error text.

    def sendto(self, data: object = None, ip: object = None, port: object = None,
               *extra: object) -> tuple[str | None]:
        """``sendto(data, ip, port)``: ``(None,)``, ``("timeout",)`` or ``("refused",)``.

        ``ip`` must be an IP address (no host names, for speed, says the
        manual). An unbound socket gets an ephemeral port on 0.0.0.0.
        """
        if self._closed:
            raise closed_socket_error()
        if data is None or ip is None or port is None:
            data, ip, port = settle((data, ip, port, *extra), 3)
        payload = check_data(data)
        ip_text, port_number = check_text(ip), check_port(port)
        if self._connected:
            raise LuaError("sendto on connected socket")
        address = parse_ip(ip_text)
        if address is None:
            raise LuaError("invalid ip address")
        return self._send(self._sock.sendto, payload, (address, port_number))

    def send(self, data: object = None, *extra: object) -> tuple[str | None]:
        """``send(data)`` to the peer set by ``setpeername``; results as ``sendto``."""
        if self._closed:
            raise closed_socket_error()
        if data is None:
            (data,) = settle((data, *extra), 1)
        payload = check_data(data)
        if not self._connected:
            raise LuaError("send on unconnected socket")
        return self._send(self._sock.send, payload)

    def _send(self, transmit: Callable[..., int], *arguments: object) -> tuple[str | None]:
        """One datagram out, inside the register of calls (base.py).

        Sends keep the register even when they do not wait: without it, a
        close landing just before the system call could let the descriptor
        number be reused, and the datagram would go out on someone else's
        socket, which no later check can take back. ``_enter`` and
        ``_leave`` are written out, as this runs once per datagram.
        """
        inside = self._inside
        inside.append(None)
        try:
            if self._closed:
                raise closed_socket_error()
            try:
                transmit(*arguments)
            except BlockingIOError:
                return self._wait_to_send(transmit, arguments)
            except OSError:
                return self._send_failed()
            return (None,)
        finally:
            inside.pop()
            if self._closed and not inside:
                self._sock.close()

    def _wait_to_send(self, transmit: Callable[..., int], arguments: tuple[object, ...]) -> tuple[str | None]:
        """The send buffer is full: wait for room, within the limits, and retry.

        Already inside the register. Like a receive, the clock starts at the
        first wait (DIVERGENCES.md R8).
        """
        started = time.monotonic()
        while True:
            status = self._wait(WRITABLE, started)
            if status == CLOSED:
                raise closed_socket_error()
            if status == TIMEOUT:
                return (TIMEOUT,)
            try:
                transmit(*arguments)
            except BlockingIOError:
                continue
            except OSError:
                return self._send_failed()
            return (None,)

    def _send_failed(self) -> tuple[str]:
        """An OS error from a send: the socket was closed, or an ICMP error came back."""
        if self._closed:
            raise closed_socket_error()
        return (REFUSED,)

    # -- receiving (the default receive() is _fast_receive's closure) ---------

    def receivefrom(self, size: object = None, *_ignored: object) -> tuple[object, ...]:
        """``receivefrom([n])``: like ``receive`` plus the sender's ip and port.

        Raises on a connected socket (``receive`` is the call for those).
        The first attempt is the fast path described in base.py, as in
        ``receive``.
        """
        if self._closed:  # checked first so that its error wins, as in 1.3b (spec §1.5)
            raise closed_socket_error()
        count = MAX_DATAGRAM if size is None else _datagram_size(size)
        if self._connected:
            raise LuaError("receivefrom on connected socket")
        try:
            data, (ip, port) = self._sock.recvfrom(count or 1)
        except BlockingIOError:
            return self._wait_for_datagram(count, with_sender=True)
        except OSError:
            return self._receive_failed()
        if self._closed:
            raise closed_socket_error()
        return (data if count else b"", ip, port)

    def _wait_for_datagram(self, count: int, with_sender: bool) -> tuple[object, ...]:
        """The slow path: enter the register, then receive once readable, within the limits.

        Entering re-checks the closed flag, so from there on the descriptor
        cannot be released under this call. The clock starts here rather
        than at the call's first instruction: the first attempt takes
        microseconds, and a UDP call waits only once (DIVERGENCES.md R8).
        """
        self._enter()
        try:
            started = time.monotonic()
            while (result := self._attempt(count, with_sender)) is None:
                status = self._wait(READABLE, started)
                if status == CLOSED:
                    raise closed_socket_error()
                if status == TIMEOUT:
                    return (None, TIMEOUT)
            return result
        finally:
            self._leave()

    def _attempt(self, count: int, with_sender: bool) -> tuple[object, ...] | None:
        """One non-blocking read: the call's result, or None when nothing is queued."""
        try:
            # A zero size still reads (and so discards) one datagram.
            if with_sender:
                data, (ip, port) = self._sock.recvfrom(count or 1)
            else:
                data = self._sock.recv(count or 1)
        except BlockingIOError:
            return None
        except OSError:
            return self._receive_failed()
        if not count:
            data = b""
        return (data, ip, port) if with_sender else (data,)

    def _receive_failed(self) -> tuple[None, str]:
        """An OS error from a receive: the socket was closed, or an ICMP error came back."""
        if self._closed:
            raise closed_socket_error()
        return (None, REFUSED)


def _fast_receive(owner: UdpSocket, fd: int) -> tuple[Receiver, Callable[[], None]]:
    """``owner``'s ``receive``, and the switch ``close`` throws before releasing the socket.

    Receiving queued datagrams, one call each, is the loop a UDP server
    lives in, and such a call costs little more than its system call only
    if the Python around it is minimal. Hence a closure over the socket (as
    the 2001 methods were, spec §1.4): it is called without building a bound
    method, reads the descriptor and its closed flag from cells rather than
    instance attributes, and for the default size runs about a dozen
    bytecodes around the system call. It holds ``owner``, so an unclosed
    socket that is dropped is released by the cyclic garbage collector (as
    Lua's collector would) rather than at once.

    The system call is ``read`` on the descriptor (``os.read``), which on a
    socket is ``recv`` without flags: it takes its arguments without the
    argument tuple and parsing of ``socket.recv`` and skips its timeout
    machinery (the descriptor is non-blocking anyway), about 3 % of a
    datagram's cost (README, "Tests and benchmark"). The descriptor is a plain number
    here, not a socket object that turns into -1 at close, so the closed
    flag is looked at before the read as well as after it (base.py).

    Its extra arguments are three named, ignored parameters rather than
    ``*args`` (R9): CPython 3.11 specialises a call only to a function
    without ``*args``, and on the per-datagram loop that is about 0.015 of
    the UDP benchmark's ratio (0.897-0.902 with ``*args``, 0.912-0.918
    without, in alternating runs). So this one method ignores up to three
    extra arguments, and a fourth is Python's ``TypeError``.

    Every call takes the register-free fast path described in base.py: one
    non-blocking read, then a look at ``closed``. Only when nothing is
    queued does it go to the slow path, which enters the register before it
    waits. (``receivefrom`` takes the same path as an ordinary method: it has
    a sender address to build and a connected check to make, so the call
    itself is a smaller share of its cost.)
    """
    closed = False

    def receive(size: object = None, _extra1: object = None, _extra2: object = None,
                _extra3: object = None) -> tuple[object, ...]:
        """``receive([n])``: one datagram, at most ``n`` bytes (default: the maximum).

        Returns ``(data,)``, ``(None, "timeout")`` or ``(None, "refused")``.
        """
        if closed:
            raise closed_socket_error()
        if size is None:  # the default size first: the per-datagram loop's call
            try:
                data = read(fd, MAX_DATAGRAM)
            except BlockingIOError:
                return owner._wait_for_datagram(MAX_DATAGRAM, with_sender=False)
            except OSError:
                return owner._receive_failed()
            if closed:
                raise closed_socket_error()
            return (data,)
        count = _datagram_size(size)
        try:
            data = read(fd, count or 1)  # a zero size still reads (and so discards) one datagram
        except BlockingIOError:
            return owner._wait_for_datagram(count, with_sender=False)
        except OSError:
            return owner._receive_failed()
        if closed:
            raise closed_socket_error()
        return (data,) if count else (b"",)

    def stop() -> None:
        nonlocal closed
        closed = True

    receive.__qualname__ = "UdpSocket.receive"
    return receive, stop


def _datagram_size(count: object) -> int:
    """A receive size argument: truncated, negative meaning the maximum, capped at it."""
    if type(count) is int:  # the usual case, spared the general number rules
        size = count
    elif is_absent(count):
        return MAX_DATAGRAM
    else:
        size = truncate(check_number(count))
    return MAX_DATAGRAM if size < 0 else min(size, MAX_DATAGRAM)


def udpsocket(*args: object) -> tuple[UdpSocket] | tuple[None, str]:
    """``udpsocket([options])``: a new, unbound UDP socket or ``(None, message)``.

    ``options`` maps option names to values. "In case of error, the function
    returns nil and an error message" (manual): an OS failure to create the
    socket and a bad option (a wrong value, an unknown name, an OS refusal)
    alike, the latter with the spec's text (DIVERGENCES #24). An argument
    that is not a table at all raises ``invalid options`` (spec §3.3).
    """
    (options,) = settle(args, 1)
    if not is_absent(options) and not isinstance(options, (Mapping, list, tuple)):
        raise LuaError("invalid options")
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as error:
        return (None, os_message(error, CREATE_MESSAGES))
    try:
        if not is_absent(options):
            apply_options(sock, options)  # type: ignore[arg-type]
    except OptionError as error:
        sock.close()
        return (None, str(error))
    except BaseException:
        sock.close()
        raise
    return (UdpSocket(sock),)
