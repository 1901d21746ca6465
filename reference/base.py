"""What every socket kind shares: the OS socket, the limits, closing, waiting.

Sockets are non-blocking underneath; every wait is an explicit ``poll`` whose
length comes from :func:`reference.deadlines.allowed_wait`, as in the
original C core.

Closing from another thread must wake a call blocked in this socket (a test
harness closes sockets to rescue a call that missed its deadline), and must
never let a waiting call poll a descriptor number that was meanwhile reused
by another socket. The protocol, which relies only on ``list.append``/``pop``
and attribute stores being atomic (true under the GIL):

* a call *enters* by appending to ``_inside``, then re-checks ``_closed``;
  it *leaves* by popping, and releases the descriptor if the socket was
  closed meanwhile and nobody else is inside (every call does this except
  a UDP receive's first attempt, below);
* ``close`` sets ``_closed`` and then looks at ``_inside``: if a call is
  inside, it shuts the socket down (which wakes a blocked ``poll``) and leaves
  the release to the last call out; otherwise it releases at once.

Either a call's append comes before ``close`` looks (so the descriptor stays
alive until that call leaves), or ``close`` set the flag first (so the call
sees it and never touches the descriptor). Releasing twice is harmless
because ``socket.close`` swaps the descriptor out under the GIL, and a late
``shutdown`` on a released socket only gets EBADF. A lock would do the same
at several times the cost on every datagram.

The receive fast path (UDP ``receive`` and ``receivefrom``). A receive that
finds a datagram queued is one non-blocking system call; entering and
leaving around it would cost as much as all the rest of its Python. So its
first attempt is made without entering, with ``_closed`` checked before and
after it, and the call enters only when nothing was queued, before it polls.
Why that holds:

* A non-blocking read returns at once, so there is no blocked call for
  ``close`` to wake or to keep the descriptor for. A call that does need to
  wait enters first (re-checking the flag), so a blocked receive is woken
  and keeps its descriptor exactly as any other call.
* ``close`` raises the flag before it releases the descriptor, so a call
  that starts after a close raises ``operation on closed socket`` without
  touching the number. (``receive`` reads the descriptor by number with
  ``os.read``; only this check keeps it from reading a reused number.
  ``receivefrom`` goes through the socket object, which also turns to -1.)
* The race left is CPython's own, the one any socket closed from another
  thread has: a call can pass the first check, or read the number inside
  ``recv`` after releasing the GIL, just before ``close`` runs, and reach
  the kernel after the number was freed and even reused by a new socket.
  That call may then consume a datagram (or bytes) queued on the newcomer,
  or wait on it if the newcomer blocks. It never returns them: the flag
  was raised before the release, the GIL hand-over orders the two, so the
  check after the system call sees it and the call raises. Raising is a
  correct outcome for any call that overlapped a close (the close may be
  ordered first).
* A close that found a call inside leaves the descriptor open until that
  call leaves; a fast-path call after the close raises at the first check.

Sends keep the register: a send that lost that race would put its datagram
on the other socket, and no later check could take it back.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Callable
from typing import ClassVar

from reference.args import settle
from reference.deadlines import Limits, allowed_wait, set_limit
from reference.errors import CLOSED, TIMEOUT, closed_socket_error

READABLE = select.POLLIN
WRITABLE = select.POLLOUT


def wait_fd(fd: int, events: int, seconds: float | None) -> bool:
    """Poll one descriptor; True if it became ready (or failed) in time."""
    poller = select.poll()
    poller.register(fd, events)
    return bool(poller.poll(None if seconds is None else seconds * 1000))


class SocketBase:
    """A LuaSocket socket object: one OS socket plus its two limits.

    No ``__slots__``: Lua code stores its own fields in socket tables
    (spec §1.3), and so may Python callers.
    """

    kind: ClassVar[str] = "socket"

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._fd = sock.fileno()
        self._closed = False
        self._limits = Limits()
        self._inside: list[None] = []  # one entry per call using the OS socket

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"fd={self._fd}"
        return f"<{type(self).__name__} {state}>"

    # -- methods common to all kinds --------------------------------------

    def timeout(self, *args: object) -> tuple[()]:
        """``sock:timeout(value [, mode])``: set the "b" (default) or "r" limit.

        A missing, nil or negative value means no limit. Returns nothing.
        """
        if self._closed:
            raise closed_socket_error()
        value, mode = settle(args, 2)
        set_limit(self._limits, value, mode)
        return ()

    def close(self, *_ignored: object) -> tuple[()]:
        """``sock:close()``: release the socket; closing twice is harmless."""
        if self._closed:
            return ()
        self._closed = True
        if self._inside:
            self._shutdown()  # wake the blocked call; the last one out releases
        if not self._inside:
            self._sock.close()
        return ()

    def getsockname(self, *_ignored: object) -> tuple[str, int] | tuple[None]:
        """``sock:getsockname()``: local ``(ip, port)``, or ``(None,)`` on failure."""
        return self._address(self._sock.getsockname)

    # -- helpers for subclasses --------------------------------------------

    def _address(self, query: Callable[[], tuple[str, int]]) -> tuple[str, int] | tuple[None]:
        self._enter()
        try:
            ip, port = query()
        except OSError:
            return (None,)
        finally:
            self._leave()
        return ip, port

    def _shutdown(self) -> None:
        # Unconnected UDP reports ENOTCONN here but its pollers still wake.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _enter(self) -> None:
        """Start using the OS socket; raises if the socket is closed."""
        if not self._try_enter():
            raise closed_socket_error()

    def _try_enter(self) -> bool:
        self._inside.append(None)
        if self._closed:
            self._leave()
            return False
        return True

    def _leave(self) -> None:
        inside = self._inside
        inside.pop()
        if self._closed and not inside:
            self._sock.close()

    def _wait(self, events: int, started: float) -> str | None:
        """Wait for ``events`` within the limits of a call begun at ``started``.

        Returns None when ready, TIMEOUT when the allowed time ran out, and
        CLOSED when another thread closed the socket meanwhile.
        """
        seconds = allowed_wait(self._limits, time.monotonic() - started)
        ready = wait_fd(self._fd, events, seconds)
        if self._closed:
            return CLOSED
        return None if ready else TIMEOUT
