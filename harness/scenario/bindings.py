"""Names a scenario binds, and the checks that every use has a binding.

Steps run top to bottom, so a step may only use variables saved by an
earlier step. Peer scripts run concurrently and synchronise through events,
so they may use a variable saved by any step. Peer addresses
(``PEER.host``/``PEER.port``) exist from the start. A ``wait`` on an event
nobody signals would hang until its timeout, so it is a load error; so is
one whose only signals come after it in its own sequence (the steps, or one
peer's script), which runs in order and so never reaches them. A
``!callback NAME`` must name a callback of the scenario's ``callbacks``, and
``check:`` / ``check-callback:`` steps name a fake-server peer or a callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.scenario.checks import Checker
from harness.scenario.model import CallbackSpec, Ref
from harness.scenario.refs import is_peer_attribute, iter_refs
from harness.values import LuaFunction, LuaTable


@dataclass
class Bindings:
    """What one scenario binds and uses, gathered while its parts are read."""

    peers: set[str] = field(default_factory=set)
    saved: set[str] = field(default_factory=set)
    sequence: str = "steps"
    """The sequence being read: "steps" or "peer NAME" (each runs top to bottom, concurrently)."""
    signals: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # event -> (sequence, position)
    waits: list[tuple[str, int, str, str, int]] = field(default_factory=list)
    _position: int = 0
    peer_refs: list[tuple[Ref, int, str]] = field(default_factory=list)
    servers: dict[str, str] = field(default_factory=dict)  # fake-server peer name -> its peer kind
    callbacks: dict[str, CallbackSpec] = field(default_factory=dict)

    def unbound(self, name: str) -> str | None:
        """Why ``name`` cannot be used by the next step, or None if it can."""
        if is_peer_attribute(name):
            peer = name.partition(".")[0]
            return None if peer in self.peers else f"no peer named {peer!r}"
        if name in self.saved:
            return None
        return f"no earlier step saves {name!r}"

    def signal(self, event: str) -> None:
        self.signals.setdefault(event, []).append((self.sequence, self._next_position()))

    def wait(self, event: str, line: int, field_name: str) -> None:
        self.waits.append((event, line, field_name, self.sequence, self._next_position()))

    def _next_position(self) -> int:
        self._position += 1
        return self._position

    def check_step_refs(self, checker: Checker, value: Any, line: int, field_name: str) -> None:
        """Every Ref in a step's value must be bound by now."""
        for ref in iter_refs(value):
            reason = self.unbound(ref.name)
            if reason:
                checker.report(ref.line or line, field_name, f"{ref.written()}: {reason}")

    def check_callbacks(self, checker: Checker, value: Any, line: int, field_name: str) -> None:
        """Every ``!callback`` in an argument must name a declared callback."""
        for name in _functions_in(value):
            if name not in self.callbacks:
                declared = ", ".join(self.callbacks) or "none"
                checker.report(line, field_name, f"!callback {name}: no such callback under callbacks "
                                                 f"(declared: {declared})")

    def note_peer_refs(self, value: Any, line: int, field_name: str) -> None:
        """Peer Refs are checked once all steps are read (see ``finish``)."""
        self.peer_refs.extend((ref, line, field_name) for ref in iter_refs(value))

    def finish(self, checker: Checker) -> None:
        """Report unbound peer Refs and waits that nothing signals."""
        for ref, line, field_name in self.peer_refs:
            if is_peer_attribute(ref.name):
                reason = self.unbound(ref.name)
            else:
                reason = None if ref.name in self.saved else f"no step saves {ref.name!r}"
            if reason:
                checker.report(ref.line or line, field_name, f"{ref.written()}: {reason}")
        for name, line, field_name, sequence, position in self.waits:
            signals = self.signals.get(name, [])
            if not signals:
                checker.report(line, field_name, f"nothing signals event {name!r} (add a signal step or "
                                                 "a peer signal action)")
            elif all(by == sequence and at > position for by, at in signals):
                where = "the steps" if sequence == "steps" else f"{sequence}'s script"
                checker.report(line, field_name, f"event {name!r} is signalled only after this wait, in "
                                                 f"{where}, which runs in order: the wait would time out")


def _functions_in(value: Any) -> list[str]:
    """Names of the ``LuaFunction`` values in an argument, tables searched too."""
    if isinstance(value, LuaFunction):
        return [value.name]
    if isinstance(value, LuaTable):
        return [name for item in value.values() for name in _functions_in(item)]
    return []
