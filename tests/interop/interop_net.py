"""Where a real server of an interop test listens: a free loopback port, or port 25 on a loopback address.

HTTP and FTP servers take any port, so they get one the kernel just handed
out for port 0 and that was released again. Between the release and the
server's own bind another process may take it; the caller treats a server
that dies with "address in use" as a reason to ask again (see
``interop_daemon.start_daemon``).

SMTP is different: the manual fixes the port at 25 and ``smtp_mail`` takes a
host, not a host and port. Linux routes all of 127.0.0.0/8 to the loopback
interface, so every test server gets port 25 on a random address of that
range (never 127.0.0.1, where a system MTA may listen), which keeps
parallel workers and a local MTA out of each other's way.
"""

from __future__ import annotations

import random
import socket

LOOPBACK = "127.0.0.1"
ADDRESS_TRIES = 40


class NoFreeAddress(RuntimeError):
    """Every loopback address tried had the port taken (a wildcard listener on it, most likely)."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def random_loopback_address(rng: random.Random) -> str:
    """A 127.a.b.c address away from 127.0.0.x and 127.0.1.x, which systems give names to."""
    return f"127.{rng.randint(16, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def port_is_free(host: str, port: int) -> bool:
    """Whether a plain bind of ``host:port`` succeeds right now (needs root for ports below 1024)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_loopback_address(port: int, rng: random.Random | None = None) -> str:
    """A loopback address, not 127.0.0.1, on which ``port`` can be bound now."""
    chooser = rng or random.SystemRandom()
    for _ in range(ADDRESS_TRIES):
        address = random_loopback_address(chooser)
        if port_is_free(address, port):
            return address
    raise NoFreeAddress(
        f"port {port} could not be bound on {ADDRESS_TRIES} loopback addresses "
        f"(does a server listen on 0.0.0.0:{port}?)"
    )
