"""The FTP sink engine: its control state machine without sockets, then the server against pyftpdlib."""

from __future__ import annotations

import ftplib
import hashlib
import io
import socket
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT, passive_session, read_reply, wait_sessions_closed

from fakeservers import ConfigError, Opened, from_config
from fakeservers.events import DATA, Closed, Command, Received
from fakeservers.events import Reply as ReplyEvent
from fakeservers.ftp.config import read_ftp_config
from fakeservers.ftp.records import FtpCommand
from fakeservers.ftp.sink_protocol import Passive, Quit, Reply, Retrieve, SinkControl, Store, passive_reply

Start = Callable[..., Any]
PATTERN = b"0123456789abcdef"


def _control(**config: Any) -> SinkControl:
    return SinkControl(read_ftp_config({"sink": True, **config}))


def _steps(control: SinkControl, *lines: str) -> list[Any]:
    commands = [FtpCommand.parse(0, line.encode() + b"\r\n") for line in lines]
    return [control.handle(command.verb, command.argument) for command in commands]


def test_an_anonymous_upload_logs_in_then_asks_for_passive_then_store() -> None:
    control = _control(anonymous={"writable": True})
    steps = _steps(control, "USER anonymous", "PASS guest@", "CWD pub/in", "TYPE I", "PASV", "STOR up.bin",
                   "QUIT")
    assert [type(step) for step in steps] == [Reply, Reply, Reply, Reply, Passive, Store, Quit]
    assert [step.text[:3] for step in steps[:4]] == ["331", "230", "250", "200"]
    assert steps[5] == Store(path="/pub/in/up.bin", argument="up.bin")


def test_an_account_needs_its_password_and_a_read_only_one_may_not_store() -> None:
    control = _control(accounts=[{"user": "luasocket", "password": "secret"}],
                       anonymous={"writable": False})
    steps = _steps(control, "USER luasocket", "PASS wrong", "STOR x", "USER anonymous", "PASS a@b",
                   "STOR x", "USER luasocket", "PASS secret", "PWD")
    assert [step.text[:3] for step in steps] == [
        "331", "530", "530", "331", "230", "550", "331", "230", "257"]


def test_a_download_needs_a_configured_file_and_passive_first() -> None:
    control = _control(anonymous={"files": {"blob.bin": "x", "pub/a.txt": "a", "pub/sub/": None}})
    steps = _steps(control, "USER anonymous", "PASS a@b", "RETR blob.bin", "RETR nothing.bin",
                   "CWD pub", "RETR sub", "PASV", "RETR a.txt", "PASV", "RETR /blob.bin")
    assert [getattr(step, "text", "")[:3] for step in steps[2:6]] == ["425", "550", "250", "550"]
    assert steps[7] == Retrieve(user="anonymous", name="pub/a.txt", argument="a.txt")
    assert steps[9] == Retrieve(user="anonymous", name="blob.bin", argument="/blob.bin")


@pytest.mark.parametrize(("lines", "last"), [
    (("USER anonymous", "PASS a@b", "STOR up.bin"), "425"),          # no PASV before it
    (("USER anonymous", "PASS a@b", "PASV", "STOR"), "501"),
    (("USER anonymous", "PASS a@b", "RETR up.bin"), "550"),           # not a configured file
    (("USER anonymous", "PASS a@b", "LIST"), "502"),
    (("USER anonymous", "PASS a@b", "TYPE E"), "504"),
    (("PASS a@b",), "503"),
])
def test_what_an_upload_does_not_need_or_gets_wrong_is_refused(lines: tuple[str, ...], last: str) -> None:
    step = _steps(_control(anonymous={"writable": True}), *lines)[-1]
    assert isinstance(step, Reply) and step.text.startswith(last)


def test_a_passive_reply_names_the_address_in_six_numbers() -> None:
    assert passive_reply("127.0.0.1", 50000) == "227 Entering passive mode (127,0,0,1,195,80)."


@pytest.mark.parametrize("sink", [False, True])
def test_expected_and_other_uploads_are_recorded_as_they_arrived_by_both_engines(
        start: Start, sink: bool) -> None:
    good = (PATTERN * 10_000)[:150_000]
    server = start("ftp", {"anonymous": {"writable": True}, "record_limit": 1000, "sink": sink,
                           "expect_uploads": {"/up.bin": {"size": 150_000, "pattern": PATTERN.decode()}}})
    client = ftplib.FTP()
    client.connect(server.host, server.port, timeout=TIMEOUT)
    try:
        client.login()
        client.storbinary("STOR up.bin", io.BytesIO(good))
        client.storbinary("STOR up.bin", io.BytesIO(good[:-1] + b"?"))
        client.storbinary("STOR /small.txt", io.BytesIO(b"hello"))  # not expected: hashed as ever
        client.quit()
    finally:
        client.close()
    wait_sessions_closed(server)
    received = server.received
    assert [(item.path, item.user, item.content.length, item.content.sha256, item.data, item.complete)
            for item in received.stored] == [
        ("/up.bin", "anonymous", 150_000, hashlib.sha256(good).hexdigest(), None, True),
        ("/up.bin", "anonymous", 150_000, hashlib.sha256(good[:-1] + b"?").hexdigest(), None, True),
        ("/small.txt", "anonymous", 5, hashlib.sha256(b"hello").hexdigest(), b"hello", True)]
    assert [(t.verb, t.argument, t.mode) for t in received.transfers] == [
        ("STOR", "up.bin", "PASV"), ("STOR", "up.bin", "PASV"), ("STOR", "/small.txt", "PASV")]
    assert received.verbs() == ["USER", "PASS", "TYPE", "PASV", "STOR", "TYPE", "PASV", "STOR",
                                "TYPE", "PASV", "STOR", "QUIT"]



