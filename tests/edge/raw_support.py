"""Helpers for the raw-peer tests: capability gates, model builders, script checks."""

from __future__ import annotations

from typing import Any

import pytest

from harness import capabilities
from harness.peers import PeerGroup
from harness.scenario.model import PeerAction, PeerSpec


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


def finished(group: PeerGroup, timeout: float = 3.0) -> None:
    """The scripts ended in time and without a failure (else the failure is the message)."""
    unfinished = group.wait_done(timeout)
    failures = [failure.reason for failure in group.failures()]
    assert not failures, failures
    assert not unfinished, [peer.name for peer in unfinished]
