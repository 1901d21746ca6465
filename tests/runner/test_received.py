"""Fake server records become the Lua tables check steps match."""

from __future__ import annotations

from fakeservers.events import DATA, WireTranscript
from fakeservers.ftp.records import FtpCommand, FtpReceived, Transfer
from fakeservers.http.exchange import HttpRequest
from fakeservers.smtp.protocol import MailEnvelope
from harness.received import ftp_logins, http_request, lua_text, records, smtp_envelope
from harness.values import LuaTable


def test_http_request_fields_are_lua_strings_and_numbers() -> None:
    request = HttpRequest(connection=1, method="GET", target="/a?b", version="HTTP/1.1",
                          request_line=b"GET /a?b HTTP/1.1\r\n", headers={"Host": "x", "user-agent": "\xe9"},
                          body=b"", body_length=0, body_sha256="e3b0", raw=b"GET ...")
    table = http_request(request)
    assert table[b"method"] == b"GET" and table[b"target"] == b"/a?b" and table[b"body_length"] == 0
    assert table[b"headers"] == LuaTable(hash={b"host": b"x", b"user-agent": b"\xe9"})
    assert table[b"error"] == b"" and table[b"request_line"] == b"GET /a?b HTTP/1.1\r\n"


def test_a_body_kept_as_digest_only_is_absent() -> None:
    table = http_request(HttpRequest(connection=1, method="POST", body=None, body_length=9, body_sha256="ab"))
    assert table[b"body"] is None and table[b"body_length"] == 9 and table[b"body_sha256"] == b"ab"


def test_smtp_envelope_lists_recipients_in_order() -> None:
    envelope = MailEnvelope(connection=1, helo="client", mail_from="a@b", rcpt_tos=("c@d", "e@f"),
                            wire=b"x\r\n.\r\n", content=b"x\r\n")
    table = smtp_envelope(envelope)
    assert table[b"rcpt_tos"] == LuaTable(array=[b"c@d", b"e@f"])
    assert (table[b"helo"], table[b"mail_from"], table[b"wire"]) == (b"client", b"a@b", b"x\r\n.\r\n")
    assert smtp_envelope(MailEnvelope(1, None, None, (), b"", b""))[b"helo"] is None


def test_smtp_commands_are_the_transcript_lines_as_sent() -> None:
    wire = WireTranscript()
    wire.reply(1, b"220 ready\r\n")
    wire.command(1, b"HELO localhost\r\n")
    wire.received(1, b"MAIL FROM: a@b\r\n")
    wire.command(1, b"MAIL FROM: a@b\r\n")
    wire.command(2, b"quit\r\n")
    views = records("smtp", [], wire.all())
    assert views["envelopes"] == []
    helo, mail, quit_ = views["commands"]
    assert (helo[b"line"], helo[b"text"], helo[b"verb"], helo[b"argument"]) == (
        b"HELO localhost\r\n", b"HELO localhost", b"HELO", b"localhost")
    assert (mail[b"text"], mail[b"verb"], mail[b"argument"]) == (b"MAIL FROM: a@b", b"MAIL", b"FROM: a@b")
    assert (quit_[b"verb"], quit_[b"argument"]) == (b"QUIT", b"")


def test_ftp_records_give_commands_and_transfers() -> None:
    received = FtpReceived(commands=(FtpCommand(1, b"user me\r\n", "USER", "me"),),
                           transfers=(Transfer(1, "RETR", "f.txt", None),))
    views = records("ftp", received, [])
    (command,) = views["commands"]
    assert (command[b"line"], command[b"text"], command[b"verb"]) == (b"user me\r\n", b"user me", b"USER")
    (transfer,) = views["transfers"]
    assert transfer[b"mode"] is None and transfer[b"argument"] == b"f.txt"
    assert views["logins"] == []


def test_logins_pair_user_and_pass_with_the_reply_that_settled_them() -> None:
    wire = WireTranscript()
    wire.reply(1, b"220 ready\r\n")
    wire.command(1, b"USER luasocket\r\n")
    wire.reply(1, b"331 password please\r\n")
    wire.command(1, b"pass secret\r\n")
    wire.reply(1, b"230 welcome\r\n")
    wire.reply(1, b"150 data\r\n", channel=DATA)
    wire.command(2, b"USER anonymous\r\n")
    wire.reply(2, b"230 no password needed\r\n")
    wire.command(3, b"USER bad\r\n")
    wire.reply(3, b"331 password please\r\n")
    wire.command(3, b"PASS wrong\r\n")
    wire.reply(3, b"530 login incorrect\r\n")
    wire.command(4, b"USER silent\r\n")
    logins = ftp_logins(wire.all())
    assert [(login[b"user"], login[b"password"], login[b"accepted"]) for login in logins] == [
        (b"luasocket", b"secret", True), (b"anonymous", None, True), (b"bad", b"wrong", False),
        (b"silent", None, False)]


def test_only_a_reply_that_logs_in_accepts_a_login() -> None:
    # 230 (or 202 to PASS) logs in; another 2xx settles the login without doing so.
    wire = WireTranscript()
    wire.command(1, b"USER odd\r\n")
    wire.reply(1, b"200 command okay\r\n")
    wire.command(2, b"USER bye\r\n")
    wire.reply(2, b"331 password please\r\n")
    wire.command(2, b"PASS secret\r\n")
    wire.reply(2, b"221 goodbye\r\n")
    wire.command(3, b"USER superfluous\r\n")
    wire.reply(3, b"331 password please\r\n")
    wire.command(3, b"PASS secret\r\n")
    wire.reply(3, b"202 no password needed\r\n")
    logins = ftp_logins(wire.all())
    assert [(login[b"user"], login[b"accepted"]) for login in logins] == [
        (b"odd", False), (b"bye", False), (b"superfluous", True)]


def test_text_above_latin1_falls_back_to_utf8() -> None:
    assert lua_text("\xff") == b"\xff" and lua_text("\u20ac") == "\u20ac".encode()