def test_the_sink_answers_first_yet_records_in_wire_order(start: Start) -> None:
    """Each reply goes out before its command is recorded; the transcript keeps the wire's order."""
    server = start("ftp", {"anonymous": {"writable": True}, "sink": True})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as control:
        assert read_reply(control).startswith(b"220")
        control.sendall(b"USER anonymous\r\nPASS a@b\r\n")  # two commands in one segment
        assert read_reply(control).startswith(b"331")
        assert read_reply(control).startswith(b"230")
        for line in (b"NOOP\r\n", b"QUIT\r\n"):
            control.sendall(line)
            read_reply(control)
    wait_sessions_closed(server)
    shown = [(type(e).__name__, getattr(e, "line", None) or getattr(e, "data", b"")[:3])
             for e in server.transcript.all() if isinstance(e, Received | Command | ReplyEvent)]
    assert shown == [
        ("Reply", b"220"),
        ("Received", b"USE"), ("Command", b"USER anonymous\r\n"), ("Reply", b"331"),
        ("Command", b"PASS a@b\r\n"), ("Reply", b"230"),
        ("Received", b"NOO"), ("Command", b"NOOP\r\n"), ("Reply", b"200"),
        ("Received", b"QUI"), ("Command", b"QUIT\r\n"), ("Reply", b"221")]
    assert server.received.verbs() == ["USER", "PASS", "NOOP", "QUIT"]


def test_stopping_the_sink_during_an_upload_records_it_incomplete(start: Start) -> None:
    server = start("ftp", {"anonymous": {"writable": True}, "sink": True})
    control, port = passive_session(server)
    with control, socket.create_connection((server.host, port), timeout=TIMEOUT) as data:
        control.sendall(b"STOR part.bin\r\n")
        assert read_reply(control).startswith(b"150")
        # Stop only once the server holds the data connection: the upload has begun.
        assert server.transcript.wait_for(
            lambda event: isinstance(event, Opened) and event.channel == DATA, TIMEOUT)
        data.sendall(b"partial")
        server.stop()
    [stored] = server.received.stored
    assert (stored.path, stored.complete) == ("/part.bin", False)
    assert stored.content.length <= len(b"partial")


def test_stopping_the_sink_during_a_download_ends_it_without_a_226(start: Start) -> None:
    server = start("ftp", {"sink": True, "anonymous": {"files": {"big.bin": {"size": 32 << 20}}}})
    control, port = passive_session(server)
    with control:
        with socket.socket() as data:
            # A small receive window keeps most of the 32 MiB in the file whatever the system's
            # buffer limits: the server is still sending when it stops.
            data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            data.settimeout(TIMEOUT)
            data.connect((server.host, port))
            control.sendall(b"RETR big.bin\r\n")
            assert read_reply(control).startswith(b"150")
            assert data.recv(1)  # the download has begun
            server.stop()
        assert control.recv(100) == b""  # closed, with no 226 before it
    closes = [e.by for e in server.transcript.events(Closed) if e.channel == DATA]
    assert closes == ["stop"]


@pytest.mark.parametrize(("config", "field"), [
    ({"replies": {"STOR": "550 no"}}, "replies"),
    ({"transfer": {"rate": 100}}, "transfer"),
    ({"pasv_host": "10.9.9.9"}, "pasv_host"),
])
def test_the_sink_takes_no_script_or_faults(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as error:
        from_config("ftp", {"sink": True, **config})
    assert field in str(error.value)


@pytest.mark.parametrize("sink", [False, True])
def test_downloads_are_byte_exact_and_recorded_alike_by_both_engines(start: Start, sink: bool) -> None:
    pattern = "0123456789abcdef"
    server = start("ftp", {"sink": sink, "anonymous": {"files": {
        "blob.bin": {"size": 300_001, "pattern": pattern}, "pub/a.txt": "line one\nline two\n"}}})
    client = ftplib.FTP()
    client.connect(server.host, server.port, timeout=TIMEOUT)
    received: list[bytes] = []
    try:
        client.login()
        client.retrbinary("RETR blob.bin", received.append)
        blob = b"".join(received)
        received.clear()
        client.cwd("pub")
        client.sendcmd("TYPE A")  # served as stored all the same: no newline conversion
        client.retrbinary("RETR a.txt", received.append)
        with pytest.raises(ftplib.error_perm, match="^550"):
            client.retrbinary("RETR missing.bin", received.append)
        client.quit()
    finally:
        client.close()
    wait_sessions_closed(server)
    assert blob == (pattern.encode() * 20_000)[:300_001]
    assert b"".join(received) == b"line one\nline two\n"
    records = server.received
    assert [(t.verb, t.argument, t.mode) for t in records.transfers][:2] == [
        ("RETR", "blob.bin", "PASV"), ("RETR", "a.txt", "PASV")]
    assert [verb for verb in records.verbs() if verb != "TYPE"] == [
        "USER", "PASS", "PASV", "RETR", "CWD", "PASV", "RETR", "PASV", "RETR", "QUIT"]
