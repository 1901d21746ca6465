"""A failure worded in a candidate's own terms is NON-STRICT, never FAIL, where the manual gives no text.

The manual asks the protocol clients for "an error message" when they cannot
connect or resolve; 1.3b's texts ("connection refused", "host not found")
are what a PASS holds. These run the shipped scenarios against the reference
with only those texts reworded, as a port on another platform words them.
"""

from __future__ import annotations

import pytest
from altered_reference import altered_reference

from harness.candidates import registry
from harness.runner import RunOptions, run_scenario
from harness.scenario.catalog import load_catalog
from harness.scenario.model import Verdict
from harness.values import LuaValue

OWN_WORDS = {b"connection refused": b"Connection refused (os error 111)",
             b"host not found": b"Name or service not known"}


def _reworded(value: LuaValue) -> LuaValue:
    return OWN_WORDS.get(value, value) if isinstance(value, bytes) else value


@pytest.mark.parametrize("scenario_id", [
    "ftp.get.error.refused", "ftp.get.error.unknown-host", "ftp.getindirect.error.refused",
    "ftp.put.error.refused", "smtp.smtp-mail.connect.refused", "smtp.smtp-mail.connect.unknown-host",
    "tcp.connect.refused.message", "http.get.error.refused-port",
])
def test_a_connect_or_resolver_failure_in_other_words_is_non_strict(scenario_id: str) -> None:
    scenario = load_catalog().by_id[scenario_id]
    assert run_scenario(scenario, registry.resolve("reference"), RunOptions()).verdict is Verdict.PASS
    result = run_scenario(scenario, altered_reference("reworded", value=_reworded), RunOptions())
    assert result.verdict is Verdict.NON_STRICT, result.reason
