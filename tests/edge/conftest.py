"""Fixtures for the raw-peer tests: peers that always stop, sockets that always close."""

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
    """Set up and start peers on loopback, as the runner does; every group is stopped at the end."""
    groups: list[PeerGroup] = []

    def start(*specs: PeerSpec, env: dict[str, Any] | None = None, default_timeout: float = 2.0) -> PeerGroup:
        transcript = Transcript()
        variables = {} if env is None else env
        context = PeerContext(SyncBoard(transcript), transcript, variables, 1.0, default_timeout)
        group = PeerGroup(specs, context)
        groups.append(group)
        variables.update(group.setup())
        group.start()
        return group

    yield start
    for group in groups:
        group.stop()


@pytest.fixture
def sockets() -> Iterator[Callable[..., socket.socket]]:
    """Plain sockets for the candidate's side, closed at the end of the test."""
    made: list[socket.socket] = []

    def make(kind: int = socket.SOCK_DGRAM, timeout: float = 2.0) -> socket.socket:
        sock = socket.socket(socket.AF_INET, kind)
        sock.settimeout(timeout)
        made.append(sock)
        return sock

    yield make
    for sock in made:
        sock.close()
