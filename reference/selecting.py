"""``select(readset, writeset [, timeout])`` over socket objects (spec §7).

Readiness comes from one ``poll`` over every socket listed, except that a TCP
client whose read buffer already holds data is readable at once (its bytes
were taken from the OS earlier), which also turns the OS wait into a
zero-length poll for the others.

Result order follows the original: sockets with buffered data first, in the
order they are listed (once per listing), then the rest in ascending
descriptor order, each once. ``err`` is ``"timeout"`` whenever nothing was
ready and a finite timeout expired, zero included (the 2001 code said nothing
for a zero timeout, DIVERGENCES.md #16).

If another thread closes a listed socket while ``select`` waits, the call
returns at once with whatever else is ready and no error: a closed socket
is never reported, and the wait must not outlive its sockets.
"""

from __future__ import annotations

import select as _os_select
from collections.abc import Iterable, Mapping

from reference.args import is_absent, settle
from reference.base import SocketBase
from reference.deadlines import lua_seconds
from reference.errors import TIMEOUT, LuaError
from reference.tcp import TcpClient

_READ_READY = _os_select.POLLIN | _os_select.POLLHUP | _os_select.POLLERR
_WRITE_READY = _os_select.POLLOUT | _os_select.POLLERR


def select(*args: object) -> tuple[list[SocketBase], list[SocketBase], str | None]:
    """``select(readset, writeset [, timeout])``: ``(readable, writable, err)``.

    The sets are lists, tuples or dicts (every value is examined, whatever
    its key) or None; values that are not sockets, and closed sockets, are
    skipped. A missing, nil or negative timeout waits for ever, even with
    both sets empty (the manual's portable sleep with a finite timeout).
    """
    readset, writeset, timeout_value = settle(args, 3)
    readers = _sockets(readset)
    writers = _sockets(writeset)
    seconds = lua_seconds(timeout_value)

    buffered = [sock for sock in readers if isinstance(sock, TcpClient) and sock._buffered()]
    events: dict[SocketBase, int] = {}
    for sock in readers:
        if sock not in buffered:
            events[sock] = events.get(sock, 0) | _os_select.POLLIN
    for sock in writers:
        events[sock] = events.get(sock, 0) | _os_select.POLLOUT
    entered = [sock for sock in events if sock._try_enter()]
    try:
        poller = _os_select.poll()
        for sock in entered:
            poller.register(sock._fd, events[sock])
        if buffered:
            wait_ms: float | None = 0
        else:
            wait_ms = None if seconds is None else seconds * 1000
        revents = dict(poller.poll(wait_ms))
    finally:
        for sock in entered:
            sock._leave()

    live = [sock for sock in entered if not sock._closed]
    by_fd = sorted(live, key=lambda sock: sock._fd)
    readable = [sock for sock in buffered if not sock._closed]
    readable += [sock for sock in by_fd
                 if events[sock] & _os_select.POLLIN and revents.get(sock._fd, 0) & _READ_READY]
    writable = [sock for sock in by_fd
                if events[sock] & _os_select.POLLOUT and revents.get(sock._fd, 0) & _WRITE_READY]
    interrupted = len(live) < len(entered)
    timed_out = not readable and not writable and seconds is not None and not interrupted
    return readable, writable, TIMEOUT if timed_out else None


def _sockets(table: object) -> list[SocketBase]:
    """The open socket objects among a set's values, in traversal order."""
    if is_absent(table):
        return []
    values: Iterable[object]
    if isinstance(table, Mapping):
        values = table.values()
    elif isinstance(table, (list, tuple)):
        values = table
    else:
        raise LuaError("expected table or nil")
    return [value for value in values if isinstance(value, SocketBase) and not value._closed]
