"""The SMTP dialogue as data and the message as it goes on the wire (spec §13), no network."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.smtp_session import (
    dot_stuff,
    helo_domain,
    message_data,
    normalise_line_endings,
    plan_message,
    split_addresses,
)


def failure(call: object) -> str:
    with pytest.raises(CallFailed) as caught:
        call()  # type: ignore[operator]
    return caught.value.message


def test_the_dialogue() -> None:
    steps = plan_message("me@x", ["a@y", "b@z"], [("Subject", "hi")], b"body", "client.example")
    assert [(step.send, sorted(step.expect)) for step in steps] == [
        (None, [220]),
        (b"HELO client.example\r\n", [250]),
        (b"MAIL FROM:<me@x>\r\n", [250]),
        (b"RCPT TO:<a@y>\r\n", [250, 251]),
        (b"RCPT TO:<b@z>\r\n", [250, 251]),
        (b"DATA\r\n", [354]),
        (b"Subject: hi\r\n\r\nbody\r\n.\r\n", [250]),
    ]


def test_no_recipients_is_an_error() -> None:
    assert failure(lambda: plan_message("me@x", [], [], b"", "d")) == errors.NO_RECIPIENTS


@pytest.mark.parametrize("bad", ["a\r\nRCPT TO:<evil@x>", "a\nb", "a\rb", "a\x00b", "a\u20acb"])
def test_line_breaks_in_addresses_are_refused(bad: str) -> None:
    assert failure(lambda: plan_message(bad, ["ok@x"], [], b"", "d")) == errors.BAD_ADDRESS_CHARACTER
    assert failure(lambda: plan_message("ok@x", ["ok@y", bad], [], b"", "d")) == errors.BAD_ADDRESS_CHARACTER


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("Subject", "hi\r\nBcc: evil@x", errors.BAD_HEADER_CHARACTER),
        ("Subject", "hi\nthere", errors.BAD_HEADER_CHARACTER),
        ("Sub\rject", "x", errors.BAD_HEADER_CHARACTER),
        ("Sub ject", "x", errors.BAD_HEADER_NAME),
        ("Sub:ject", "x", errors.BAD_HEADER_NAME),
        ("", "x", errors.BAD_HEADER_NAME),
    ],
)
def test_unsafe_headers_are_refused(name: str, value: str, message: str) -> None:
    assert failure(lambda: message_data([(name, value)], b"")) == message


def test_headers_keep_their_names_and_order() -> None:
    data = message_data([("X-Mixed-Case", "v\tw"), ("to", "a@b")], b"")
    assert data == b"X-Mixed-Case: v\tw\r\nto: a@b\r\n\r\n.\r\n"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (b"a\nb", b"a\r\nb"),
        (b"a\rb", b"a\r\nb"),
        (b"a\r\nb", b"a\r\nb"),
        (b"a\r\r\nb", b"a\r\n\r\nb"),
        (b"a\n\rb", b"a\r\n\r\nb"),
        (b"", b""),
    ],
)
def test_every_line_ending_becomes_crlf(raw: bytes, normal: bytes) -> None:
    assert normalise_line_endings(raw) == normal


def test_dot_stuffing_includes_the_first_line() -> None:
    assert dot_stuff(b".a\r\n.\r\nb.\r\n..c") == b"..a\r\n..\r\nb.\r\n...c"


def test_the_spec_example_goes_out_without_losing_a_line() -> None:
    # 1.3b sent "line1\n..line2\r\n..\r\nend.\r\n.\r\n" (bare LF kept)
    assert message_data([], b"line1\n.line2\r\n.\r\nend.") == b"\r\nline1\r\n..line2\r\n..\r\nend.\r\n.\r\n"


def test_a_body_ending_in_a_line_break_gets_no_extra_line() -> None:
    assert message_data([], b"text\n") == b"\r\ntext\r\n.\r\n"


def server_view(data: bytes) -> list[bytes]:
    """What an RFC 5321 server reconstructs: lines up to the lone ".", dots unstuffed."""
    lines = data.split(b"\r\n")
    assert lines[-1] == b"", "data must end with CRLF"
    end = lines.index(b".")
    assert end == len(lines) - 2, "the terminator must be the last line, and the only one"
    return [line[1:] if line.startswith(b".") else line for line in lines[:end]]


@given(st.binary(max_size=200) | st.text(alphabet=".\r\nab", max_size=60).map(str.encode))
def test_no_body_line_is_lost_or_smuggled(body: bytes) -> None:
    received = server_view(message_data([("Subject", "s")], body))
    expected_lines = re.split(rb"\r\n|\r|\n", body)
    if expected_lines[-1] == b"":
        expected_lines.pop()  # a final line break ends the last line; b"" has no line
    assert received == [b"Subject: s", b"", *expected_lines]


def test_helo_domain_from_the_environment() -> None:
    assert helo_domain({}) == "localhost"
    assert helo_domain({"SERVER_NAME": ""}) == "localhost"
    assert helo_domain({"SERVER_NAME": "mail.example"}) == "mail.example"
    assert failure(lambda: helo_domain({"SERVER_NAME": "x\r\nRSET"})) == errors.BAD_DOMAIN_CHARACTER


@pytest.mark.parametrize(
    ("field", "addresses"),
    [
        ("a@x, b@y", ["a@x", "b@y"]),
        ("a@x b@y,,c@z", ["a@x", "b@y", "c@z"]),
        ("Fulano de Tal <f@x.org>, b@y", ["f@x.org", "b@y"]),
        ("", []),
        (" , ", []),
    ],
)
def test_split_addresses(field: str, addresses: list[str]) -> None:
    assert split_addresses(field) == addresses
