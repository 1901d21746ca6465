"""Fixtures for the runner tests: peer groups and plain sockets that always close."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.peers import PeerContext, PeerGroup, SyncBoard
from harness.scenario.model import PeerSpec
from harness.transcript import Transcript


@pytest.fixture
def start_peers() -> Iterator[Callable[..., PeerGroup]]:
    """Set up and start peers on loopback; every group is stopped at the end."""
    groups: list[PeerGroup] = []

    def start(*specs: PeerSpec, env: dict[str, Any] | None = None, default_timeout: float = 2.0,
              time_scale: float = 1.0) -> PeerGroup:
        transcript = Transcript()
        variables = {} if env is None else env
        context = PeerContext(SyncBoard(transcript), transcript, variables, time_scale, default_timeout)
        group = PeerGroup(specs, context)
        groups.append(group)
        variables.update(group.setup())
        group.start()
        return group

    yield start
    for group in groups:
        assert group.stop() == [], "a peer thread did not end"


@pytest.fixture
def sockets() -> Iterator[Callable[[socket.socket], socket.socket]]:
    """Register plain sockets (the candidate's side in peer tests) to close at the end."""
    opened: list[socket.socket] = []

    def keep(sock: socket.socket) -> socket.socket:
        opened.append(sock)
        return sock

    yield keep
    for sock in opened:
        sock.close()
