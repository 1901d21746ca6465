"""Fixtures for the raw-peer tests: capability gates, peers that always stop, sockets that always close."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness import capabilities
from harness.peers import PeerContext, PeerGroup, SyncBoard
from harness.scenario.model import PeerAction, PeerSpec
from harness.transcript import Transcript


def _gate(name: str) -> pytest.MarkDecorator:
    why = capabilities.probe()[name]
    return pytest.mark.skipif(why is not None, reason=f"needs {name}: {why}")


needs_raw = _gate(capabilities.RAW_SOCKETS)
needs_nftables = _gate(capabilities.NFTABLES)


def act(op: str, **params: Any) -> PeerAction:
    """A peer action; ``from_host`` is spelled ``from-host`` in the model."""
    return PeerAction(op, {key.replace("_", "-"): value for key, value in params.items()})


def peer(name: str, kind: str, *script: PeerAction, **options: Any) -> PeerSpec:
    return PeerSpec(name=name, kind=kind, options=options, script=tuple(script))


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


def finished(group: PeerGroup, timeout: float = 3.0) -> None:
    """The scripts ended in time and without a failure (else the failure is the message)."""
    unfinished = group.wait_done(timeout)
    failures = [failure.reason for failure in group.failures()]
    assert not failures, failures
    assert not unfinished, [peer.name for peer in unfinished]
