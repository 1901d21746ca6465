"""A failure worded in a candidate's own terms is NON-STRICT, never FAIL, where the manual gives no text.

The manual asks the protocol clients for "an error message" when they cannot
connect or resolve; 1.3b's texts ("connection refused", "host not found")
are what a PASS holds. These run the shipped scenarios against the reference
with only those texts reworded, as a port on another platform words them.
"""

from __future__ import annotations

import pytest
from altered_reference import altered_reference, run_shipped

from harness.scenario.model import Verdict
from harness.values import LuaValue

OWN_WORDS = {b"connection refused": b"Connection refused (os error 111)",
             b"host not found": b"Name or service not known"}


def _reworded(value: LuaValue) -> LuaValue:
    return OWN_WORDS.get(value, value) if isinstance(value, bytes) else value


REFUSED_SCENARIOS = ["ftp.get.error.refused", "ftp.getindirect.error.refused", "ftp.put.error.refused",
                     "smtp.smtp-mail.connect.refused", "tcp.connect.refused.message",
                     "http.get.error.refused-port", "http.post.error.refused-port",
                     "http.getindirect.receive.refused-connection-reported",
                     "edge.tcp.connect.syn-refused-by-crafted-rst"]


@pytest.mark.parametrize("scenario_id", [
    *REFUSED_SCENARIOS, "ftp.get.error.unknown-host", "smtp.smtp-mail.connect.unknown-host",
])
def test_a_connect_or_resolver_failure_in_other_words_is_non_strict(scenario_id: str) -> None:
    assert run_shipped(scenario_id).verdict is Verdict.PASS
    result = run_shipped(scenario_id, altered_reference("reworded", value=_reworded))
    assert result.verdict is Verdict.NON_STRICT, result.reason


def _refusal_as_timeout(value: LuaValue) -> LuaValue:
    """A port that reports every failed connect as a timeout."""
    return b"connection timed out" if value == b"connection refused" else value


@pytest.mark.parametrize("scenario_id", REFUSED_SCENARIOS)
def test_a_refusal_reported_as_another_failure_fails(scenario_id: str) -> None:
    result = run_shipped(scenario_id, altered_reference("as-timeout", value=_refusal_as_timeout))
    assert result.verdict is Verdict.FAIL
    assert "which names another failure ('timed out')" in result.reason


def _reply_in_own_words(value: LuaValue) -> LuaValue:
    """A server's reply wrapped in a port's words: "server said: 550 no such user"."""
    if isinstance(value, bytes) and value[:3].isdigit() and value[3:4] in (b" ", b"-"):
        return b"server said: " + value
    return value


def _other_reply(value: LuaValue) -> LuaValue:
    """A port that reports an earlier reply of the dialogue than the one that failed it."""
    if isinstance(value, bytes) and value[:3].isdigit() and value[3:4] in (b" ", b"-"):
        return b"150 Opening data connection."
    return value


@pytest.mark.parametrize("scenario_id", [
    "ftp.get.error.retr-rejected", "ftp.get.greeting.multiline-421", "ftp.put.error.stor-rejected",
    "ftp.getindirect.error.after-transfer", "ftp.getindirect.error.retr-rejected",
    "smtp.smtp-mail.error.rcpt-multiline", "smtp.smtp-mail.seed.recipient-refused",
])
def test_a_server_reply_inside_other_words_is_non_strict(scenario_id: str) -> None:
    assert run_shipped(scenario_id).verdict is Verdict.PASS
    reworded = altered_reference("reply-worded", value=_reply_in_own_words)
    result = run_shipped(scenario_id, reworded)
    assert result.verdict is Verdict.NON_STRICT, result.reason


@pytest.mark.parametrize("scenario_id", [
    "ftp.get.error.retr-rejected", "smtp.smtp-mail.seed.recipient-refused",
])
def test_a_message_naming_another_reply_fails(scenario_id: str) -> None:
    result = run_shipped(scenario_id, altered_reference("other-reply", value=_other_reply))
    assert result.verdict is Verdict.FAIL
    assert "150 Opening data connection." in result.reason
