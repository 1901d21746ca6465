"""UDP sockets: ``udpsocket`` and its methods (spec §8).

Datagrams are atomic: a receive returns at most the requested size and the
rest of that datagram is discarded. Up to 65,535 bytes can be received (the
manual's "maximum datagram size"; the 2001 code capped it at 4,096,
DIVERGENCES.md #26). Successful sends return ``(None,)`` as the manual says.
Failures of ``setsockname``/``setpeername`` return the message and leave the
socket usable (#25).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping

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
from reference.sockopts import apply_options

MAX_DATAGRAM = 65535


class UdpSocket(SocketBase):
    """A UDP socket; "connected" once ``setpeername`` succeeded."""

    kind = "udp"

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._connected = False
        self._recv = sock.recv

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
        address, port_value = settle(args, 2)
        host, port = check_text(address), check_port(port_value)
        if self._closed:
            raise closed_socket_error()
        targets = ["0.0.0.0"] if host == "*" else resolve(host)
        return self._try_addresses(targets, port, self._bind, BIND_MESSAGES)

    def setpeername(self, *args: object) -> tuple[str | None]:
        """``setpeername(address, port)``: fix the peer; ``(None,)`` or ``(message,)``.

        Afterwards ``send``/``receive`` must be used, and datagrams from other
        sources are dropped by the OS.
        """
        address, port_value = settle(args, 2)
        host, port = check_text(address), check_port(port_value)
        if self._closed:
            raise closed_socket_error()
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

    def sendto(self, *args: object) -> tuple[str | None]:
        """``sendto(data, ip, port)``: ``(None,)``, ``("timeout",)`` or ``("refused",)``.

        ``ip`` must be an IP address (no host names, for speed, says the
        manual). An unbound socket gets an ephemeral port on 0.0.0.0.
        """
        data, ip_value, port_value = settle(args, 3)
        payload = check_data(data)
        ip_text, port = check_text(ip_value), check_port(port_value)
        if self._closed:
            raise closed_socket_error()
        if self._connected:
            raise LuaError("sendto on connected socket")
        ip = parse_ip(ip_text)
        if ip is None:
            raise LuaError("invalid ip address")
        sock = self._sock
        return self._send(lambda: sock.sendto(payload, (ip, port)))

    def send(self, *args: object) -> tuple[str | None]:
        """``send(data)`` to the peer set by ``setpeername``; results as ``sendto``."""
        (data,) = settle(args, 1)
        payload = check_data(data)
        if self._closed:
            raise closed_socket_error()
        if not self._connected:
            raise LuaError("send on unconnected socket")
        sock = self._sock
        return self._send(lambda: sock.send(payload))

    def _send(self, operation: Callable[[], int]) -> tuple[str | None]:
        started = time.monotonic()
        self._enter()
        try:
            while True:
                try:
                    operation()
                except BlockingIOError:
                    status = self._wait(WRITABLE, started)
                    if status == CLOSED:
                        raise closed_socket_error() from None
                    if status == TIMEOUT:
                        return (TIMEOUT,)
                    continue
                except OSError:
                    if self._closed:
                        raise closed_socket_error() from None
                    return (REFUSED,)
                return (None,)
        finally:
            self._leave()

    # -- receiving ----------------------------------------------------------

    def receive(self, *args: object) -> tuple[bytes] | tuple[None, str]:
        """``receive([n])``: one datagram, at most ``n`` bytes (default: the maximum).

        Returns ``(data,)``, ``(None, "timeout")`` or ``(None, "refused")``.
        """
        size = _datagram_size(args) if args else MAX_DATAGRAM
        # _enter() and _leave() written out: this is the per-datagram hot path.
        inside = self._inside
        inside.append(None)
        try:
            if self._closed:
                raise closed_socket_error()
            try:
                # A zero size still reads (and so discards) one datagram.
                data = self._recv(size or 1)
            except BlockingIOError:
                return self._wait_for_datagram(size, with_sender=False)  # type: ignore[return-value]
            except OSError:
                return self._receive_failed()
            return (data,) if size else (b"",)
        finally:
            inside.pop()
            if self._closed and not inside:
                self._sock.close()

    def receivefrom(self, *args: object) -> tuple[bytes, str, int] | tuple[None, str]:
        """``receivefrom([n])``: like ``receive`` plus the sender's ip and port."""
        size = _datagram_size(args)
        self._enter()
        try:
            if self._connected:
                raise LuaError("receivefrom on connected socket")
            return self._wait_for_datagram(size, with_sender=True)  # type: ignore[return-value]
        finally:
            self._leave()

    def _wait_for_datagram(self, size: int, with_sender: bool) -> tuple[object, ...]:
        """Receive once the socket is readable, within the limits.

        The clock starts here rather than at the call's first instruction:
        the first attempt takes microseconds, and a UDP call waits only once.
        """
        started = time.monotonic()
        sock = self._sock
        while True:
            try:
                if with_sender:
                    data, (ip, port) = sock.recvfrom(size or 1)
                else:
                    data = sock.recv(size or 1)
            except BlockingIOError:
                status = self._wait(READABLE, started)
                if status == CLOSED:
                    raise closed_socket_error() from None
                if status == TIMEOUT:
                    return (None, TIMEOUT)
                continue
            except OSError:
                return self._receive_failed()
            if not size:
                data = b""
            return (data, ip, port) if with_sender else (data,)

    def _receive_failed(self) -> tuple[None, str]:
        if self._closed:
            raise closed_socket_error()
        return (None, REFUSED)


def _datagram_size(args: tuple[object, ...]) -> int:
    (count,) = settle(args, 1)
    if is_absent(count):
        return MAX_DATAGRAM
    size = truncate(check_number(count))
    return MAX_DATAGRAM if size < 0 else min(size, MAX_DATAGRAM)


def udpsocket(*args: object) -> tuple[UdpSocket] | tuple[None, str]:
    """``udpsocket([options])``: a new, unbound UDP socket or ``(None, message)``.

    ``options`` maps option names to values. A bad options table raises
    (misuse, spec §3.3), while an OS failure to create the socket returns
    the message, as the manual says for ``udpsocket`` errors.
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
    except BaseException:
        sock.close()
        raise
    return (UdpSocket(sock),)
