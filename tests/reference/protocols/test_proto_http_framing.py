"""HTTP request heads, status lines and response headers (spec §14.3-§14.5), no network."""

from __future__ import annotations

import pytest

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.http_framing import (
    HeaderParser,
    basic_credentials,
    check_headers,
    check_method,
    host_header,
    request_head,
    request_headers,
    status_code,
)
from reference.protocols.url import parse_url


def failure(call: object, *args: object) -> str:
    with pytest.raises(CallFailed) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.message


def test_method_is_upper_cased() -> None:
    assert check_method("put") == "PUT"
    assert check_method("M-SEARCH") == "M-SEARCH"


@pytest.mark.parametrize("method", ["GET /x", "GET\r\nX", "", "G\tT", "GET\n"])
def test_a_method_that_is_not_a_token_is_refused(method: str) -> None:
    assert failure(check_method, method) == errors.BAD_METHOD


def test_caller_header_names_are_lower_cased_values_kept() -> None:
    assert check_headers([("X-Thing", "Value With Case\tand tab")]) == [
        ("x-thing", "Value With Case\tand tab")
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("x-a", "1\r\nx-injected: 1", errors.BAD_HEADER_CHARACTER),
        ("x-a", "1\nx", errors.BAD_HEADER_CHARACTER),
        ("x-a", "1\rx", errors.BAD_HEADER_CHARACTER),
        ("x-a", "nul\x00", errors.BAD_HEADER_CHARACTER),
        ("x-a\r\nx-b", "1", errors.BAD_HEADER_CHARACTER),
        ("x-a\n", "1", errors.BAD_HEADER_CHARACTER),
        ("x a", "1", errors.BAD_HEADER_NAME),
        ("x:a", "1", errors.BAD_HEADER_NAME),
        ("", "1", errors.BAD_HEADER_NAME),
    ],
)
def test_unsafe_headers_are_refused(name: str, value: str, message: str) -> None:
    assert failure(check_headers, [(name, value)]) == message


def test_basic_credentials_need_user_and_password() -> None:
    assert basic_credentials(parse_url("http://diego:nehab@h/")) == "Basic ZGllZ286bmVoYWI="
    assert basic_credentials(parse_url("http://u:@h/")) == "Basic dTo="
    assert basic_credentials(parse_url("http://u@h/")) is None
    assert basic_credentials(parse_url("http://h/")) is None


def test_host_header_carries_the_port_unless_80() -> None:
    assert host_header(parse_url("http://h/")) == "h"
    assert host_header(parse_url("http://h:80/")) == "h"
    assert host_header(parse_url("http://h:8080/")) == "h:8080"


def test_request_headers_defaults_overrides_and_framing() -> None:
    caller = check_headers(
        [
            ("User-Agent", "mine"),
            ("Accept", "*/*"),
            ("Connection", "keep-alive"),
            ("Content-Length", "999"),
            ("Transfer-Encoding", "chunked"),
            ("Authorization", "Bearer caller"),
        ]
    )
    headers = request_headers(parse_url("http://h:81/"), caller, None, 5)
    assert headers == {
        "host": "h:81",
        "user-agent": "mine",
        "accept": "*/*",
        "authorization": "Bearer caller",
        "connection": "close",
        "content-length": "5",
    }


def test_url_credentials_replace_the_callers_authorization() -> None:
    caller = check_headers([("authorization", "Basic other")])
    headers = request_headers(parse_url("http://h/"), caller, "Basic dTpw", None)
    assert headers["authorization"] == "Basic dTpw"
    assert "content-length" not in headers


def test_request_head_bytes() -> None:
    head = request_head("GET", "/a?b", {"host": "h", "connection": "close"})
    assert head == b"GET /a?b HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("HTTP/1.1 200 OK", 200),
        ("HTTP/1.0 404 Not Found", 404),
        ("HTTP/1.1 200", 200),
        ("HTTP/1.1 301 ", 301),
        ("HTTP/1.1 401 Authorization Required", 401),
        ("HTTP/1.1 200\tOK", 200),
    ],
)
def test_status_codes(line: str, code: int) -> None:
    assert status_code(line) == code


@pytest.mark.parametrize(
    "line", ["", "HTTP/1.1", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "ICY 200 OK", "hello"]
)
def test_bad_status_lines_are_refused(line: str) -> None:
    assert failure(status_code, line) == errors.BAD_STATUS_LINE


def parse(*lines: bytes) -> dict[str, str]:
    parser = HeaderParser()
    for line in lines:
        if parser.add_line(line):
            return parser.headers
    raise AssertionError("header block did not end")


def test_names_lower_cased_leading_value_space_removed_trailing_kept() -> None:
    assert parse(b"Server:   spaced  ", b"Content-Type:text/plain", b"") == {
        "server": "spaced  ",
        "content-type": "text/plain",
    }


def test_values_split_at_the_first_colon_only() -> None:
    assert parse(b"Location: http://h:8080/x", b"") == {"location": "http://h:8080/x"}


def test_continuation_lines_are_appended_as_they_are() -> None:
    assert parse(b"X-Long: first", b"  second", b"\tthird", b"") == {"x-long": "first  second\tthird"}


def test_repeated_names_are_joined() -> None:
    assert parse(b"Set-Thing: a", b"set-thing: b", b"SET-THING: c", b"") == {"set-thing": "a, b, c"}


def test_values_are_latin_1_so_bytes_round_trip() -> None:
    assert parse(b"X-Bytes: \xe9\xff", b"")["x-bytes"].encode("latin-1") == b"\xe9\xff"


@pytest.mark.parametrize("lines", [[b"no colon here"], [b" continuation first"]])
def test_malformed_header_lines(lines: list[bytes]) -> None:
    parser = HeaderParser()
    assert failure(lambda: [parser.add_line(line) for line in lines]) == errors.BAD_HEADERS


def test_header_block_size_is_bounded() -> None:
    parser = HeaderParser(max_bytes=100)
    with pytest.raises(CallFailed) as caught:
        for index in range(20):
            parser.add_line(b"X-%d: 0123456789" % index)
    assert caught.value.message == errors.HEADERS_TOO_LONG
