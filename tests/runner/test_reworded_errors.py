"""A failure worded in a candidate's own terms is NON-STRICT, never FAIL, where the manual gives no text.

The manual asks the protocol clients for "an error message" when they cannot
connect or resolve; 1.3b's texts ("connection refused", "host not found")
are what a PASS holds. These run the shipped scenarios against the reference
with only those texts reworded, as a port on another platform words them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

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
from harness.scenario.model import CallbackSpec, Verdict
from harness.values import Handle, LuaValue

OWN_WORDS = {b"connection refused": b"Connection refused (os error 111)",
             b"host not found": b"Name or service not known"}


class Rewording(Adapter):
    """The reference, with 1.3b's connect and resolver texts in other words wherever a call returns them."""

    def __init__(self, inner: Adapter) -> None:
        self.inner = inner
        self.info = inner.info

    def call(self, call: Call) -> Outcome:
        outcome = self.inner.call(call)
        if isinstance(outcome, Returned):
            return Returned(tuple(_reworded(value) for value in outcome.values))
        return outcome

    def set_callback_handler(self, handler: CallbackHandler | None) -> None:
        def reworded(name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
            assert handler is not None
            return handler(name, tuple(_reworded(value) for value in args))

        self.inner.set_callback_handler(None if handler is None else reworded)

    def set_local_callbacks(self, specs: Sequence[CallbackSpec], sink: LocalCallbackSink | None) -> bool:
        return False  # every callback call comes through the handler, to be reworded

    def claims(self, capability: str) -> bool:
        return self.inner.claims(capability)

    def candidate_threads(self) -> tuple[int, ...]:
        return self.inner.candidate_threads()

    def release(self, handles: list[Handle]) -> None:
        self.inner.release(handles)

    def close(self) -> None:
        self.inner.close()


def _reworded(value: LuaValue) -> LuaValue:
    return OWN_WORDS.get(value, value) if isinstance(value, bytes) else value


@pytest.mark.parametrize("scenario_id", [
    "ftp.get.error.refused", "ftp.get.error.unknown-host", "ftp.getindirect.error.refused",
    "ftp.put.error.refused", "smtp.smtp-mail.connect.refused", "smtp.smtp-mail.connect.unknown-host",
    "tcp.connect.refused.message", "http.get.error.refused-port",
])
def test_a_connect_or_resolver_failure_in_other_words_is_non_strict(scenario_id: str) -> None:
    reference = registry.resolve("reference")
    candidate = CandidateSpec("reworded", "the reference in other words",
                              lambda: Rewording(reference.make_adapter()), reference.tags)
    scenario = load_catalog().by_id[scenario_id]
    assert run_scenario(scenario, reference, RunOptions()).verdict is Verdict.PASS
    result = run_scenario(scenario, candidate, RunOptions())
    assert result.verdict is Verdict.NON_STRICT, result.reason
