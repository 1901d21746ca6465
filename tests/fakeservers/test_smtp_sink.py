"""The SMTP sink engine: its state machine without sockets, then the server against the aiosmtpd engine."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT, read_reply, wait_sessions_closed

from fakeservers import ConfigError, from_config
from fakeservers.events import Command, Received, Reply
from fakeservers.smtp.protocol import MailEnvelope
from fakeservers.smtp.sink_protocol import MAX_LINE, SinkSession, unstuff

Start = Callable[..., Any]


def _session() -> tuple[SinkSession, list[MailEnvelope]]:
    envelopes: list[MailEnvelope] = []
    return SinkSession(7, "sink.test", envelopes.append), envelopes


def _codes(replies: bytes) -> list[str]:
    return [line[:3].decode() for line in replies.split(b"\r\n") if line]


def test_a_delivery_is_answered_and_recorded_as_sent() -> None:
    session, envelopes = _session()
    assert session.greeting().startswith(b"220 sink.test")
    replies = session.receive(b"HELO me\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\n"
                              b"RCPT TO:<c@d>\r\nRCPT TO:e@f\r\nDATA\r\n")
    assert _codes(replies) == ["250", "250", "250", "250", "354"]
    assert session.receive(b"Subject: x\r\n\r\n..dot\r\nend\r\n.\r\nQUIT\r\n") == b"250 OK\r\n221 Bye\r\n"
    assert session.closed
    assert envelopes == [MailEnvelope(connection=7, helo="me", mail_from="a@b", rcpt_tos=("c@d", "e@f"),
                                      wire=b"Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n",
                                      content=b"Subject: x\r\n\r\n.dot\r\nend\r\n")]


def test_a_message_arriving_a_byte_at_a_time_ends_only_at_its_dot_line() -> None:
    session, envelopes = _session()
    session.receive(b"EHLO me\r\nMAIL FROM:<>\r\nRCPT TO:<c@d>\r\nDATA\r\n")
    message = b"line one\r\n.. stuffed\r\n.\r\n"
    replies = b"".join(session.receive(message[i:i + 1]) for i in range(len(message)))
    assert replies == b"250 OK\r\n"
    assert envelopes[0].mail_from == "" and envelopes[0].content == b"line one\r\n. stuffed\r\n"


def test_an_empty_message_and_a_second_transaction_on_one_session() -> None:
    session, envelopes = _session()
    replies = session.receive(b"HELO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n.\r\n"
                              b"MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nhi\r\n.\r\n")
    assert _codes(replies) == ["250", "250", "250", "354", "250", "250", "250", "354", "250"]
    assert [(e.mail_from, e.wire, e.content) for e in envelopes] == [
        ("a@b", b".\r\n", b""), ("x@y", b"hi\r\n.\r\n", b"hi\r\n")]


@pytest.mark.parametrize(("dialogue", "last"), [
    (b"MAIL FROM:<a@b>\r\n", "503 Error: send HELO first"),
    (b"HELO me\r\nRCPT TO:<c@d>\r\n", "503 Error: need MAIL command"),
    (b"HELO me\r\nMAIL FROM:<a@b>\r\nDATA\r\n", "503 Error: need RCPT command"),
    (b"HELO me\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n", "503 Error: nested MAIL command"),
    (b"HELO me\r\nMAIL TO:<a@b>\r\n", "501 Syntax: MAIL FROM: <address>"),
    (b"HELO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:\r\n", "501 Syntax: RCPT TO: <address>"),
    (b"HELO\r\n", "501 Syntax: HELO hostname"),
    (b"HELO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA now\r\n", "501 Syntax: DATA"),
    (b"HELO me\r\nMAIL FROM:<a@b>\r\nRSET\r\nRCPT TO:<c@d>\r\n", "503 Error: need MAIL command"),
])
def test_commands_out_of_order_or_malformed_get_aiosmtpds_replies(dialogue: bytes, last: str) -> None:
    session, envelopes = _session()
    replies = session.receive(dialogue).decode().split("\r\n")
    assert replies[-2] == last and not envelopes and not session.closed


@pytest.mark.parametrize(("dialogue", "last"), [
    (b"VRFY someone\r\n", '500 Error: command "VRFY" not recognized'),  # aiosmtpd: 252
    (b"x" * (MAX_LINE + 1), "500 Error: line too long"),
])
def test_what_the_sink_does_not_serve_is_refused(dialogue: bytes, last: str) -> None:
    session, envelopes = _session()
    replies = session.receive(dialogue).decode().split("\r\n")
    assert replies[-2] == last and not envelopes and not session.closed


def test_unstuffing_drops_one_leading_dot_per_crlf_line_only() -> None:
    assert unstuff(b"..a\r\n.b\r\nc.\r\nd\n.e") == b".a\r\nb\r\nc.\r\nd\n.e"


def test_the_sink_records_what_the_aiosmtpd_engine_records(start: Start) -> None:
    message = "Subject: same\r\n\r\n.leading\r\n..two\r\n" + "text\r\n" * 500
    records = []
    for sink in (False, True):
        server = start("smtp", {"sink": sink})
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            client.helo("client.test")
            client.sendmail("a@b", ["c@d", "e@f"], message)
            client.sendmail("x@y", ["z@w"], "Subject: second\r\n\r\nbody")
        records.append([(e.helo, e.mail_from, e.rcpt_tos, e.wire, e.content) for e in server.received])
    assert records[0] == records[1] and len(records[1]) == 2



def test_the_sink_answers_first_yet_records_in_wire_order(start: Start) -> None:
    """Replies go out before their commands are recorded; the transcript keeps the wire's order."""
    server = start("smtp", {"sink": True})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        assert read_reply(client).startswith(b"220")
        client.sendall(b"HELO me\r\nMAIL FROM:<a@b>\r\n")  # two commands, one chunk, one send
        for code in (b"250", b"250"):
            assert read_reply(client).startswith(code)
        client.sendall(b"QUIT\r\n")
        assert read_reply(client).startswith(b"221")
    wait_sessions_closed(server)
    shown = [(type(e).__name__, getattr(e, "line", None) or e.data)
             for e in server.transcript.all() if isinstance(e, Received | Command | Reply)]
    assert [(kind, data[:4]) for kind, data in shown] == [
        ("Reply", b"220 "),
        ("Received", b"HELO"), ("Command", b"HELO"), ("Command", b"MAIL"), ("Reply", b"250 "),
        ("Received", b"QUIT"), ("Command", b"QUIT"), ("Reply", b"221 ")]
    assert shown[4][1].count(b"\r\n") == 2  # both answers in one reply event, as sent

def test_stopping_the_sink_ends_an_idle_session(start: Start) -> None:
    server = start("smtp", {"sink": True})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        assert read_reply(client).startswith(b"220")
        client.sendall(b"HELO me\r\n")
        assert read_reply(client).startswith(b"250")
        server.stop()
        assert client.recv(100) == b""
    closes = [event.describe() for event in server.transcript.all() if "closed" in event.describe()]
    assert closes and "stop" in closes[-1]


def test_the_sink_takes_no_reply_script() -> None:
    with pytest.raises(ConfigError) as error:
        from_config("smtp", {"sink": True, "replies": {"RCPT": "550 no"}})
    assert "replies" in str(error.value) and "no reply script" in str(error.value)
