"""Fixtures for the fake server tests: servers that always stop, and a leak check on every test.

Every test here runs under ``no_leaks``: the threads and the sockets
(``psutil`` connections, Unix socket pairs included) of this process after
the test must be the ones that were there before it. Servers started with
``start`` are stopped first (fixtures tear down in reverse order), so a
server that leaves a thread or a socket behind fails the test that used it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest

from fakeservers import FakeServer, from_config

JOIN_GRACE = 2.0


def _sockets() -> set[tuple[int, Any, Any]]:
    return {(conn.fd, conn.laddr, conn.raddr) for conn in psutil.Process().net_connections(kind="all")}


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    threads_before = set(threading.enumerate())
    sockets_before = _sockets()
    yield
    new_threads = [thread for thread in threading.enumerate() if thread not in threads_before]
    for thread in new_threads:
        thread.join(JOIN_GRACE)  # a thread on its way out may finish; a leaked one will not
    alive = [thread.name for thread in new_threads if thread.is_alive()]
    leaked = _sockets() - sockets_before
    assert not alive, f"threads left running: {alive}"
    assert not leaked, f"sockets left open: {sorted(leaked, key=str)}"


@pytest.fixture
def start() -> Iterator[Callable[..., Any]]:
    """Build a server of a kind from a configuration mapping, start it; stopped at the end."""
    servers: list[FakeServer] = []

    def start_server(kind: str, config: dict[str, Any] | None = None) -> Any:
        server = from_config(kind, config or {})
        server.start()
        servers.append(server)
        return server

    yield start_server
    for server in servers:
        server.stop()
