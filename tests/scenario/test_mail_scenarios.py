"""The shipped mail{} header checks (``!message``) give each reading the verdict its note promises."""

from __future__ import annotations

import functools

import pytest

from harness.scenario.catalog import default_root
from harness.scenario.loader import load_file
from harness.scenario.matchers import value_mismatch
from harness.scenario.message_matcher import MessageMatcher
from harness.scenario.model import Scenario

MANUAL = b"This is a test message. Please ignore.\r\n"


@functools.cache
def _scenarios() -> dict[str, Scenario]:
    return {scenario.id: scenario for scenario in load_file(default_root() / "smtp" / "mail.yaml")}


def _content_checks(scenario_id: str) -> list[tuple[str, MessageMatcher]]:
    """(verdict, matcher) of each outcome of the scenario's checks that judges a message's content."""
    found = []
    for step in _scenarios()[scenario_id].steps:
        for outcome in getattr(step, "outcomes", ()) or ():
            envelopes = outcome.fields.get("envelopes", ())
            for envelope in envelopes if isinstance(envelopes, tuple) else ():
                for _, matcher in getattr(envelope, "entries", ()):
                    if isinstance(matcher, MessageMatcher):
                        found.append((outcome.verdict.value, matcher))
    return found


def _verdict(scenario_id: str, content: bytes) -> str:
    checks = _content_checks(scenario_id)
    assert checks, f"{scenario_id} has no !message check"
    verdict = next((verdict for verdict, matcher in checks if matcher.matches(content, {})), None)
    return verdict or "FAIL: " + "; ".join(value_mismatch(matcher, content, {}) for _, matcher in checks)


@pytest.mark.parametrize(("content", "verdict"), [
    (b"Subject: LuaSocket test message\r\nTo: fulano@example.org\r\nFrom: luasocket@example.org\r\n\r\n"
     + MANUAL, "PASS"),
    (b"Date: Mon, 7 Dec 2026\r\nto: fulano@example.org\r\nFROM:luasocket@example.org\r\n"
     b"Subject: LuaSocket\r\n test message\r\n\r\n" + MANUAL, "NON-STRICT"),
    (b"To: fulano@example.org\r\nFrom: luasocket@example.org\r\nSubject: LuaSocket test message\r\n"
     b"Bcc: x@example.org\r\n\r\n" + MANUAL, "FAIL: "),
    (b"To: fulano@example.org\r\nFrom: luasocket@example.org\r\nSubject: LuaSocket test message\r\n"
     b"To: again@example.org\r\n\r\n" + MANUAL, "FAIL: "),
])
def test_the_manual_example(content: bytes, verdict: str) -> None:
    assert _verdict("smtp.mail.basic.manual-example", content).startswith(verdict)


@pytest.mark.parametrize(("content", "verdict"), [
    (b"To: a@example.org\r\nFrom: luasocket@example.org\r\nCc: c@example.org,  d@example.org\r\n"
     b"\r\nhello\r\n", "PASS"),
    (b"CC: c@example.org,\r\n d@example.org\r\nTo: a@example.org\r\nFrom: luasocket@example.org\r\n"
     b"Subject: \r\n\r\nhello\r\n", "NON-STRICT"),
    (b"To: a@example.org\r\nFrom: luasocket@example.org\r\nCc: c@example.org,  d@example.org\r\n"
     b"Subject: hi\r\n\r\nhello\r\n", "FAIL: "),
])
def test_cc_kept_and_no_subject_invented(content: bytes, verdict: str) -> None:
    assert _verdict("smtp.mail.headers.cc-kept-bcc-hidden", content).startswith(verdict)


@pytest.mark.parametrize(("body", "verdict"), [(b"", "PASS"), (b"\r\n", "NON-STRICT"), (b"x", "FAIL: ")])
def test_a_nil_message_is_an_empty_body(body: bytes, verdict: str) -> None:
    content = b"To: a@example.org\r\nFrom: luasocket@example.org\r\nSubject: empty\r\n\r\n" + body
    assert _verdict("smtp.mail.message.nil", content).startswith(verdict)


def test_a_failure_names_the_field() -> None:
    content = b"To: a@example.org\r\nFrom: luasocket@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
    assert 'Subject: expected one of (absent | ""), got "hi"' in _verdict("smtp.mail.headers.no-subject",
                                                                         content)
