"""The fake SMTP server with smtplib and with a raw client writing what LuaSocket 1.3b writes."""

from __future__ import annotations

import json
import os
import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fake_support import TIMEOUT, elapsed_since, read_reply, read_until_close, wait_sessions_closed

from fakeservers import Closed, Note, SmtpServer, can_bind_privileged

Start = Callable[..., Any]
NOBODY = 65534

# Spec §13.1 item 8: the 1.3b client doubles a "." after every LF and appends CRLF "." CRLF.
BODY_ON_WIRE = b"Subject: test\r\n\r\nline1\n..line2\r\n..\r\nend.\r\n.\r\n"


@contextmanager
def raw_session(server: Any) -> Iterator[Callable[[bytes], bytes]]:
    """A plain socket after the greeting; ``say(line)`` sends a line and returns the reply."""
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        greeting = read_reply(sock)
        assert greeting.startswith(b"220 ")

        def say(line: bytes) -> bytes:
            sock.sendall(line)
            return read_reply(sock)

        yield say


def _mail_transaction(say: Callable[[bytes], bytes], body: bytes = BODY_ON_WIRE) -> list[bytes]:
    return [say(b"HELO luasocket.test\r\n"), say(b"MAIL FROM:<fulano@test>\r\n"),
            say(b"RCPT TO:<beltrano@test>\r\n"), say(b"DATA\r\n"), say(body), say(b"QUIT\r\n")]


def test_smtplib_transaction_is_recorded(start: Start) -> None:
    server = start("smtp")
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.helo("client.test")
        refused = client.sendmail("a@test", ["b@test", "c@test"], b"Subject: hi\r\n\r\nbody\r\n")
    assert refused == {}
    [envelope] = server.received
    assert (envelope.helo, envelope.mail_from) == ("client.test", "a@test")
    assert envelope.rcpt_tos == ("b@test", "c@test")
    assert envelope.content == b"Subject: hi\r\n\r\nbody\r\n"
    assert envelope.wire == b"Subject: hi\r\n\r\nbody\r\n.\r\n"
    assert server.transcript.commands()[0] == b"helo client.test\r\n"  # smtplib writes lower case


def test_wire_bytes_before_and_after_dot_unstuffing(start: Start) -> None:
    server = start("smtp")
    with raw_session(server) as say:
        replies = _mail_transaction(say)
    assert [reply[:4] for reply in replies] == [b"250 ", b"250 ", b"250 ", b"354 ", b"250 ", b"221 "]
    [envelope] = server.received
    assert envelope.wire == BODY_ON_WIRE
    # Unstuffing works on CRLF lines (RFC 5321 4.5.2): the dots after the bare LF are data.
    assert envelope.content == b"Subject: test\r\n\r\nline1\n..line2\r\n.\r\nend.\r\n"
    assert server.transcript.commands() == [b"HELO luasocket.test\r\n", b"MAIL FROM:<fulano@test>\r\n",
                                            b"RCPT TO:<beltrano@test>\r\n", b"DATA\r\n", b"QUIT\r\n"]
    closed = server.transcript.wait_for(lambda event: isinstance(event, Closed), TIMEOUT)
    assert closed is not None and closed.by == "server"


def test_canned_error_replies_per_occurrence_and_multi_line(start: Start) -> None:
    server = start("smtp", {"replies": {"RCPT": [None, "550 no such user"], "data": "451-temp\r\n451 fail"}})
    with raw_session(server) as say:
        say(b"HELO x\r\n")
        say(b"MAIL FROM:<a@test>\r\n")
        assert say(b"RCPT TO:<b@test>\r\n").startswith(b"250 ")
        assert say(b"RCPT TO:<nobody@test>\r\n") == b"550 no such user\r\n"
        assert say(b"RCPT TO:<c@test>\r\n").startswith(b"250 ")  # past the list: the server's own reply
        assert say(b"DATA\r\n") == b"451-temp\r\n451 fail\r\n"
        assert say(b"NOOP\r\n") == b"250 OK\r\n"  # still in command mode: DATA had no effect
    assert server.received == []


