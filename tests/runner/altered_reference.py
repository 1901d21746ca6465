"""The in-process reference with one behaviour altered, to show which verdict a shipped scenario gives it.

A port differs from 1.3b in small ways (its own error texts, an extra ""
to a receive callback); running the real scenarios against the reference
with only that changed shows whether the difference reads as the scenario's
notes promise: NON-STRICT where the manual leaves room, FAIL where it does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.adapters.base import (
    Adapter,
    Call,
    CallbackHandler,
    CandidateSpec,
    LocalCallbackSink,
    Outcome,
    Returned,
)
from harness.candidates import registry
from harness.runner import RunOptions, run_scenario
from harness.scenario.catalog import load_catalog
from harness.scenario.model import CallbackSpec, ScenarioResult
from harness.values import Handle, LuaValue

Args = tuple[LuaValue, ...]


class AlteredReference(Adapter):
    """The reference; ``value`` rewrites every returned value, ``callback`` every callback call's arguments
    (into the list of calls the callback gets instead)."""

    def __init__(self, inner: Adapter, value: Callable[[LuaValue], LuaValue] = lambda value: value,
                 callback: Callable[[Args], list[Args]] = lambda args: [args]) -> None:
        self.inner = inner
        self.info = inner.info
        self._value = value
        self._callback = callback

    def call(self, call: Call) -> Outcome:
        outcome = self.inner.call(call)
        if isinstance(outcome, Returned):
            return Returned(tuple(self._value(value) for value in outcome.values))
        return outcome

    def set_callback_handler(self, handler: CallbackHandler | None) -> None:
        def altered(name: str, args: Args) -> Args:
            assert handler is not None
            answer: Args = ()
            for each in self._callback(tuple(self._value(value) for value in args)):
                answer = handler(name, each)
            return answer

        self.inner.set_callback_handler(None if handler is None else altered)

    def set_local_callbacks(self, specs: Sequence[CallbackSpec], sink: LocalCallbackSink | None) -> bool:
        return False  # every callback call comes through the handler, to be altered

    def claims(self, capability: str) -> bool:
        return self.inner.claims(capability)

    def candidate_threads(self) -> tuple[int, ...]:
        return self.inner.candidate_threads()

    def release(self, handles: list[Handle]) -> None:
        self.inner.release(handles)

    def close(self) -> None:
        self.inner.close()


def altered_reference(name: str, **alterations: Callable) -> CandidateSpec:  # type: ignore[type-arg]
    reference = registry.resolve("reference")
    return CandidateSpec(name, f"the reference, {name}",
                         lambda: AlteredReference(reference.make_adapter(), **alterations), reference.tags)


def run_shipped(scenario_id: str, candidate: CandidateSpec | None = None) -> ScenarioResult:
    """The shipped scenario ``scenario_id`` run against ``candidate`` (the reference unless given)."""
    spec = candidate if candidate is not None else registry.resolve("reference")
    return run_scenario(load_catalog().by_id[scenario_id], spec, RunOptions())
