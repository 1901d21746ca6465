"""The reference SMTP client against a real Exim on port 25 of a loopback address of its own.

What counts is what Exim stored: headers as the client sent them, the body
with every line intact after Exim undid the dot-stuffing, one copy per
recipient, and for a refused recipient the server's own reply text as the
error. Exim stores line endings as LF; the expected bodies say so.
"""

from __future__ import annotations

import uuid

from interop_daemon import LogCursor
from interop_exim import DOMAIN, REFUSAL_TEXT, RELAY_TEXT, EximInstance

import reference as ls

SENDER = "sender@example.org"


def _address(name: str) -> str:
    return f"{name}@{DOMAIN}"


def _unique_sender() -> str:
    """A sender address no other test uses, which picks one transaction's lines out of Exim's log."""
    return f"sender-{uuid.uuid4().hex}@example.org"


def _lines_with(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if text in line]


def _subject() -> str:
    return f"interop {uuid.uuid4().hex}"


def test_accepted_message_arrives_with_its_headers_and_body(exim: EximInstance) -> None:
    mailbox = exim.mailbox("alice")
    before = mailbox.seen()
    subject = _subject()
    body = b"first line\r\nsecond line, bare LF follows\nthird line\r\n"
    headers = {"Subject": subject, "X-Interop": "header value kept as given"}
    assert ls.smtp_mail(SENDER, [_address("alice")], headers, body, exim.address) == (None,)
    (message,) = mailbox.wait_new(before)
    assert message.headers["Subject"] == subject
    assert message.headers["X-Interop"] == "header value kept as given"
    assert message.headers["Return-path"] == f"<{SENDER}>"
    assert message.headers["Envelope-to"] == _address("alice")
    assert message.body == b"first line\nsecond line, bare LF follows\nthird line\n"


def test_lines_starting_with_a_dot_arrive_unstuffed(exim: EximInstance) -> None:
    mailbox = exim.mailbox("bob")
    before = mailbox.seen()
    body = b".first line starts with a dot\r\n.\r\n..two dots\r\nmid . dot\r\n.. \r\n."
    assert ls.smtp_mail(SENDER, [_address("bob")], {"Subject": _subject()}, body, exim.address) == (None,)
    (message,) = mailbox.wait_new(before)
    assert message.body == b".first line starts with a dot\n.\n..two dots\nmid . dot\n.. \n.\n"


def test_every_recipient_gets_one_copy(exim: EximInstance) -> None:
    names = ("alice", "bob", "carol")
    mailboxes = {name: exim.mailbox(name) for name in names}
    before = {name: mailbox.seen() for name, mailbox in mailboxes.items()}
    subject = _subject()
    recipients = [_address(name) for name in names]
    assert ls.smtp_mail(SENDER, recipients, {"Subject": subject}, b"to three\r\n", exim.address) == (None,)
    for name, mailbox in mailboxes.items():
        (message,) = mailbox.wait_new(before[name])
        assert message.headers["Subject"] == subject
        assert message.headers["Envelope-to"] == _address(name)
        assert message.body == b"to three\n"


def test_refused_recipient_returns_the_server_reply_text(exim: EximInstance) -> None:
    sender = _unique_sender()
    log = LogCursor(exim.mainlog)
    assert ls.smtp_mail(sender, [_address("mallory")], {"Subject": "x"}, b"x", exim.address) == (
        REFUSAL_TEXT,
    )
    (rejection,) = log.wait_for(lambda new: bool(_lines_with(new, sender)))
    assert rejection.endswith(f"F=<{sender}> rejected RCPT <{_address('mallory')}>: {REFUSAL_TEXT[4:]}")


def test_one_refused_recipient_stops_the_whole_message(exim: EximInstance) -> None:
    sender = _unique_sender()
    log = LogCursor(exim.mainlog)
    recipients = [_address("alice"), _address("mallory")]
    assert ls.smtp_mail(sender, recipients, {"Subject": "x"}, b"x", exim.address) == (REFUSAL_TEXT,)
    # Exim logs "<=" for a message it accepted, before it answers the final "."; there is none.
    # The rejection is logged before the 550 goes out, so by now every line of this sender is there.
    lines = _lines_with(log.wait_for(lambda new: bool(_lines_with(new, sender))), sender)
    assert len(lines) == 1 and "rejected RCPT" in lines[0]


def test_recipient_in_another_domain_is_refused_as_relaying(exim: EximInstance) -> None:
    assert ls.smtp_mail(SENDER, ["someone@elsewhere.test"], None, b"x", exim.address) == (RELAY_TEXT,)


def test_mail_table_delivers_to_to_cc_and_bcc_without_a_bcc_header(exim: EximInstance) -> None:
    mailboxes = {name: exim.mailbox(name) for name in ("alice", "bob", "carol")}
    before = {name: mailbox.seen() for name, mailbox in mailboxes.items()}
    subject = _subject()
    fields = {
        "to": f"Alice <{_address('alice')}>",
        "cc": _address("bob"),
        "bcc": _address("carol"),
        "from": SENDER,
        "subject": subject,
        "message": b"sent with mail{}\r\n",
        "mailserver": exim.address,
    }
    assert ls.mail(fields) == (None,)
    for name, mailbox in mailboxes.items():
        (message,) = mailbox.wait_new(before[name])
        assert message.headers["To"] == f"Alice <{_address('alice')}>"
        assert message.headers["Cc"] == _address("bob")
        assert message.headers["Subject"] == subject
        assert message.headers["Bcc"] is None
        assert message.body == b"sent with mail{}\n"
