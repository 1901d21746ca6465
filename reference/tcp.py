"""TCP client and server sockets: ``connect``, ``bind`` and their methods (spec §5).

A client socket owns one :class:`~reference.readbuffer.ReadBuffer` for its whole
life, so bytes read ahead by one pattern serve later patterns and later calls,
and ``select`` can see them. The common cases (a default ``receive()`` line,
one ``"*l"``/``"*lu"``, one byte count) are answered straight from the buffer
when it already holds the result; everything else goes through the pattern
readers, with one start time per call for the timeout rules.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable, Mapping

from reference.args import check_data, check_number, check_port, check_text, is_absent, settle, trim, truncate
from reference.base import READABLE, WRITABLE, SocketBase
from reference.errors import CLOSED, TIMEOUT, closed_socket_error
from reference.netaddr import (
    BIND_MESSAGES,
    CONNECT_MESSAGES,
    CREATE_MESSAGES,
    LISTEN_ERROR,
    UNKNOWN_ERROR,
    os_message,
    resolve,
)
from reference.patterns import make_reader
from reference.readbuffer import ReadBuffer

# Bytes asked of the OS per read: large reads keep "*a" and big counts near
# the speed of plain recv, and lines are cut out of them afterwards.
RECV_SIZE = 1 << 18

_LINE_PATTERNS = {"*l": True, b"*l": True, "*lu": False, b"*lu": False}
_STRIPPED_LINE = ("*l", b"*l")
_DEFAULT_PATTERNS = ("*l",)
# accept() failures that concern one aborted handshake, not the server.
_ACCEPT_RETRY = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR})
_MAX_BACKLOG = 2**31 - 1


class TcpClient(SocketBase):
    """A connected TCP socket (from ``connect`` or ``accept``)."""

    kind = "tcp-client"

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._buffer = ReadBuffer()
        self._pop_line = self._buffer.lines.popleft  # the line fast path, bound once

    def _buffered(self) -> bool:
        """Whether received bytes wait to be returned (``select`` uses it)."""
        return self._buffer.has_data()

    def close(self, *_ignored: object) -> tuple[()]:
        """``sock:close()``; the buffered data is dropped with the socket."""
        self._buffer.lines.clear()  # so the line fast path cannot serve a closed socket
        return super().close()

    def getpeername(self, *_ignored: object) -> tuple[str, int] | tuple[None]:
        """``sock:getpeername()``: the peer's ``(ip, port)``, or ``(None,)``."""
        return self._address(self._sock.getpeername)

    def receive(self, *patterns: object) -> tuple[object, ...]:
        """``sock:receive([p1, ..., pN])``: one value per pattern, then the error.

        No pattern means ``"*l"``. The error is None, ``"timeout"`` or
        ``"closed"``; a failed pattern returns what it collected and the
        patterns after it give None without being looked at.
        """
        if not patterns or (len(patterns) == 1 and patterns[0] in _STRIPPED_LINE):
            try:
                return (self._pop_line(), None)  # a line cut ahead (none once closed)
            except IndexError:
                pass
        if self._closed:
            raise closed_socket_error()
        if len(patterns) <= 1:
            pattern = patterns[0] if patterns else "*l"
            kind = pattern.__class__
            if kind is int:
                chunk = self._buffer.take_exact(pattern)  # type: ignore[arg-type]
                if chunk is not None:
                    return (chunk, None)
            elif kind is str or kind is bytes:
                strip_cr = _LINE_PATTERNS.get(pattern)  # type: ignore[call-overload]
                if strip_cr is not None:
                    line = self._buffer.next_line(strip_cr)
                    if line is not None:
                        return (line, None)
        return self._receive(trim(patterns) or _DEFAULT_PATTERNS)

    def _receive(self, patterns: tuple[object, ...]) -> tuple[object, ...]:
        started = time.monotonic()
        values: list[object] = []
        error: str | None = None
        self._enter()
        try:
            for pattern in patterns:
                reader = make_reader(pattern)
                value = reader.step(self._buffer)
                while value is None:
                    error = self._fill(started)
                    if error is not None:
                        value, error = reader.finish(error)
                        if self._closed:  # closed here, not by the peer: what came is partial (R1)
                            error = CLOSED
                        break
                    value = reader.step(self._buffer)
                values.append(value)
                if error is not None:
                    break
        finally:
            self._leave()
            if self._closed:
                self._buffer.lines.clear()  # closed while inside: no cut lines may survive
        values.extend([None] * (len(patterns) - len(values)))
        values.append(error)
        return tuple(values)

    def _fill(self, started: float) -> str | None:
        """Read once into the buffer; None, or why no data will come."""
        while True:
            try:
                chunk = self._sock.recv(RECV_SIZE)
            except BlockingIOError:
                status = self._wait(READABLE, started)
                if status is not None:
                    return status
                continue
            except OSError:
                return CLOSED  # every failed read counts as a closed connection
            if not chunk:
                return CLOSED
            self._buffer.feed(chunk)
            return None

    def send(self, *items: object) -> tuple[str | None, int]:
        """``sock:send(s1 [, ..., sN])``: ``(error, bytes accepted)``.

        Strings go out in order, in full; after a failure (``"timeout"`` or
        ``"closed"``) the rest are not tried. A bad argument raises when it is
        reached, after the earlier ones were sent.
        """
        if self._closed:
            raise closed_socket_error()
        items = trim(items)
        total = 0
        if not items:
            return (None, 0)
        started = time.monotonic()
        self._enter()
        try:
            for item in items:
                sent, error = self._send_all(check_data(item), started)
                total += sent
                if error is not None:
                    return (error, total)
        finally:
            self._leave()
        return (None, total)

    def _send_all(self, data: bytes, started: float) -> tuple[int, str | None]:
        view = memoryview(data)
        sent = 0
        while sent < len(data):
            try:
                sent += self._sock.send(view[sent:])
            except BlockingIOError:
                status = self._wait(WRITABLE, started)
                if status is not None:
                    return sent, status
            except OSError:
                return sent, CLOSED
        return sent, None


