"""Listening sockets, and the unique loopback address trick for a fixed port.

Fake servers listen on an ephemeral port (port 0) like every peer, with one
exception: a client that is given no port, or cannot be given one, goes to
its protocol's well-known port. LuaSocket 1.3b's ``smtp_mail`` always
connects to port 25 (the manual fixes it), and an HTTP or FTP URL without a
port means 80 or 21; a scenario that tests those defaults needs a server
that owns the port somewhere. On Linux every address in 127.0.0.0/8 is
local, so ``host: auto`` picks a random 127.x.y.z (x, y, z in 1..254,
never 127.0.0.1) and retries on "address in use" until a bind on the
well-known port succeeds. Parallel test workers therefore never collide,
and nothing else on the machine is disturbed.

Binding a port below 1024 needs root or CAP_NET_BIND_SERVICE (or a lowered
``net.ipv4.ip_unprivileged_port_start``). ``can_bind_privileged`` tries it
for real and says why it failed, so a scenario can be skipped with a reason.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import random
import socket
from pathlib import Path

AUTO = "auto"
AUTO_ATTEMPTS = 64
FTP_PORT = 21
SMTP_PORT = 25
HTTP_PORT = 80
WELL_KNOWN_PORTS = {"ftp": FTP_PORT, "smtp": SMTP_PORT, "http": HTTP_PORT}
"""Each server kind's well-known port: what ``host: auto`` binds unless told another."""
LOWEST_WELL_KNOWN_PORT = min(WELL_KNOWN_PORTS.values())
"""Whoever may bind this one may bind them all: the kernel's rule is one threshold."""


def default_port(host: str, well_known: int) -> int:
    """The port a server listens on when its configuration names none: ``well_known`` for ``auto``, else 0."""
    return well_known if host == AUTO else 0


def is_ipv4_address(text: str) -> bool:
    """Whether ``text`` is a dotted-quad IPv4 address (what a PASV reply or a raw IPv4 packet carries)."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def family_for(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
"""Linux's SO_RCVBUF past ``net.core.rmem_max`` (needs CAP_NET_ADMIN); Python names it only on some builds."""
RMEM_MAX = Path("/proc/sys/net/core/rmem_max")


def bind_listener(host: str, port: int, backlog: int = 64,
                  receive_buffer: int | None = None) -> socket.socket:
    """A listening TCP socket on (host, port); raises OSError as the bind does.

    ``receive_buffer``: fix every accepted connection's receive buffer at
    that many bytes (``set_receive_buffer``). It is set on the listener,
    before any connection exists: an accepted connection inherits it, and
    its first window is then sized by it. Set after ``accept``, the buffer
    would be larger, but the connection would still start from the small
    window of its handshake and widen it only step by step.
    """
    sock = socket.socket(family_for(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if receive_buffer is not None:
            set_receive_buffer(sock, receive_buffer)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def set_receive_buffer(sock: socket.socket, size: int) -> bool:
    """Fix ``sock``'s receive buffer at ``size`` bytes if it can have that size; whether it did.

    A fixed buffer turns the kernel's autotuning off. Autotuning starts a
    connection at ``tcp_rmem``'s default (128 KiB) and grows it with what
    the reader consumes per round trip, so a connection carrying a few MiB
    of upload spends most of its life with a window that makes the client
    wait on the server's reads. SO_RCVBUFFORCE (root or CAP_NET_ADMIN)
    takes any size; SO_RCVBUF alone is capped at ``net.core.rmem_max``
    (212992 bytes on a default Linux), and a buffer fixed at that cap would
    be smaller than autotuning may reach: then nothing is set. The kernel
    keeps twice the size asked for, half of it for its own bookkeeping.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        return True
    except PermissionError:
        if not receive_buffer_fixable(size, False, system_receive_limit()):
            return False
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        return True


def receive_buffer_fixable(size: int, forcing_allowed: bool, limit: int) -> bool:
    """Whether ``set_receive_buffer`` fixes ``size``, given SO_RCVBUFFORCE allowed or not and ``rmem_max``.

    The bench reports by this same rule which workloads' buffers were left
    to autotuning (``harness.bench.machine``).
    """
    return forcing_allowed or size <= limit


def can_force_receive_buffer() -> bool:
    """Whether this process may set SO_RCVBUFFORCE: root with CAP_NET_ADMIN, which some containers drop."""
    with socket.socket() as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8192)
        except PermissionError:
            return False
    return True


def system_receive_limit() -> int:
    """``net.core.rmem_max``: the largest buffer SO_RCVBUF may ask for (0 if it cannot be read)."""
    try:
        return int(RMEM_MAX.read_text())
    except (OSError, ValueError):
        return 0


def random_loopback(rng: random.Random | None = None) -> str:
    """A loopback address other than 127.0.0.1: 127.x.y.z with x, y, z in 1..254."""
    pick = (rng or random).randint
    return f"127.{pick(1, 254)}.{pick(1, 254)}.{pick(1, 254)}"


def bind_unique_loopback(port: int, attempts: int = AUTO_ATTEMPTS, backlog: int = 64,
                         receive_buffer: int | None = None) -> socket.socket:
    """Listen on ``port`` of a random loopback address, retrying while addresses are taken.

    Only "address in use" is retried: a permission error means every
    address would fail the same way, so it is raised at once.
    """
    last: OSError | None = None
    for _ in range(attempts):
        try:
            return bind_listener(random_loopback(), port, backlog, receive_buffer)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            last = error
    raise OSError(errno.EADDRINUSE,
                  f"no free loopback address for port {port} after {attempts} tries: {last}")


def bind_configured(host: str, port: int, receive_buffer: int | None = None) -> socket.socket:
    """A listener as a server's configuration asks: a unique loopback address for ``auto``, else ``host``."""
    if host == AUTO:
        return bind_unique_loopback(port, receive_buffer=receive_buffer)
    return bind_listener(host, port, receive_buffer=receive_buffer)


def _unprivileged_port_start() -> str:
    try:
        return Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text().strip()
    except OSError:
        return "unknown"


def can_bind_privileged(port: int = LOWEST_WELL_KNOWN_PORT) -> tuple[bool, str]:
    """Whether this process can listen on ``port`` of a unique loopback address, and why not.

    The check binds for real (and closes at once), because capabilities,
    sysctls and container policies all take part and only the kernel knows
    the combined answer.
    """
    try:
        sock = bind_unique_loopback(port, attempts=8)
    except PermissionError:
        euid = os.geteuid() if hasattr(os, "geteuid") else "unknown"
        return False, (f"listening on port {port} needs root or CAP_NET_BIND_SERVICE "
                       f"(euid {euid}, net.ipv4.ip_unprivileged_port_start={_unprivileged_port_start()})")
    except OSError as error:
        return False, f"cannot listen on port {port} of a 127.x.y.z address: {error}"
    address = sock.getsockname()[0]
    sock.close()
    return True, f"listening on {address}:{port} works"
