"""``smtp_mail`` and ``mail`` against a local SMTP server on its own 127.a.b.c, port 25."""

from __future__ import annotations

from typing import Any

import pytest
from proto_fakes import SmtpFake
from proto_servers import random_loopback_hosts

import reference
from reference.protocols.smtp import mail, smtp_mail


@pytest.fixture(autouse=True)
def _plain_helo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SERVER_NAME", raising=False)


def test_a_message_is_delivered_as_the_manual_describes() -> None:
    with SmtpFake() as server:
        result = smtp_mail(
            "luasocket@example.org",
            ["fulano@example.org", "sicrano@example.org"],
            {"To": "fulano@example.org", "Subject": "LuaSocket test message"},
            b"This is a test message.\nPlease ignore.",
            server.host,
        )
    assert result == (None,)
    assert server.commands == [
        "HELO localhost",
        "MAIL FROM:<luasocket@example.org>",
        "RCPT TO:<fulano@example.org>",
        "RCPT TO:<sicrano@example.org>",
        "DATA",
        "QUIT",
    ]
    assert server.messages == [
        b"To: fulano@example.org\r\nSubject: LuaSocket test message\r\n\r\n"
        b"This is a test message.\r\nPlease ignore.\r\n.\r\n"
    ]


def test_dots_and_line_endings_on_the_wire() -> None:
    with SmtpFake() as server:
        assert smtp_mail("a@x", ["b@y"], None, b".first\n.\r\nmid\rend.", server.host) == (None,)
    assert server.messages == [b"\r\n..first\r\n..\r\nmid\r\nend.\r\n.\r\n"]


def test_helo_uses_server_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_NAME", "client.example")
    with SmtpFake() as server:
        smtp_mail("a@x", ["b@y"], None, None, server.host)
    assert server.commands[0] == "HELO client.example"


def test_recipients_from_a_lua_table_with_a_count_field() -> None:
    with SmtpFake() as server:
        assert smtp_mail("a@x", {1: b"b@y", 2: b"c@z", "n": 2}, None, b"", server.host) == (None,)
    assert server.commands[2:4] == ["RCPT TO:<b@y>", "RCPT TO:<c@z>"]


def test_a_single_recipient_string_and_multi_line_replies() -> None:
    replies = {"GREETING": b"220-first\r\n220-second\r\n220 ready\r\n", "RCPT": b"251 will forward\r\n"}
    with SmtpFake(replies=replies) as server:
        assert smtp_mail("a@x", "b@y", {}, b"hi", server.host) == (None,)
    assert server.commands[2] == "RCPT TO:<b@y>"


@pytest.mark.parametrize(
    ("replies", "error", "last_command"),
    [
        ({"GREETING": b"554 go away\r\n"}, "554 go away", "QUIT"),
        ({"HELO": b"501-bad\r\n501 domain\r\n"}, "501-bad\n501 domain", "QUIT"),
        ({"MAIL": b"553 no such sender\r\n"}, "553 no such sender", "QUIT"),
        ({"RCPT": b"550 no such user\r\n"}, "550 no such user", "QUIT"),
        ({"DATA": b"451 later\r\n"}, "451 later", "QUIT"),
        ({"MESSAGE": b"552 too big\r\n"}, "552 too big", "QUIT"),
        ({"HELO": b"250\r\n"}, "250", "QUIT"),
    ],
)
def test_an_unexpected_reply_is_the_error_and_quit_follows(
    replies: dict[str, bytes], error: str, last_command: str
) -> None:
    with SmtpFake(replies=replies) as server:
        assert smtp_mail("a@x", ["b@y"], None, b"body", server.host) == (error,)
    assert server.commands[-1] == last_command


def test_a_bad_quit_reply_does_not_undo_a_delivered_message() -> None:
    with SmtpFake(replies={"QUIT": b"500 no\r\n"}) as server:
        assert smtp_mail("a@x", ["b@y"], None, b"body", server.host) == (None,)
    assert len(server.messages) == 1


@pytest.mark.parametrize("verb", ["GREETING", "MAIL", "MESSAGE"])
def test_a_server_that_hangs_up_gives_closed(verb: str) -> None:
    with SmtpFake(replies={verb: None}) as server:
        assert smtp_mail("a@x", ["b@y"], None, b"body", server.host) == ("closed",)
    assert "QUIT" not in server.commands  # nobody left to say it to


def closed_loopback_host() -> str:
    """A loopback address where nothing listens on port 25 (fresh ones are unused)."""
    return next(random_loopback_hosts())


def test_connection_refused() -> None:
    assert smtp_mail("a@x", ["b@y"], None, b"", closed_loopback_host()) == ("connection refused",)


def test_the_port_is_fixed_so_host_colon_port_is_not_a_host() -> None:
    assert smtp_mail("a@x", ["b@y"], None, b"", "127.0.0.1:2525") == ("host not found",)


def test_mail_with_the_cgilua_fields() -> None:
    with SmtpFake() as server:
        result = mail(
            {
                "to": "Fulano <fulano@example.org>, beltrano@example.org",
                "from": "luasocket@example.org",
                "subject": "LuaSocket test message",
                "message": b"This is a test message. Please ignore.",
                "cc": "c1@example.org",
                "bcc": "hidden@example.org",
                "mailserver": server.host,
            }
        )
    assert result == (None,)
    assert server.commands[2:6] == [
        "RCPT TO:<fulano@example.org>",
        "RCPT TO:<beltrano@example.org>",
        "RCPT TO:<c1@example.org>",
        "RCPT TO:<hidden@example.org>",
    ]
    (message,) = server.messages
    assert message.startswith(
        b"To: Fulano <fulano@example.org>, beltrano@example.org\r\nFrom: luasocket@example.org\r\n"
        b"Cc: c1@example.org\r\nSubject: LuaSocket test message\r\n\r\n"
    )
    assert b"hidden" not in message


def test_mail_without_optional_fields() -> None:
    with SmtpFake() as server:
        assert mail({"to": "a@x", "from": "b@y", "mailserver": server.host}) == (None,)
    assert server.messages == [b"To: a@x\r\nFrom: b@y\r\n\r\n.\r\n"]


@pytest.mark.parametrize("missing", ["to", "from", "mailserver"])
def test_mail_requires_to_from_and_mailserver(missing: str) -> None:
    fields = {"to": "a@x", "from": "b@y", "mailserver": "127.0.0.1"}
    del fields[missing]
    with pytest.raises(reference.LuaError, match=missing):
        mail(fields)


@pytest.mark.parametrize(
    "call",
    [
        lambda: smtp_mail({}, ["b@y"], None, b"", "h"),
        lambda: smtp_mail("a@x", 5, None, b"", "h"),
        lambda: smtp_mail("a@x", ["b@y"], "headers", b"", "h"),
        lambda: smtp_mail("a@x", ["b@y"], None, {}, "h"),
        lambda: smtp_mail("a@x", ["b@y"], None, b""),
        lambda: mail("not a table"),
        lambda: mail(),
    ],
)
def test_misuse_raises(call: Any) -> None:
    with pytest.raises(reference.LuaError):
        call()
