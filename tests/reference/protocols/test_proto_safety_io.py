"""Safety rules end to end: unsafe input is refused before any connection, nothing is smuggled.

Each "refused" case calls the function against a listener nobody accepts on
and then counts the connections queued there: the kernel queues a connection
as soon as the client's handshake completes, so zero means the client never
connected, let alone sent anything.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from proto_fakes import FtpFake, SmtpFake, require_root_for_port_25
from proto_servers import address_of, connection_attempts, quiet_listener, random_loopback_hosts

from reference.protocols import errors
from reference.protocols.ftp import ftp_get, ftp_getindirect, ftp_put, ftp_putindirect
from reference.protocols.http import http_get, http_getindirect, http_post, http_request
from reference.protocols.smtp import mail, smtp_mail

LINE_BREAKS = ["\r", "\n", "\r\n"]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with quiet_listener() as sock:
        yield sock


def ignore(*args: object) -> int:
    return 1


@pytest.mark.parametrize("brk", LINE_BREAKS)
@pytest.mark.parametrize(
    ("make_call", "error"),
    [
        (lambda url, brk: http_get(f"{url}/a{brk}b"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: http_get(f"{url}/a?q={brk}Host: evil"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: http_get(url.replace("://", f"://u{brk}:p@") + "/"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: http_get(url.replace("://", "://u:p%0d%0a@") + "/"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: http_get(f"{url}/", {f"X-A{brk}Evil": "1"}), errors.BAD_HEADER_CHARACTER),
        (lambda url, brk: http_get(f"{url}/", {"X-A": f"1{brk}Evil: 2"}), errors.BAD_HEADER_CHARACTER),
        (lambda url, brk: http_post(f"{url}/", b"body", {"X-A": f"{brk}"}), errors.BAD_HEADER_CHARACTER),
        (lambda url, brk: http_request(f"GET{brk}", f"{url}/"), errors.BAD_METHOD),
        (lambda url, brk: http_getindirect(f"{url}/{brk}", ignore)[1:], errors.BAD_URL_CHARACTER),
    ],
)
def test_http_refuses_line_breaks_before_connecting(
    listener: socket.socket, make_call: Callable[[str, str], tuple[object, ...]], brk: str, error: str
) -> None:
    result = make_call(f"http://{address_of(listener)}", brk)
    assert result[-1] == error
    assert connection_attempts(listener) == 0


@pytest.mark.parametrize("brk", LINE_BREAKS)
@pytest.mark.parametrize(
    ("make_call", "error"),
    [
        (lambda url, brk: ftp_get(f"{url}/f{brk}DELE important"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: ftp_get(f"{url}/dir{brk}/f"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: ftp_put(f"{url}/f{brk}", b"x"), errors.BAD_URL_CHARACTER),
        (lambda url, brk: ftp_getindirect(f"{url}/{brk}", ignore), errors.BAD_URL_CHARACTER),
        (lambda url, brk: ftp_putindirect(f"{url}/f{brk}", lambda: (b"", 0)), errors.BAD_URL_CHARACTER),
        (
            lambda url, brk: ftp_get(url.replace("://", "://user%0D%0ADELE%20x:pw@") + "/f"),
            errors.BAD_URL_CHARACTER,
        ),
        (lambda url, brk: ftp_get(url.replace("://", "://user:pw%0a@") + "/f"), errors.BAD_URL_CHARACTER),
    ],
)
def test_ftp_refuses_line_breaks_before_connecting(
    listener: socket.socket, make_call: Callable[[str, str], tuple[object, ...]], brk: str, error: str
) -> None:
    result = make_call(f"ftp://{address_of(listener)}", brk)
    assert result[-1] == error
    assert connection_attempts(listener) == 0


def test_percent_escapes_in_an_ftp_path_stay_literal() -> None:
    with FtpFake(files={"a%0d%0aDELE x": b"odd name"}) as server:
        assert ftp_get(server.url("/a%0d%0aDELE x")) == (b"odd name",)
    assert "RETR a%0d%0aDELE x" in server.commands
    assert not any(command.startswith("DELE") for command in server.commands)


@pytest.fixture
def quiet_smtp_host() -> Iterator[tuple[str, socket.socket]]:
    """A listener on port 25 of a fresh loopback address, never accepted on."""
    require_root_for_port_25()
    for host in random_loopback_hosts():
        try:
            sock = socket.create_server((host, 25))
        except OSError:
            continue
        sock.setblocking(False)
        try:
            yield host, sock
        finally:
            sock.close()
        return
    pytest.skip("no free loopback address for port 25")


@pytest.mark.parametrize("brk", LINE_BREAKS)
@pytest.mark.parametrize(
    ("make_call", "error"),
    [
        (lambda host, brk: smtp_mail(f"a@x{brk}RCPT TO:<evil@x>", ["b@y"], None, b"", host), "address"),
        (lambda host, brk: smtp_mail("a@x", ["b@y", f"c@z>{brk}DATA"], None, b"", host), "address"),
        (
            lambda host, brk: smtp_mail("a@x", ["b@y"], {"Subject": f"hi{brk}Bcc: evil@x"}, b"", host),
            "header",
        ),
        (lambda host, brk: smtp_mail("a@x", ["b@y"], {f"Sub{brk}ject": "hi"}, b"", host), "header"),
        (lambda host, brk: mail({"to": "b@y", "from": f"a@x{brk}", "mailserver": host}), "address"),
        (
            lambda host, brk: mail({"to": "b@y", "from": "a@x", "subject": f"{brk}", "mailserver": host}),
            "header",
        ),
    ],
)
def test_smtp_refuses_line_breaks_before_connecting(
    quiet_smtp_host: tuple[str, socket.socket],
    make_call: Callable[[str, str], tuple[object, ...]],
    brk: str,
    error: str,
) -> None:
    host, listener = quiet_smtp_host
    expected = errors.BAD_ADDRESS_CHARACTER if error == "address" else errors.BAD_HEADER_CHARACTER
    assert make_call(host, brk) == (expected,)
    assert connection_attempts(listener) == 0


def test_smtp_refuses_a_helo_domain_with_a_line_break(
    quiet_smtp_host: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, listener = quiet_smtp_host
    monkeypatch.setenv("SERVER_NAME", "client\r\nMAIL FROM:<evil@x>")
    assert smtp_mail("a@x", ["b@y"], None, b"", host) == (errors.BAD_DOMAIN_CHARACTER,)
    assert connection_attempts(listener) == 0


def test_smtp_sends_nothing_without_recipients(quiet_smtp_host: tuple[str, socket.socket]) -> None:
    host, listener = quiet_smtp_host
    assert smtp_mail("a@x", [], None, b"body", host) == (errors.NO_RECIPIENTS,)
    assert mail({"to": " , ", "from": "a@x", "mailserver": host}) == (errors.NO_RECIPIENTS,)
    assert connection_attempts(listener) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"hello\r\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nspam\r\n.\r\n",
        b"hello\n.\nMAIL FROM:<evil@x>\n",
        b"hello\r.\rMAIL FROM:<evil@x>\r",
        b".\r\nMAIL FROM:<evil@x>\r\n",
        b"hello\n.\r\nQUIT\r\n",
    ],
)
def test_a_body_cannot_end_the_message_early(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SERVER_NAME", raising=False)
    with SmtpFake() as server:
        assert smtp_mail("a@x", ["b@y"], None, body, server.host) == (None,)
    assert server.commands == ["HELO localhost", "MAIL FROM:<a@x>", "RCPT TO:<b@y>", "DATA", "QUIT"]
    (message,) = server.messages
    lines = message.split(b"\r\n")
    assert lines.count(b".") == 1 and lines[-2:] == [b".", b""]
    assert b"\r" not in message.replace(b"\r\n", b"") and b"\n" not in message.replace(b"\r\n", b"")