class TcpServer(SocketBase):
    """A listening TCP socket (from ``bind``)."""

    kind = "tcp-server"

    def accept(self, *_ignored: object) -> tuple[TcpClient] | tuple[None, str]:
        """``server:accept()``: a new client socket, or ``(None, "timeout")``.

        The new socket starts with no limits, whatever the server's.
        """
        if self._closed:
            raise closed_socket_error()
        started = time.monotonic()
        self._enter()
        try:
            while True:
                try:
                    conn, _peer = self._sock.accept()
                except BlockingIOError:
                    status = self._wait(READABLE, started)
                    if status == CLOSED:
                        raise closed_socket_error() from None
                    if status == TIMEOUT:
                        return (None, TIMEOUT)
                    continue
                except OSError as error:
                    if self._closed:
                        raise closed_socket_error() from None
                    if error.errno in _ACCEPT_RETRY:
                        continue
                    return (None, os_message(error, CREATE_MESSAGES))
                return (TcpClient(conn),)
        finally:
            self._leave()


def connect(*args: object) -> tuple[TcpClient] | tuple[None, str]:
    """``connect(address, port)``: a connected client socket or ``(None, message)``.

    Host names are resolved and every address is tried in turn. There is no
    timeout: the manual offers no way to set one before the socket exists.
    """
    address, port_value = settle(args, 2)
    host = check_text(address)
    port = check_port(port_value)

    def connect_to(sock: socket.socket, ip: str) -> None:
        sock.connect((ip, port))

    opened = _open_stream(resolve(host), connect_to, CONNECT_MESSAGES)
    return opened if opened[0] is None else (TcpClient(opened[0]),)


def bind(*args: object) -> tuple[TcpServer] | tuple[None, str]:
    """``bind(address, port [, backlog])``: a listening server socket or ``(None, message)``.

    ``"*"`` binds every local interface; port 0 picks an ephemeral port;
    the backlog defaults to 1. SO_REUSEADDR is set, as in the original.
    """
    address, port_value, backlog_value = settle(args, 3)
    host = check_text(address)
    port = check_port(port_value)
    backlog = 1 if is_absent(backlog_value) else truncate(check_number(backlog_value))

    def bind_to(sock: socket.socket, ip: str) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))

    opened = _open_stream(["0.0.0.0"] if host == "*" else resolve(host), bind_to, BIND_MESSAGES)
    sock = opened[0]
    if sock is None:
        return opened  # type: ignore[return-value]
    try:
        sock.listen(min(max(backlog, 0), _MAX_BACKLOG))
    except OSError:
        sock.close()
        return (None, LISTEN_ERROR)
    return (TcpServer(sock),)


def _open_stream(targets: list[str] | str, setup: Callable[[socket.socket, str], None],
                 messages: Mapping[int, str]) -> tuple[socket.socket] | tuple[None, str]:
    """A fresh TCP socket per address until ``setup`` succeeds with one.

    ``targets`` is a resolver message when resolution failed; the message of
    the last failed address is returned when none succeeds.
    """
    if isinstance(targets, str):
        return (None, targets)
    message = UNKNOWN_ERROR
    for ip in targets:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as error:
            return (None, os_message(error, CREATE_MESSAGES))
        try:
            setup(sock, ip)
        except OSError as error:
            sock.close()
            message = os_message(error, messages)
            continue
        return (sock,)
    return (None, message)
