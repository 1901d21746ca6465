"""Fake-server peers: an in-process HTTP, SMTP or FTP server as a scenario peer.

A peer of kind ``http-server``, ``smtp-server`` or ``ftp-server`` has no
script: its ``options`` are the fake server's configuration
(``fakeservers.from_config``) and the server answers by them. The peer
starts the server in ``setup`` (so ``PEER.host``/``PEER.port`` are known
before the first step), forwards the server's wire events into the
scenario transcript, and stops it in ``stop``, which closes every
connection, thread and temporary file before the runner's leak check.

Refs in the options (``!ref other.port``, ``!fmt``) are resolved against the
peers set up before this one: the loader allows only those.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakeservers import FakeServer, ServerStopError, from_config
from fakeservers.events import Event, Note
from harness.peers.base import PeerContext, PeerFailure, ScriptedPeer
from harness.scenario.model import PeerSpec, Ref, Template
from harness.scenario.refs import resolve
from harness.scenario.schema import SERVER_PEER_KINDS
from harness.values import LuaValue

FORWARDED_EVENTS = 400
"""Server events copied into the scenario transcript; a big transfer makes thousands."""


def resolve_options(raw: Any, env: Mapping[str, LuaValue]) -> Any:
    """Options with refs replaced: strings as text (the servers read text), ports as numbers."""
    if isinstance(raw, dict):
        return {key: resolve_options(item, env) for key, item in raw.items()}
    if isinstance(raw, list):
        return [resolve_options(item, env) for item in raw]
    if isinstance(raw, (Ref, Template)):
        value = resolve(raw, env)
        return value.decode("latin-1") if isinstance(value, bytes) else value
    return raw


class FakeServerPeer(ScriptedPeer):
    """One fake server, started at setup and stopped with the other peers.

    One subclass per peer kind below, each naming its kind; the server kind
    behind it comes from ``schema.SERVER_PEER_KINDS``.
    """

    def __init__(self, spec: PeerSpec, context: PeerContext) -> None:
        super().__init__(spec, context)
        self.server: FakeServer | None = None
        self._forwarded = 0
        self.warnings: list[tuple[float, str]] = []  # (scenario transcript time, text) of warning notes

    def setup(self, known: Mapping[str, LuaValue] | None = None) -> None:
        """Configure and start the server; ``known`` holds the addresses of earlier peers."""
        env = {**self.context.env, **(known or {})}
        options = resolve_options(dict(self.spec.options), env)
        server = from_config(SERVER_PEER_KINDS[self.spec.kind], options, prefix=f"peers.{self.name}.options")
        server.transcript.subscribe(self._forward)
        self.server = server
        server.start()
        self.host, self.port = server.host, server.port

    def start(self) -> None:
        """Nothing to run: the server serves from its own thread since ``setup``."""

    def wait_done(self, timeout: float) -> bool:
        """Always done; a serving loop that died on its own is a failure of the peer."""
        server = self.server
        if server is not None and server.failure is not None and not self.failures:
            self.failures.append(PeerFailure(self.name, self.kind, self.spec.location,
                                             f"the fake server failed: {server.failure!r}",
                                             at=self.context.transcript.elapsed()))
        return True

    def stop(self, join_timeout: float = 2.0) -> bool:
        ended = super().stop(join_timeout)
        if self.server is None:
            return ended
        try:
            self.server.stop()
        except ServerStopError as error:
            self.note(f"stop: {error}")
            return False
        return ended

    def _forward(self, event: Event) -> None:
        """Copy a server event into the scenario transcript (from the server's thread)."""
        if isinstance(event, Note) and event.warning:
            self.warnings.append((self.context.transcript.elapsed(), event.text))
        self._forwarded += 1
        if self._forwarded <= FORWARDED_EVENTS:
            self.note(event.describe())
        elif self._forwarded == FORWARDED_EVENTS + 1:
            self.note(f"further server events not shown (the first {FORWARDED_EVENTS} are)")


class HttpServerPeer(FakeServerPeer):
    kind = "http-server"


class SmtpServerPeer(FakeServerPeer):
    kind = "smtp-server"


class FtpServerPeer(FakeServerPeer):
    kind = "ftp-server"


SERVER_PEERS: tuple[type[FakeServerPeer], ...] = (HttpServerPeer, SmtpServerPeer, FtpServerPeer)
assert {peer.kind for peer in SERVER_PEERS} == set(SERVER_PEER_KINDS)
