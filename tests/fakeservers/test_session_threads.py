"""The threads of the sinks and the HTTP server: a connection's is one an earlier one left idle, if any.

Every test here also runs under the directory's leak check (conftest.py):
a worker left waiting after ``stop()`` fails it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT, http_exchange, read_reply, wait_sessions_closed

from fakeservers.events import CONTROL, Closed

Start = Callable[..., Any]

WORKER_PREFIX = {"smtp": "lsconform-fake-smtp-sink-", "ftp": "lsconform-fake-ftp-sink-",
                 "http": "lsconform-fake-http-"}
CONFIG = {"smtp": {"sink": True, "host": "127.0.0.1"}, "ftp": {"anonymous": {"writable": True}, "sink": True}}


def _workers(kind: str) -> list[str]:
    return sorted(thread.name for thread in threading.enumerate()
                  if thread.name.startswith(WORKER_PREFIX[kind]) and thread.is_alive())


def _greeted(server: Any) -> socket.socket:
    client = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    assert read_reply(client).startswith(b"220")
    return client


def _quit(client: socket.socket) -> None:
    with client:
        client.sendall(b"QUIT\r\n")
        assert read_reply(client).startswith(b"221")


@pytest.mark.parametrize("kind", ["smtp", "ftp"])
def test_sessions_one_after_another_share_one_thread(start: Start, kind: str) -> None:
    server = start(kind, CONFIG[kind])
    for done in range(1, 6):
        _quit(_greeted(server))
        wait_sessions_closed(server, done)  # the worker is idle before the close is recorded
    assert len(_workers(kind)) == 1


@pytest.mark.parametrize("kind", ["smtp", "ftp"])
def test_sessions_at_once_get_a_thread_each_and_later_ones_reuse_them(start: Start, kind: str) -> None:
    server = start(kind, CONFIG[kind])
    first, second = _greeted(server), _greeted(server)  # both answered: both served at once
    assert len(_workers(kind)) == 2
    _quit(first)
    _quit(second)
    wait_sessions_closed(server, 2)
    third = _greeted(server)
    _quit(third)
    wait_sessions_closed(server, 3)
    assert len(_workers(kind)) == 2
    closes = [event.by for event in server.transcript.events(Closed) if event.channel == CONTROL]
    assert closes == ["server"] * 3  # each ended by its QUIT


def test_stopping_dismisses_idle_threads_and_ends_live_sessions(start: Start) -> None:
    server = start("smtp", CONFIG["smtp"])
    _quit(_greeted(server))
    wait_sessions_closed(server, 1)
    live = _greeted(server)  # served by the idle worker, and still open at the stop
    with live:
        server.stop()
        assert live.recv(100) == b""
    assert _workers("smtp") == []


def test_http_requests_one_after_another_share_one_thread(start: Start) -> None:
    server = start("http", {})
    for done in range(1, 6):
        response = http_exchange(server.host, server.port, b"GET /none HTTP/1.0\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 404")
        wait_sessions_closed(server, done)
    assert len(_workers("http")) == 1
    assert len(server.received) == 5