def test_a_message_written_behind_a_refused_data_is_read_as_commands(start: Start) -> None:
    """A client that does not wait for 354: the transcript's commands show every line it wrote.

    The message holds a whole transaction of its own; the server reads it
    as commands (only the first DATA is refused) and delivers it.
    """
    server = start("smtp", {"replies": {"DATA": ["451 try again"]}})
    smuggled = b"RSET\r\nMAIL FROM:<intruder@test>\r\nRCPT TO:<victim@test>\r\nDATA\r\nsmuggled\r\n.\r\n"
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"HELO x\r\nMAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\n" + smuggled + b"QUIT\r\n")
        replies = [read_reply(sock)[:4] for _ in range(11)]
    assert replies == [b"220 ", b"250 ", b"250 ", b"250 ", b"451 ",  # greeting, HELO, MAIL, RCPT, DATA
                       b"250 ", b"250 ", b"250 ", b"354 ", b"250 ", b"221 "]  # the smuggled ones, QUIT
    wait_sessions_closed(server)
    assert server.transcript.commands() == [
        b"HELO x\r\n", b"MAIL FROM:<a@test>\r\n", b"RCPT TO:<b@test>\r\n", b"DATA\r\n", b"RSET\r\n",
        b"MAIL FROM:<intruder@test>\r\n", b"RCPT TO:<victim@test>\r\n", b"DATA\r\n", b"QUIT\r\n"]
    [envelope] = server.received
    assert (envelope.mail_from, envelope.rcpt_tos, envelope.content) == ("intruder@test", ("victim@test",),
                                                                        b"smuggled\r\n")


def test_positive_canned_reply_keeps_the_command_effect(start: Start) -> None:
    server = start("smtp", {"replies": {"RCPT": "251 User not local; will forward", "XYZZY": "250 magic"}})
    with raw_session(server) as say:
        replies = _mail_transaction(say)
        assert replies[2] == b"251 User not local; will forward\r\n"
    with raw_session(server) as say:
        assert say(b"XYZZY\r\n") == b"250 magic\r\n"
    assert server.received[0].rcpt_tos == ("beltrano@test",)


def test_greeting_and_final_reply_overrides(start: Start) -> None:
    refusing = start("smtp", {"greeting": "554 no service here"})
    with pytest.raises(smtplib.SMTPConnectError) as raised:
        smtplib.SMTP(refusing.host, refusing.port, timeout=TIMEOUT)
    assert raised.value.smtp_code == 554
    server = start("smtp", {"replies": {"DATA-DONE": "554 rejected", "QUIT": "500 no"}})
    with raw_session(server) as say:
        replies = _mail_transaction(say)
        assert replies[3].startswith(b"354 ")
        assert replies[4:] == [b"554 rejected\r\n", b"500 no\r\n"]
        assert say(b"NOOP\r\n") == b"250 OK\r\n"  # a refused QUIT leaves the connection open
    assert server.received[0].wire == BODY_ON_WIRE  # what the client sent is kept even when refused


def test_delay_before_a_reply(start: Start) -> None:
    server = start("smtp", {"delay": {"MAIL": 0.3}})
    with raw_session(server) as say:
        say(b"HELO x\r\n")
        began = time.monotonic()
        assert say(b"MAIL FROM:<a@test>\r\n").startswith(b"250 ")
        assert 0.28 <= elapsed_since(began) <= 3.0
        began = time.monotonic()
        say(b"RCPT TO:<b@test>\r\n")
        assert elapsed_since(began) < 0.28


@pytest.mark.parametrize("point", ["RCPT", "DATA-DONE"])
def test_stall_keeps_silent_until_stopped(start: Start, point: str) -> None:
    server = start("smtp", {"stall": point})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        read_reply(sock)
        for line in (b"HELO x\r\n", b"MAIL FROM:<a@test>\r\n"):
            sock.sendall(line)
            read_reply(sock)
        sock.sendall(b"RCPT TO:<b@test>\r\n")
        if point == "DATA-DONE":
            read_reply(sock)
            sock.sendall(b"DATA\r\n")
            assert read_reply(sock).startswith(b"354 ")
            sock.sendall(BODY_ON_WIRE)
        assert server.transcript.wait_for(lambda e: isinstance(e, Note) and "stalled" in e.text, TIMEOUT)
        sock.settimeout(0.2)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        server.stop()
        sock.settimeout(TIMEOUT)
        assert read_until_close(sock) == b""
    assert server.transcript.events(Closed)[-1].by == "stop"
    assert len(server.received) == (1 if point == "DATA-DONE" else 0)


