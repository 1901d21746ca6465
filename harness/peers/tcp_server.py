"""A scripted TCP server: listens before the steps run, accepts on cue.

Options: ``host`` (default 127.0.0.1; an IPv6 literal listens on IPv6),
``backlog`` (default 8) and ``rcvbuf`` (SO_RCVBUF in bytes, set before
``listen`` so that the accepted connection has it from the handshake on: the
kernel then keeps the receive window that small instead of growing it as the
peer reads). The port is always ephemeral. ``close`` closes the
accepted connection, or the listening socket when no connection is open
(so that a later connect is refused).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from harness.peers.base import Action, PeerActionError, PeerTimeout, ScriptedPeer, family_for
from harness.peers.stream import StreamActions


class TcpServerPeer(ScriptedPeer):
    kind = "tcp-server"

    def setup(self) -> None:
        self.host = str(self.spec.options.get("host", "127.0.0.1"))
        listener = self.track(socket.socket(family_for(self.host), socket.SOCK_STREAM))
        listener.bind((self.host, 0))
        if "rcvbuf" in self.spec.options:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(self.spec.options["rcvbuf"]))
        listener.listen(int(self.spec.options.get("backlog", 8)))
        self.port = listener.getsockname()[1]
        self.listener: socket.socket | None = listener
        self.stream = StreamActions(self)

    def actions(self) -> dict[str, Action]:
        return {**super().actions(), **self.stream.actions(), "accept": self.accept, "close": self.close}

    def accept(self, params: Mapping[str, Any]) -> None:
        if self.listener is None:
            raise PeerActionError("the listening socket was closed")
        timeout = self.context.timeout(params.get("timeout"))
        self.listener.settimeout(timeout)
        try:
            conn, address = self.listener.accept()
        except TimeoutError:
            raise PeerTimeout(f"no connection within {timeout:g}s") from None
        conn.settimeout(None)
        self.stream.attach(conn)
        self.note(f"accepted a connection from {address[0]}:{address[1]}")

    def close(self, params: Mapping[str, Any]) -> None:
        if self.stream.connection is not None:
            self.stream.close(params)
            return
        if self.listener is None:
            raise PeerActionError("nothing left to close")
        listener, self.listener = self.listener, None
        self.forget(listener)
        listener.close()
        self.note("closed the listening socket")
