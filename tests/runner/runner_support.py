"""Builders for runner tests: scenarios as model objects, and scripted candidates.

Scenarios are built in code here (no YAML) with the project's matchers, so
that these tests depend on the model and matchers but not on the loader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from harness.adapters.base import Adapter, CandidateSpec, Outcome
from harness.adapters.scripted import ScriptedAdapter
from harness.scenario.matchers import Contains, Exact
from harness.scenario.model import (
    CallStep,
    ExpectedOutcome,
    Matcher,
    PeerAction,
    PeerSpec,
    Scenario,
    SourceLocation,
    Step,
    Verdict,
)

FILE = "tests/runner/example.yaml"


def loc(line: int) -> SourceLocation:
    return SourceLocation(FILE, line)


def returns(*values: Any, verdict: Verdict = Verdict.PASS, within: tuple[float, float] | None = None,
            note: str = "", line: int = 0) -> ExpectedOutcome:
    """An outcome returning these values (plain values become ``Exact``)."""
    matchers = tuple(value if isinstance(value, Matcher) else Exact(value) for value in values)
    return ExpectedOutcome(returns=matchers, within=within, verdict=verdict, note=note,
                           location=loc(line) if line else None)


def raises(text: bytes, verdict: Verdict = Verdict.PASS,
           within: tuple[float, float] | None = None) -> ExpectedOutcome:
    return ExpectedOutcome(raises=Contains(text), within=within, verdict=verdict)


def call(function: str, *args: Any, line: int, save: Iterable[str | None] = (),
         expect: Iterable[ExpectedOutcome] = (), deadline: float | None = None) -> CallStep:
    """A global-style call step; ``function`` may be ``"var:name"`` for a method call."""
    target, _, name = function.rpartition(":")
    return CallStep(function=name, style="method" if target else "global", target=target or None,
                    args=tuple(args), save=tuple(save), expect=tuple(expect), deadline=deadline,
                    location=loc(line))


def act(op: str, line: int = 0, **params: Any) -> PeerAction:
    """A peer action; ``from_port`` is spelled ``from-port`` in the model."""
    return PeerAction(op, {key.replace("_", "-"): value for key, value in params.items()},
                      location=loc(line) if line else None)


def peer(name: str, kind: str, *script: PeerAction, **options: Any) -> PeerSpec:
    return PeerSpec(name=name, kind=kind, options=options, script=tuple(script), location=loc(1))


def scenario(*steps: Step, peers: Iterable[PeerSpec] = (), requires: Iterable[str] = (),
             scenario_id: str = "test.scenario") -> Scenario:
    return Scenario(id=scenario_id, title="a test scenario", manual="", spec="", tags=(),
                    requires=tuple(requires), peers=tuple(peers), steps=tuple(steps), location=loc(1))


class ScriptedCandidate:
    """A ``CandidateSpec`` over ``ScriptedAdapter`` that keeps the adapters it made."""

    def __init__(self, outcomes: Iterable[Outcome] | Callable[..., Outcome], name: str = "scripted") -> None:
        self.outcomes = outcomes
        self.adapters: list[ScriptedAdapter] = []
        self.spec = CandidateSpec(name=name, description="canned outcomes", make_adapter=self._make)

    def _make(self) -> Adapter:
        outcomes = self.outcomes if callable(self.outcomes) else list(self.outcomes)
        adapter = ScriptedAdapter(outcomes)
        self.adapters.append(adapter)
        return adapter

    @property
    def adapter(self) -> ScriptedAdapter:
        (only,) = self.adapters
        return only


def third_party_spec() -> CandidateSpec:
    return CandidateSpec(name="thirdparty", description="from an entry point",
                         make_adapter=lambda: ScriptedAdapter([]))


THIRD_PARTY = third_party_spec()
