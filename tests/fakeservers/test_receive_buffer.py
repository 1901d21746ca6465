"""``rcvbuf``: a fixed receive buffer on the connections an upload arrives on.

The kernel reports a socket's receive buffer as twice the size asked for
(half of it is its bookkeeping), so a buffer set to N reads back as 2N.
The server's side of a connection is found among this process's own
descriptors, since the servers are threads of it.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

import pytest
from fake_support import TIMEOUT, passive_session, read_reply

from fakeservers import Opened, addresses
from fakeservers.addresses import (
    SO_RCVBUFFORCE,
    bind_listener,
    can_force_receive_buffer,
    set_receive_buffer,
    system_receive_limit,
)
from fakeservers.events import DATA


def _settable_size() -> int:
    """A size ``set_receive_buffer`` fixes here, and that differs from the autotuned buffer's start."""
    return 3 << 20 if can_force_receive_buffer() else system_receive_limit()


def _receive_buffer_of_peer(client: socket.socket) -> int:
    """SO_RCVBUF of the other end of ``client``, a socket of this process."""
    wanted = (client.getpeername(), client.getsockname())
    for name in os.listdir("/proc/self/fd"):
        try:
            other = socket.fromfd(int(name), socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            continue  # not a socket, or closed since the listing
        with other, contextlib.suppress(OSError):
            if (other.getsockname(), other.getpeername()) == wanted:
                return other.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    raise AssertionError(f"no socket of this process is the other end of {wanted}")


def test_an_accepted_connection_has_the_listeners_buffer_past_the_systems_limit() -> None:
    if not can_force_receive_buffer():
        pytest.skip("SO_RCVBUFFORCE is refused here (needs CAP_NET_ADMIN): no buffer past rmem_max to test")
    size = min(system_receive_limit() * 2, 1 << 29)  # more than SO_RCVBUF alone may ask for
    with bind_listener("127.0.0.1", 0, receive_buffer=size) as listener, \
            socket.create_connection(listener.getsockname(), timeout=TIMEOUT):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * size


class _Unprivileged:
    """Stands in for a socket of a process without CAP_NET_ADMIN: SO_RCVBUFFORCE is refused."""

    def __init__(self) -> None:
        self.options: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:
        if option == SO_RCVBUFFORCE:
            raise PermissionError(1, "Operation not permitted")
        self.options.append((level, option, value))


def test_without_the_privilege_a_size_within_the_limit_is_set_with_the_ordinary_option(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "system_receive_limit", lambda: 1 << 20)
    sock = _Unprivileged()
    assert set_receive_buffer(sock, 1 << 20)  # type: ignore[arg-type]
    assert sock.options == [(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)]


def test_without_the_privilege_a_size_past_the_limit_leaves_autotuning_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "system_receive_limit", lambda: 212992)
    sock = _Unprivileged()
    assert not set_receive_buffer(sock, 1 << 20)  # type: ignore[arg-type]
    assert sock.options == []  # a buffer fixed at 212992 would stop autotuning short


@pytest.mark.parametrize("fixed", [False, True])
def test_the_http_server_gives_every_connection_its_rcvbuf(start: Any, fixed: bool) -> None:
    size = _settable_size()
    config: dict[str, Any] = {"routes": [{"path": "/stuck", "stall": True}]}
    if fixed:
        config["rcvbuf"] = size
    server = start("http", config)
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        client.sendall(b"GET /stuck HTTP/1.0\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200")  # the server holds the connection, stalled
        seen = _receive_buffer_of_peer(client)
    if fixed:
        assert seen == 2 * size
    else:
        assert seen != 2 * size  # autotuned, starting from tcp_rmem's default


def test_the_ftp_sink_gives_its_data_connections_the_rcvbuf(start: Any) -> None:
    size = _settable_size()
    server = start("ftp", {"anonymous": {"writable": True}, "sink": True, "rcvbuf": size})
    control, port = passive_session(server)
    with control:
        control.sendall(b"STOR up.bin\r\n")
        assert read_reply(control).startswith(b"150")
        with socket.create_connection((server.host, port), timeout=TIMEOUT) as data:
            assert server.transcript.wait_for(
                lambda event: isinstance(event, Opened) and event.channel == DATA, TIMEOUT)
            assert _receive_buffer_of_peer(data) == 2 * size
            assert _receive_buffer_of_peer(control) != 2 * size  # the control connection keeps its own
            data.sendall(b"payload")
        assert read_reply(control).startswith(b"226")
        control.sendall(b"QUIT\r\n")
        assert read_reply(control).startswith(b"221")
    [stored] = server.received.stored
    assert (stored.path, stored.content.length, stored.complete) == ("/up.bin", 7, True)
