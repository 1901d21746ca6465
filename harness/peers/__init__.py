"""Scripted peers: the other end of the candidate's sockets.

``PeerGroup`` is what the runner uses; the peer classes are exported for
tests and for plugins that drive a single peer.
"""

from harness.peers.base import PeerContext, PeerFailure, ScriptedPeer
from harness.peers.group import PEER_KINDS, PeerGroup
from harness.peers.raw import RawPeer
from harness.peers.server import FakeServerPeer
from harness.peers.sync import SyncBoard
from harness.peers.tcp_client import TcpClientPeer
from harness.peers.tcp_server import TcpServerPeer
from harness.peers.udp import UdpPeer

__all__ = [
    "FakeServerPeer",
    "PEER_KINDS",
    "PeerContext",
    "PeerFailure",
    "PeerGroup",
    "RawPeer",
    "ScriptedPeer",
    "SyncBoard",
    "TcpClientPeer",
    "TcpServerPeer",
    "UdpPeer",
]
