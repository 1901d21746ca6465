"""``!message``: header fields judged one by one, and the difference named, without any network."""

from __future__ import annotations

import re

import pytest

from harness.scenario.matchers import Exact, OneOf, Regex, value_mismatch
from harness.scenario.message_matcher import MessageMatcher, parse_fields, split_message
from harness.scenario.record_matchers import Absent

MESSAGE = b"To: fulano@example.org\r\nFrom: luasocket@example.org\r\nSubject: hello\r\n\r\nbody text\r\n"


def strict(**extra: object) -> MessageMatcher:
    fields = ((b"To", Exact(b"fulano@example.org")), (b"From", Exact(b"luasocket@example.org")),
              (b"Subject", Exact(b"hello")))
    return MessageMatcher(fields, **extra)  # type: ignore[arg-type]


def test_split_message_finds_the_empty_line() -> None:
    assert split_message(b"A: 1\r\nB: 2\r\n\r\nrest\r\n\r\nmore") == ([b"A: 1", b"B: 2"], b"rest\r\n\r\nmore")
    assert split_message(b"\r\nno headers") == ([], b"no headers")
    assert split_message(b"A: 1\r\nno empty line") is None


def test_parse_fields_unfolds_only_when_lenient() -> None:
    lines = [b"To: a@example.org,", b"\t b@example.org", b"X-Y:value  "]
    fields = parse_fields(lines, lenient=True)
    assert not isinstance(fields, str)
    assert [(field.name, field.value) for field in fields] == [
        (b"To", b"a@example.org, b@example.org"), (b"X-Y", b"value")]
    problem = parse_fields(lines, lenient=False)
    assert problem == 'header line 2 "\\t b@example.org" starts with a blank (a folded field)'


@pytest.mark.parametrize(("line", "fragment"), [
    (b"no colon here", "is not a field"),
    (b": no name", "is not a field"),
    (b"To:x@example.org", "expected one space after the colon"),
])
def test_a_line_that_is_not_a_strict_field_is_named(line: bytes, fragment: str) -> None:
    problem = parse_fields([line], lenient=False)
    assert isinstance(problem, str) and fragment in problem


def test_the_fields_in_any_order_match() -> None:
    swapped = b"Subject: hello\r\nTo: fulano@example.org\r\nFrom: luasocket@example.org\r\n\r\nbody text\r\n"
    matcher = strict(body=Exact(b"body text\r\n"))
    assert matcher.matches(MESSAGE, {}) and matcher.matches(swapped, {})


@pytest.mark.parametrize(("message", "reason"), [
    (MESSAGE.replace(b"hello", b"hullo"), 'Subject: expected "hello", got "hullo"'),
    (MESSAGE.replace(b"To: fulano@example.org\r\n", b""), "no To field (the fields: From, Subject)"),
    (MESSAGE.replace(b"To:", b"TO:"), "no To field: its name is written TO"),
    (MESSAGE.replace(b"\r\n\r\n", b"\r\nDate: today\r\n\r\n"), 'an unexpected field "Date: today"'),
    (MESSAGE.replace(b"\r\n\r\n", b"\r\nTo: again@example.org\r\n\r\n"), "To appears 2 times"),
    (MESSAGE.replace(b"body text", b"other"), 'body: expected "body text\\r\\n", got "other\\r\\n"'),
    (b"To: fulano@example.org", "no empty line ends the header block"),
])
def test_a_strict_mismatch_names_the_difference(message: bytes, reason: str) -> None:
    matcher = strict(body=Exact(b"body text\r\n"))
    assert not matcher.matches(message, {})
    assert reason in value_mismatch(matcher, message, {})


def test_lenient_takes_other_fields_any_case_and_folding_but_not_an_absent_one() -> None:
    fields = ((b"To", Exact(b"fulano@example.org")), (b"From", Exact(b"luasocket@example.org")),
              (b"Subject", Exact(b"hello")), (b"Bcc", Absent()))
    matcher = MessageMatcher(fields, lenient=True)
    relaxed = (b"date: today\r\nTO:   fulano@example.org \r\nFrom: luasocket@example.org\r\n"
               b"subject:\r\n hello\r\n\r\nanything")
    assert matcher.matches(relaxed, {})
    hidden = relaxed.replace(b"date: today", b"BCC: d@example.org")
    assert value_mismatch(matcher, hidden, {}) == 'Bcc: expected absent, got "d@example.org"'
    twice = relaxed.replace(b"date: today", b"to: other@example.org")
    assert value_mismatch(matcher, twice, {}) == "To appears 2 times"


def test_a_field_value_may_be_any_matcher() -> None:
    matcher = MessageMatcher(((b"Date", Regex(re.compile(rb"\A\w{3}, \d"))),))
    assert matcher.matches(b"Date: Mon, 7 Dec 2026\r\n\r\n", {})
    assert "Date: expected a string matching" in value_mismatch(matcher, b"Date: yesterday\r\n\r\n", {})


def test_a_field_whose_matcher_accepts_nil_may_be_missing() -> None:
    matcher = MessageMatcher(((b"To", Exact(b"a@example.org")), (b"Subject", OneOf((Absent(), Exact(b""))))))
    assert matcher.matches(b"To: a@example.org\r\n\r\n", {})
    assert matcher.matches(b"To: a@example.org\r\nSubject: \r\n\r\n", {})
    assert value_mismatch(matcher, b"To: a@example.org\r\nSubject: hi\r\n\r\n", {}) == \
        'Subject: expected one of (absent | ""), got "hi"'


def test_no_fields_means_an_empty_header_block() -> None:
    matcher = MessageMatcher((), body=Exact(b"b"))
    assert matcher.matches(b"\r\nb", {})
    assert value_mismatch(matcher, b"X: 1\r\n\r\nb", {}) == 'an unexpected field "X: 1"'


def test_describe_says_which_reading() -> None:
    assert strict().describe({}) == ('a message with the fields To: "fulano@example.org", '
                                     'From: "luasocket@example.org", Subject: "hello" '
                                     "(exactly these, in any order, one line each)")
    lenient = strict(lenient=True, body=Exact(b"x"))
    assert lenient.describe({}).endswith(
        '(among others, names in any case, folding allowed), then the body "x"')
