"""Did a scenario leave anything behind in this process?

Before a scenario the runner takes a ``Snapshot`` of the process's open file
descriptors (sockets only, by default), its live threads and its child
processes; after teardown ``find_leaks`` compares. Anything new that is
still there once threads were given a bounded join window (and children a
bounded wait) is a leak, described well enough to find: the socket's kind
and addresses (and, through ``SocketOwners``, the handle of the call it
came with), the thread's name, the child's command line.

Everything is per process (``/proc/self``, this interpreter's threads), so
pytest-xdist workers never see each other's resources. Threads that were
alive before the scenario are never reported; a harness component that
starts a long-lived thread during a scenario marks it with
``exempt_thread``, and a child process it keeps (a reused driver) with
``exempt_child``. The comparison assumes one scenario runs at a time in a
process, which is how the runner is used.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import weakref
from dataclasses import dataclass

import psutil

_FD_DIR = "/proc/self/fd"
_exempt: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_exempt_children: set[tuple[int, float]] = set()  # (pid, create time), as in Snapshot.children


def exempt_thread(thread: threading.Thread) -> None:
    """Never report ``thread``: it belongs to the harness and outlives scenarios."""
    _exempt.add(thread)


def exempt_child(pid: int) -> None:
    """Never report child process ``pid`` or its descendants: a driver kept across scenarios."""
    with contextlib.suppress(psutil.Error):
        _exempt_children.add((pid, psutil.Process(pid).create_time()))


@dataclass(frozen=True)
class Snapshot:
    fds: frozenset[tuple[int, str]]  # (fd, what it points to)
    threads: frozenset[threading.Thread]
    children: frozenset[tuple[int, float]]  # (pid, create time): pids are reused
    sockets_only: bool = True


def _open_fds(sockets_only: bool) -> frozenset[tuple[int, str]]:
    found = set()
    try:
        names = os.listdir(_FD_DIR)
    except OSError:  # not Linux: nothing to compare
        return frozenset()
    for name in names:
        try:
            target = os.readlink(f"{_FD_DIR}/{name}")
        except OSError:  # closed meanwhile, or the listing's own descriptor
            continue
        if sockets_only and not target.startswith("socket:"):
            continue
        found.add((int(name), target))
    return frozenset(found)


def _children() -> frozenset[tuple[int, float]]:
    found = set()
    for child in psutil.Process().children(recursive=True):
        try:
            found.add((child.pid, child.create_time()))
        except psutil.Error:
            continue
    return frozenset(found)


def snapshot(sockets_only: bool = True) -> Snapshot:
    """What this process holds now; ``sockets_only=False`` watches every fd."""
    return Snapshot(
        fds=_open_fds(sockets_only),
        threads=frozenset(threading.enumerate()),
        children=_children(),
        sockets_only=sockets_only,
    )


class SocketOwners:
    """Which candidate call each new socket descriptor appeared during.

    ``call_ended`` is told after every candidate call, with the handles the
    call returned; a socket that appeared since the previous call is put
    down to those handles (or to none). A leaked socket can then be named
    as the scenario knows it, ``<udp #1>``, which a bare ``fd 14`` is not.
    It is an attribution by time, worded as one: for an in-process
    candidate, whose sockets are this process's, it is exact unless the
    candidate opens sockets in the background.
    """

    def __init__(self) -> None:
        self._seen = {target for _, target in _open_fds(True)}
        self.owners: dict[str, str] = {}  # "socket:[inode]" -> the handles: a dup keeps the inode

    def call_ended(self, returned: str) -> None:
        """After a call; ``returned`` names the handles it returned ("" if none)."""
        now = {target for _, target in _open_fds(True)}
        if returned:
            for target in now - self._seen:
                self.owners[target] = returned
        self._seen |= now


def find_leaks(before: Snapshot, grace: float = 1.0, owners: SocketOwners | None = None) -> list[str]:
    """Describe everything opened since ``before`` that is still open.

    New threads get a join window and new children a wait, both within one
    ``grace`` period in total, so resources that are on their way out are
    not reported.
    """
    deadline = time.monotonic() + grace
    leaks = _thread_leaks(before, deadline)
    leaks += _child_leaks(before, deadline)
    leaks += _fd_leaks(before, owners)
    return leaks


def _thread_leaks(before: Snapshot, deadline: float) -> list[str]:
    leaks = []
    for thread in threading.enumerate():
        if thread in before.threads or thread in _exempt or thread is threading.current_thread():
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            daemon = "daemon " if thread.daemon else ""
            leaks.append(f"{daemon}thread {thread.name!r} still running")
    return leaks


def _exempt_pids() -> set[int]:
    """Exempt children still running, and their descendants."""
    pids = set()
    for pid, created in list(_exempt_children):
        try:
            process = psutil.Process(pid)
            if process.create_time() != created:
                raise psutil.NoSuchProcess(pid)
            pids.add(pid)
            pids.update(child.pid for child in process.children(recursive=True))
        except psutil.Error:
            _exempt_children.discard((pid, created))
    return pids


def _child_leaks(before: Snapshot, deadline: float) -> list[str]:
    new = []
    exempt = _exempt_pids() if _exempt_children else set()
    for child in psutil.Process().children(recursive=True):
        try:
            if (child.pid, child.create_time()) not in before.children and child.pid not in exempt:
                new.append(child)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(new, timeout=max(0.0, deadline - time.monotonic()))
    leaks = []
    for child in alive:
        try:
            command = " ".join(child.cmdline()) or child.name()
        except psutil.Error:
            command = "?"
        leaks.append(f"child process {child.pid} still running: {command}")
    return leaks


def _fd_leaks(before: Snapshot, owners: SocketOwners | None = None) -> list[str]:
    new = sorted(_open_fds(before.sockets_only) - before.fds)
    if not new:
        return []
    details = _socket_details()
    found = []
    for fd, target in new:
        shown = details.get(fd) or _unlisted_socket(fd, target) or target
        owner = owners.owners.get(target) if owners is not None else None
        if owner:
            shown += f", opened with {owner}"
        found.append(f"fd {fd} ({shown}) still open")
    return found


_KINDS = {socket.SOCK_STREAM: "tcp", socket.SOCK_DGRAM: "udp"}


def _unlisted_socket(fd: int, target: str) -> str | None:
    """"udp socket, not bound" for a socket psutil does not list (never bound, so in no table).

    Asked of a duplicate of the descriptor, closed at once: the leaked one is left as it is.
    """
    if not target.startswith("socket:"):
        return None
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return None
    with sock:
        kind = _KINDS.get(sock.type, sock.type.name.lower())
        family = {socket.AF_INET: "", socket.AF_INET6: " (IPv6)"}.get(sock.family, f" ({sock.family.name})")
        try:
            address = sock.getsockname()
        except OSError:
            address = None
    bound = isinstance(address, tuple) and len(address) >= 2 and address[1] != 0
    where = _address(address[:2]) if bound else "not bound"
    return f"{kind}{family} socket, {where}"


def _socket_details() -> dict[int, str]:
    """fd -> "tcp 127.0.0.1:5000 -> 127.0.0.1:41234 ESTABLISHED", where psutil knows it."""
    details = {}
    try:
        connections = psutil.Process().net_connections(kind="all")
    except psutil.Error:
        return details
    for conn in connections:
        kind = {1: "tcp", 2: "udp"}.get(int(conn.type), str(conn.type))
        if conn.family.name == "AF_UNIX":
            kind = "unix"
        text = f"{kind} {_address(conn.laddr)}"
        if conn.raddr:
            text += f" -> {_address(conn.raddr)}"
        if conn.status and conn.status != psutil.CONN_NONE:
            text += f" {conn.status}"
        details[conn.fd] = text
    return details


def _address(address: object) -> str:
    if isinstance(address, tuple) and len(address) == 2:
        return f"{address[0]}:{address[1]}"
    return str(address) or "-"
