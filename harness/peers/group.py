"""All the peers of one scenario, started, awaited and stopped together.

The runner's view of peers: set every peer up (sockets bound, fake servers
started, addresses known) before any step, in declaration order; start their
scripts, let them finish after the last step, and always stop them, however
the scenario ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from harness.peers.base import PeerContext, PeerFailure, ScriptedPeer
from harness.peers.raw import RawPeer
from harness.peers.server import SERVER_PEERS, FakeServerPeer
from harness.peers.tcp_client import TcpClientPeer
from harness.peers.tcp_server import TcpServerPeer
from harness.peers.udp import UdpPeer
from harness.scenario.model import PEER_OPS, PeerSpec
from harness.scenario.schema import SERVER_PEER_KINDS
from harness.values import LuaValue

if TYPE_CHECKING:
    from fakeservers import FakeServer

PEER_KINDS: dict[str, type[ScriptedPeer]] = {
    TcpServerPeer.kind: TcpServerPeer,
    TcpClientPeer.kind: TcpClientPeer,
    UdpPeer.kind: UdpPeer,
    RawPeer.kind: RawPeer,
    **{peer.kind: peer for peer in SERVER_PEERS},
}
assert set(PEER_KINDS) == set(PEER_OPS) | set(SERVER_PEER_KINDS), \
    "every peer kind of the model needs an implementation"


@runtime_checkable
class ChangesTheSystem(Protocol):
    """A peer that changes machine state (firewall rules) and can tell what is left of it."""

    def leftovers(self) -> list[str]: ...


class LeftoverState(RuntimeError):
    """Something a peer added to the machine is still there after it stopped."""


class PeerGroup:
    """The scripted peers of one scenario run."""

    def __init__(self, specs: Iterable[PeerSpec], context: PeerContext) -> None:
        self.context = context
        self.peers: list[ScriptedPeer] = []
        for spec in specs:
            if spec.kind not in PEER_KINDS:
                raise ValueError(f"unknown peer kind {spec.kind!r} for peer {spec.name!r} ({spec.location})")
            self.peers.append(PEER_KINDS[spec.kind](spec, context))

    def setup(self) -> dict[str, LuaValue]:
        """Open every peer's sockets; return their ``name.host``/``name.port`` variables."""
        env: dict[str, LuaValue] = {}
        for peer in self.peers:
            if isinstance(peer, FakeServerPeer):
                peer.setup(env)  # its options may refer to the peers set up before it
            else:
                peer.setup()
            peer.note(f"{peer.kind} ready at {peer.host}:{peer.port}")
            env.update(peer.env_values())
        return env

    def servers(self) -> dict[str, FakeServer]:
        """The fake servers of the fake-server peers, by peer name (after ``setup``)."""
        return {peer.name: peer.server for peer in self.peers
                if isinstance(peer, FakeServerPeer) and peer.server is not None}

    def start(self) -> None:
        for peer in self.peers:
            peer.start()

    def server_warnings(self, since: float, until: float) -> list[str]:
        """``server web: no route for get /x``: the fake servers' warning notes between two times."""
        return [f"server {peer.name}: {text}" for peer in self.peers if isinstance(peer, FakeServerPeer)
                for at, text in list(peer.warnings) if since <= at <= until]

    def failures(self) -> list[PeerFailure]:
        """Every failure so far, earliest first."""
        found = [failure for peer in self.peers for failure in peer.failures]
        return sorted(found, key=lambda failure: failure.at)

    def wait_done(self, timeout: float) -> list[ScriptedPeer]:
        """Let the scripts finish within one shared window; return the unfinished."""
        deadline = self.context.transcript.elapsed() + timeout
        unfinished = []
        for peer in self.peers:
            remaining = max(0.0, deadline - self.context.transcript.elapsed())
            if not peer.wait_done(remaining):
                unfinished.append(peer)
        return unfinished

    def stop(self, join_timeout: float = 2.0) -> list[ScriptedPeer]:
        """Stop every peer; return those whose thread did not end.

        Raises ``LeftoverState`` (after stopping them all) if a peer's rules
        survived its stop: the runner reports it as a teardown failure.
        """
        self.context.board.abort()
        unfinished = [peer for peer in self.peers if not peer.stop(join_timeout)]
        holders = [peer for peer in self.peers if isinstance(peer, ChangesTheSystem)]
        left = [item for peer in holders for item in peer.leftovers()]
        if left:
            for item in left:
                self.context.transcript.record("harness", f"leak: {item}")
            raise LeftoverState("left behind: " + "; ".join(left))
        return unfinished
