"""``host: auto`` on the HTTP and FTP servers: their protocol's port on a loopback address of their own.

URLs without a port go to 80 or 21, so a scenario testing that default
needs a server there; ``test_fake_smtp`` covers the same for SMTP's 25.
The clients below are the standard library's, given no port, so they too
pick the well-known one.
"""

from __future__ import annotations

import ftplib
import http.client
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT

from fakeservers import can_bind_privileged

Start = Callable[..., Any]


@pytest.fixture
def privileged() -> None:
    allowed, reason = can_bind_privileged()
    if not allowed:
        pytest.skip(f"ports below 1024 cannot be bound here: {reason}")


def _fetch(host: str) -> bytes:
    connection = http.client.HTTPConnection(host, timeout=TIMEOUT)  # no port: 80
    try:
        connection.request("GET", "/index.html")
        return connection.getresponse().read()
    finally:
        connection.close()


def test_http_auto_host_listens_on_port_80_of_a_unique_address(start: Start, privileged: None) -> None:
    servers = [start("http", {"host": "auto", "routes": [{"path": "/index.html", "body": f"server {n}"}]})
               for n in range(2)]
    assert [server.port for server in servers] == [80, 80]
    assert len({server.host for server in servers}) == 2
    assert all(server.host.startswith("127.") and server.host != "127.0.0.1" for server in servers)
    assert [_fetch(server.host) for server in servers] == [b"server 0", b"server 1"]
    assert [server.received[0].target for server in servers] == ["/index.html"] * 2


def test_http_auto_host_keeps_the_receive_buffer(start: Start, privileged: None) -> None:
    """``rcvbuf`` is set on whichever listener ``auto`` ends up with."""
    server = start("http", {"host": "auto", "rcvbuf": 1 << 20,
                            "routes": [{"path": "/index.html", "body": "ok"}]})
    assert server.port == 80 and _fetch(server.host) == b"ok"


@pytest.mark.parametrize("sink", [False, True], ids=["pyftpdlib", "sink"])
def test_ftp_auto_host_listens_on_port_21_of_a_unique_address(start: Start, privileged: None,
                                                               sink: bool) -> None:
    config = {"host": "auto", "sink": sink, "anonymous": {"files": {"hello.txt": "hello"}}}
    servers = [start("ftp", config) for _ in range(2)]
    assert [server.port for server in servers] == [21, 21]
    assert len({server.host for server in servers}) == 2
    for server in servers:
        session = ftplib.FTP(server.host, timeout=TIMEOUT)  # no port: 21
        try:
            session.login()
            chunks: list[bytes] = []
            session.retrbinary("RETR hello.txt", chunks.append)  # the data connection: PASV on that address
            session.quit()
        finally:
            session.close()
        assert b"".join(chunks) == b"hello"
        assert "RETR" in server.received.verbs()
