"""A scripted TCP client: connects to the candidate's server on cue.

Its socket is bound before the steps run (option ``host``, default
127.0.0.1, port 0), so ``!ref PEER.port`` is the source port the candidate
will see from ``getpeername``. ``connect: {host, port}`` usually takes Refs
to values the steps saved (the candidate server's address).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from harness.peers.base import (
    Action,
    PeerActionError,
    PeerTimeout,
    ScriptedPeer,
    as_host,
    as_port,
    family_for,
)
from harness.peers.stream import StreamActions


class TcpClientPeer(ScriptedPeer):
    kind = "tcp-client"

    def setup(self) -> None:
        self.host = str(self.spec.options.get("host", "127.0.0.1"))
        sock = self.track(socket.socket(family_for(self.host), socket.SOCK_STREAM))
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self._unconnected: socket.socket | None = sock
        self.stream = StreamActions(self)

    def actions(self) -> dict[str, Action]:
        return {**super().actions(), **self.stream.actions(), "connect": self.connect}

    def connect(self, params: Mapping[str, Any]) -> None:
        if self._unconnected is None:
            raise PeerActionError("already connected once; a tcp-client peer connects one time")
        host = as_host(self.value(params["host"]))
        port = as_port(self.value(params["port"]))
        timeout = self.context.timeout(params.get("timeout"))
        sock, self._unconnected = self._unconnected, None
        if sock.family != family_for(host):
            # Bound for the other address family: connect from a fresh socket
            # (its port then differs from the advertised PEER.port).
            self.forget(sock)
            sock.close()
            sock = self.track(socket.socket(family_for(host), socket.SOCK_STREAM))
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        except TimeoutError:
            raise PeerTimeout(f"connect to {host}:{port} timed out after {timeout:g}s") from None
        except ConnectionRefusedError:
            raise PeerActionError(f"connect to {host}:{port} refused") from None
        sock.settimeout(None)
        self.forget(sock)
        self.stream.attach(sock)
        self.note(f"connected to {host}:{port} from port {sock.getsockname()[1]}")