def test_auto_host_with_an_ephemeral_port_uses_a_unique_loopback_address(start: Start) -> None:
    first = start("smtp", {"host": "auto", "port": 0})
    second = start("smtp", {"host": "auto", "port": 0})
    for server in (first, second):
        parts = server.host.split(".")
        assert parts[0] == "127" and server.host != "127.0.0.1"
        assert all(1 <= int(part) <= 254 for part in parts[1:])
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            assert client.noop()[0] == 250


def test_port_25_on_a_unique_loopback_address(start: Start) -> None:
    allowed, reason = can_bind_privileged()
    assert isinstance(reason, str) and reason
    if not allowed:
        pytest.skip(f"port 25 cannot be bound here: {reason}")
    servers = [start("smtp", {"host": "auto"}) for _ in range(2)]
    assert {server.port for server in servers} == {25}
    assert len({server.host for server in servers}) == 2
    for server in servers:
        with smtplib.SMTP(server.host, timeout=TIMEOUT) as client:  # no port given: 25, as in LuaSocket 1.3b
            client.sendmail("a@test", ["b@test"], b"hi\r\n")
        assert server.received[0].content == b"hi\r\n"


def _check_as_nobody() -> dict[str, Any]:
    """Run the privilege check (and a port-25 start) in a forked child that dropped root."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)  # drops every capability
            allowed, reason = can_bind_privileged()
            try:
                SmtpServer.from_config({"host": "auto"}).start().stop()
                started = "started"
            except OSError as error:
                started = type(error).__name__
            os.write(writer, json.dumps({"allowed": allowed, "reason": reason, "start": started}).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(report)


def test_port_25_without_privileges_is_refused_with_a_reason() -> None:
    if not hasattr(os, "fork") or os.geteuid() != 0:
        allowed, reason = can_bind_privileged()
        if allowed:
            pytest.skip("this process may bind port 25 without being root; nothing to refuse")
        report = {"allowed": allowed, "reason": reason, "start": "not tried"}
    else:
        report = _check_as_nobody()
    if report["allowed"]:
        pytest.skip("unprivileged users may bind ports 21, 25 and 80 here "
                    "(net.ipv4.ip_unprivileged_port_start <= 21)")
    assert "needs root or CAP_NET_BIND_SERVICE" in report["reason"]
    assert report["start"] in ("PermissionError", "not tried")


def test_every_command_is_answered_although_a_session_lists_few_names(start: Start) -> None:
    """A session's ``dir`` is cut to what aiosmtpd reflects on; every command must still be found."""
    server = start("smtp", {})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        assert read_reply(sock).startswith(b"220")
        # AUTH is found (538: no TLS here), unlike a command that does not exist (500).
        for command, code in ((b"EHLO me", b"250"), (b"NOOP", b"250"), (b"HELP", b"250"),
                              (b"VRFY postmaster", b"252"), (b"EXPN list", b"502"), (b"AUTH", b"538"),
                              (b"XYZZY", b"500"), (b"RSET", b"250"), (b"QUIT", b"221")):
            sock.sendall(command + b"\r\n")
            assert read_reply(sock)[:3] == code, command


def test_help_lists_the_commands_and_explains_one(start: Start) -> None:
    server = start("smtp", {"replies": {"NOOP": ["250 canned"]}})  # a scripted command keeps its help
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        assert read_reply(sock).startswith(b"220")
        sock.sendall(b"HELP\r\n")
        listed = read_reply(sock)
        sock.sendall(b"HELP MAIL\r\n")
        mail = read_reply(sock)
        sock.sendall(b"HELP NOOP\r\n")
        noop = read_reply(sock)
    assert listed.startswith(b"250 Supported commands: ")
    assert {b"DATA", b"HELO", b"MAIL", b"NOOP", b"QUIT", b"RCPT", b"RSET"} <= set(listed.split()[3:])
    assert mail.startswith(b"250 Syntax: MAIL FROM: <address>")
    assert noop.startswith(b"250 Syntax: NOOP")
