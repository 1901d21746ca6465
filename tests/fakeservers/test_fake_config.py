"""Configuration from plain data: what is accepted, and errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from fakeservers import ConfigError, from_config
from fakeservers.ftp.config import read_ftp_config
from fakeservers.http.config import read_http_config
from fakeservers.payload import Payload
from fakeservers.replies import is_positive
from fakeservers.smtp.config import read_smtp_config

BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # kind, configuration, field named, words of the message
    ("http", {"routez": []}, "routez", "unknown field"),
    ("http", {"port": 70000}, "port", "0-65535"),
    ("http", {"host": ""}, "host", "expected an address"),
    ("http", {"routes": {"path": "/"}}, "routes", "expected a list"),
    ("http", {"routes": [{}]}, "routes[0].path", "required field is missing"),
    ("http", {"routes": [{"path": "/"}, {"path": "/", "status": "abc"}]}, "routes[1].status", "100-999"),
    ("http", {"routes": [{"path": "/", "framing": "gzip"}]}, "routes[0].framing", "length, chunked, close"),
    ("http", {"routes": [{"path": "/", "chunks": [4, 0]}]}, "routes[0].chunks[1]", ">= 1"),
    ("http", {"routes": [{"path": "/", "headers": [["X-Only-Name"]]}]}, "routes[0].headers[0]",
     "[name, value]"),
    ("http", {"routes": [{"path": "/", "headers": ["X: a\r\nY: b"]}]}, "routes[0].headers[0]", "CR or LF"),
    ("http", {"routes": [{"path": "/", "body": {"size": -1}}]}, "routes[0].body.size", ">= 0"),
    ("http", {"routes": [{"path": "/", "body": {"size": 3, "pattern": ""}}]}, "routes[0].body.pattern",
     "at least one byte"),
    ("http", {"routes": [{"path": "/", "body": "\u20ac"}]}, "routes[0].body", "not a byte"),
    ("http", {"routes": [{"path": "/", "body": "x", "echo": True}]}, "routes[0].echo", "not both"),
    ("http", {"routes": [{"path": "/", "auth": {"user": "a:b", "password": "x"}}]}, "routes[0].auth.user",
     "':'"),
    ("http", {"routes": [{"path": "/", "auth": {"user": "a"}}]}, "routes[0].auth.password", "missing"),
    ("http", {"routes": [{"path": "/", "stall": "soon"}]}, "routes[0].stall", "body byte count"),
    ("http", {"routes": [{"path": "/", "delay": -0.5}]}, "routes[0].delay", "from 0 to 86400"),
    ("http", {"routes": [{"path": "/", "record_body": "some"}]}, "routes[0].record_body", "full, digest"),
    ("http", {"routes": [{"path": "/", "expect_body": {"size": 8, "pattern": ""}}]},
     "routes[0].expect_body.pattern", "at least one byte"),
    ("http", {"routes": [{"path": "/", "redirect": "http://{host}:{prot}/"}]}, "routes[0].redirect",
     "{prot} is no placeholder: the server fills in {host} and {port} only"),
    ("http", {"rcvbuf": 1024}, "rcvbuf", "4096-1073741823"),
    ("http", {"rcvbuf": "4M"}, "rcvbuf", "whole number"),
    ("smtp", {"replies": {"RCPT": 550}}, "replies.RCPT", "text or bytes"),
    ("smtp", {"replies": {"RCPT": [None, 5]}}, "replies.RCPT[1]", "text or bytes"),
    ("smtp", {"replies": {"rc pt": "550 x"}}, "replies[rc pt]", "not a reply point"),
    ("smtp", {"replies": {"RCPT-DONE": "550 x"}}, "replies.RCPT-DONE", "DATA-DONE"),
    ("smtp", {"delay": -1}, "delay", "from 0 to 86400"),
    ("smtp", {"delay": float("nan")}, "delay", "from 0 to 86400"),
    ("http", {"routes": [{"path": "/", "delay": float("inf")}]}, "routes[0].delay", "from 0 to 86400"),
    ("smtp", {"replies": {"RCPT": [None, "550 no"], "rcpt": "551 x"}}, "replies.rcpt",
     "duplicate reply point RCPT (also written as 'RCPT')"),
    ("ftp", {"replies": {"retr-done": "426 x", "RETR-Done": "451 y"}}, "replies.RETR-Done",
     "duplicate reply point RETR-DONE (also written as 'retr-done')"),
    ("smtp", {"delay": {"MAIL": "soon"}}, "delay.MAIL", "number"),
    ("smtp", {"delay": {"mail": 0.5, "Mail": 1.0}}, "delay.Mail",
     "duplicate reply point MAIL (also written as 'mail')"),
    ("smtp", {"stall": [1]}, "stall[0]", "reply point"),
    ("smtp", {"stall": ["DATA-DONE", "quit", "data-done"]}, "stall[2]",
     "duplicate reply point DATA-DONE (also written as 'DATA-DONE')"),
    ("smtp", {"greeting": "220 a", "replies": {"GREETING": "220 b"}}, "greeting", "not both"),
    ("smtp", {"hostname": "two words"}, "hostname", "one word"),
    ("ftp", {"accounts": [{"user": "u"}]}, "accounts[0].password", "missing"),
    ("ftp", {"accounts": [{"user": "u", "password": "p", "files": {"../x": "a"}}]}, "accounts[0].files[../x]",
     "relative path"),
    ("ftp", {"accounts": [{"user": "u", "password": "p", "files": {"d/": "a"}}]}, "accounts[0].files.d/",
     "directory"),
    ("ftp", {"accounts": [{"user": "u", "password": "p"}, {"user": "u", "password": "q"}]},
     "accounts[1].user", "defined twice"),
    ("ftp", {"anonymous": "yes"}, "anonymous", "expected a mapping"),
    ("ftp", {"anonymous": {"writable": "yes"}}, "anonymous.writable", "true or false"),
    ("ftp", {"pasv_host": "host.example"}, "pasv_host", "IPv4 address"),
    ("ftp", {"transfer": {"rate": -5}}, "transfer.rate", ">= 0"),
    ("ftp", {"transfer": {"stall": 5}}, "transfer.stall", "unknown field"),
    ("ftp", {"replies": {"CWD-DONE": "550 x"}}, "replies.CWD-DONE", "RETR-DONE"),
    ("ftp", {"record_limit": 1.5}, "record_limit", "whole number"),
    ("ftp", {"expect_uploads": ["/up.bin"]}, "expect_uploads", "mapping of paths"),
    ("ftp", {"expect_uploads": {"up.bin": "x"}}, "expect_uploads[up.bin]", "leading '/'"),
    ("ftp", {"expect_uploads": {"/a/../b": "x"}}, "expect_uploads[/a/../b]", "no '..'"),
    ("ftp", {"expect_uploads": {"/up.bin": {"size": "big"}}}, "expect_uploads[/up.bin].size", "whole number"),
    ("ftp", {"rcvbuf": 1 << 20}, "rcvbuf", "only the sink engine"),
    ("ftp", {"sink": True, "rcvbuf": 1 << 30}, "rcvbuf", "4096-1073741823"),
]


@pytest.mark.parametrize(("kind", "config", "field", "words"), BAD_CONFIGS,
                         ids=[f"{kind}-{field}" for kind, _, field, _ in BAD_CONFIGS])
def test_a_bad_value_names_its_field(kind: str, config: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        from_config(kind, config)
    assert raised.value.field == field
    assert words in raised.value.message
    assert str(raised.value).startswith(f"{field}: ")


def test_a_prefix_places_the_field_inside_a_scenario() -> None:
    with pytest.raises(ConfigError) as raised:
        from_config("http", {"routes": [{"path": "/", "status": 1}]}, prefix="peers.web.options")
    assert raised.value.field == "peers.web.options.routes[0].status"
    with pytest.raises(ConfigError, match=r"^peers\.web: expected a mapping"):
        from_config("smtp", ["not", "a", "mapping"], prefix="peers.web")  # type: ignore[arg-type]


def test_http_defaults_and_shorthands() -> None:
    config = read_http_config({"routes": [{"path": "/r", "redirect": "http://x/", "method": "get"},
                                          {"path": "/b", "body": {"size": 5}, "headers": [["N", 7]]}]})
    redirect, generated = config.routes
    assert (redirect.status, redirect.method) == (302, "GET")
    assert generated.body == Payload(size=5, pattern=b"x") and generated.headers == (b"N: 7",)
    assert read_http_config(None).routes == ()


def test_smtp_auto_host_defaults_to_port_25_and_reply_lists() -> None:
    assert read_smtp_config({"host": "auto"}).port == 25
    assert read_smtp_config({"host": "auto", "port": 0}).port == 0
    script = read_smtp_config({"replies": {"rcpt": [None, "550 no"], "data": b"451 x"}, "delay": 0.5,
                               "stall": "data-done", "greeting": "554 bye"}).script
    assert [script.reply_for("RCPT", n) for n in range(3)] == [None, b"550 no", None]
    assert script.reply_for("DATA", 7) == b"451 x"
    assert script.reply_for("GREETING", 0) == b"554 bye"
    assert script.delay_for("MAIL") == 0.5 and script.stalls_at("DATA-DONE")


@pytest.mark.parametrize(("read", "well_known"), [(read_http_config, 80), (read_ftp_config, 21)])
def test_http_and_ftp_auto_host_default_to_their_well_known_port(read: Any, well_known: int) -> None:
    assert read({"host": "auto"}).port == well_known
    assert read({"host": "auto", "port": 0}).port == 0
    assert read({}).port == 0  # only auto changes the default


def test_ftp_accounts_files_and_anonymous() -> None:
    config = read_ftp_config({"accounts": [{"user": "u", "password": "p", "writable": False,
                                            "files": {"/pub/a.txt": "a", "empty/": None}}],
                              "anonymous": True})
    [account] = config.accounts
    assert account.files == {"pub/a.txt": Payload.of(b"a"), "empty/": None} and not account.writable
    assert config.anonymous is not None and config.anonymous.user == "anonymous"
    assert read_ftp_config({}).anonymous is None


@pytest.mark.parametrize(("reply", "positive"), [(b"250 ok", True), (b"354 go", True), (b"150 x", True),
                                                 (b"451 no", False), (b"550", False), (b"ok", False),
                                                 (b"", False)])
def test_positive_replies(reply: bytes, positive: bool) -> None:
    assert is_positive(reply) is positive
