"""The HTTP functions against small local servers: requests on the wire, results, callbacks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from proto_fakes import HttpFake, HttpRequest, response
from proto_servers import Peer, ServerThread, address_of, closed_port, quiet_listener, sent_to

import reference
from reference.protocols import errors, http
from reference.protocols.http import (
    http_get,
    http_getindirect,
    http_post,
    http_postindirect,
    http_request,
    http_requestindirect,
)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with quiet_listener() as sock:
        yield sock


class Recorder:
    """A receive callback recording every call; goes on unless told otherwise."""

    def __init__(self, answer: Any = 1) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer = answer

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.answer(*args) if callable(self.answer) else self.answer

    @property
    def data(self) -> bytes:
        return b"".join(call[0] for call in self.calls if call[0])


def ok(body: bytes = b"hello") -> Any:
    return lambda request: response("200 OK", body)


def test_get_sends_the_documented_request() -> None:
    with HttpFake(ok()) as fake:
        result = http_get(fake.url("/a/b?q=1"), {"X-Custom": "Value"})
    assert result == (b"hello", {"content-length": "5"}, "HTTP/1.1 200 OK", None)
    (request,) = fake.requests
    assert request.head == (
        b"GET /a/b?q=1 HTTP/1.1\r\n"
        + f"host: {fake.server.address}\r\n".encode()
        + b"user-agent: LuaSocket 1.3b HTTP 1.1\r\nx-custom: Value\r\nconnection: close\r\n\r\n"
    )


def test_basic_authentication_from_the_url() -> None:
    with HttpFake(ok()) as fake:
        http_get(fake.url("/", userinfo="diego:nehab@"))
        http_get(fake.url("/", userinfo="diego@"))
    assert fake.requests[0].headers["authorization"] == "Basic ZGllZ286bmVoYWI="
    assert "authorization" not in fake.requests[1].headers


def test_the_manuals_manual_header_also_works() -> None:
    with HttpFake(ok()) as fake:
        http_get(fake.url("/"), {"authorization": b"Basic " + reference.protocols.base64(b"diego:nehab")[0]})
    assert fake.requests[0].headers["authorization"] == "Basic ZGllZ286bmVoYWI="


def test_post_sends_the_body_with_its_length() -> None:
    with HttpFake(lambda request: response("201 Created", request.body[::-1])) as fake:
        result = http_post(fake.url("/echo"), b"abc\x00def", {"Content-Type": "application/octet-stream"})
    assert result == (b"fed\x00cba", {"content-length": "7"}, "HTTP/1.1 201 Created", None)
    request = fake.requests[0]
    assert request.request_line == "POST /echo HTTP/1.1"
    assert request.headers["content-length"] == "7" and request.body == b"abc\x00def"


def test_any_method_is_upper_cased_and_an_empty_body_is_announced() -> None:
    with HttpFake(ok(b"")) as fake:
        assert http_request("put", fake.url("/x"), None, b"")[3] is None
    assert fake.requests[0].request_line == "PUT /x HTTP/1.1"
    assert fake.requests[0].headers["content-length"] == "0"


def test_http_get_takes_stay_as_its_third_argument() -> None:
    moved = response("302 Found", b"moved", {"Location": "/elsewhere"})
    with HttpFake(lambda request: moved) as fake:
        body, headers, status, err = http_get(fake.url("/"), None, 1)
    assert (body, status, err) == (b"moved", "HTTP/1.1 302 Found", None)
    assert len(fake.requests) == 1 and "content-length" not in fake.requests[0].headers


def raw(data: bytes) -> Any:
    return lambda request: data


@pytest.mark.parametrize(
    ("wire", "body", "headers"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"abcde",
            {"transfer-encoding": "Chunked"},
        ),
        (b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end", b"until the end", {"server": "x"}),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", b"hello", {"content-length": "5"}),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b"", {}),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
            {"content-length": "2"},
        ),
        (
            b"HTTP/1.1 200\r\nA: 1\r\na: 2\r\nB: x\r\n  y\r\nContent-Length: 0\r\n\r\n",
            b"",
            {"a": "1, 2", "b": "x  y", "content-length": "0"},
        ),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\ngone", b"gone", {"content-length": "4"}),
    ],
)
def test_response_framing(wire: bytes, body: bytes, headers: dict[str, str]) -> None:
    with HttpFake(raw(wire)) as fake:
        result = http_get(fake.url())
    assert result[:2] == (body, headers) and result[3] is None


def test_head_has_no_body_even_with_a_length() -> None:
    with HttpFake(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")) as fake:
        assert http_request("HEAD", fake.url()) == (b"", {"content-length": "100"}, "HTTP/1.1 200 OK", None)


def test_connection_refused() -> None:
    assert http_get(f"http://127.0.0.1:{closed_port()}/") == (None, None, None, "connection refused")


@pytest.mark.parametrize(
    ("wire", "result"),
    [
        (b"garbage\r\n\r\n", (None, None, None, errors.BAD_STATUS_LINE)),
        (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", (None, None, "HTTP/1.1 200 OK", errors.BAD_HEADERS)),
        (b"HTTP/1.1 200 OK\r\nA: 1\r\n", (None, None, "HTTP/1.1 200 OK", "closed")),
        (b"", (None, None, None, "closed")),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            (b"short", {"content-length": "10"}, "HTTP/1.1 200 OK", "closed"),
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n",
            (b"ab", {"transfer-encoding": "chunked"}, "HTTP/1.1 200 OK", errors.BAD_CHUNK_SIZE),
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            (b"", {"content-length": "x"}, "HTTP/1.1 200 OK", errors.BAD_CONTENT_LENGTH),
        ),
    ],
)
def test_failures_return_what_was_retrieved(wire: bytes, result: tuple[Any, ...]) -> None:
    with HttpFake(raw(wire)) as fake:
        assert http_get(fake.url()) == result


def test_a_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "HTTP_WAIT", 0.2)
    release = threading.Event()

    def silent(peer: Peer) -> None:
        peer.read_line()
        release.wait(10)

    with ServerThread(silent) as server:
        try:
            began = time.monotonic()
            result = http_get(f"http://{server.address}/")
            elapsed = time.monotonic() - began
        finally:
            release.set()
    assert result == (None, None, None, "timeout")
    assert 0.18 <= elapsed <= 1.5


# -- callbacks ----------------------------------------------------------------------


def test_receive_callback_gets_blocks_then_one_empty_string() -> None:
    body = bytes(range(256)) * 80  # 20480 bytes
    callback = Recorder()
    with HttpFake(ok(body)) as fake:
        headers, status, err = http_getindirect(fake.url(), callback)
    assert (status, err) == ("HTTP/1.1 200 OK", None)
    assert [len(call[0]) for call in callback.calls] == [8192, 8192, 4096, 0]
    assert callback.calls[-1] == (b"", None) and callback.data == body


def test_chunked_body_ends_with_exactly_one_empty_string() -> None:
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n"
    callback = Recorder()
    with HttpFake(raw(wire)) as fake:
        http_getindirect(fake.url(), callback)
    assert callback.calls == [(b"a", None), (b"b", None), (b"", None)]


def test_until_close_body_ends_with_exactly_one_empty_string() -> None:
    callback = Recorder()
    with HttpFake(raw(b"HTTP/1.0 200 OK\r\n\r\n" + b"z" * 8192)) as fake:
        http_getindirect(fake.url(), callback)
    assert callback.calls == [(b"z" * 8192, None), (b"", None)]


def test_failure_reaches_the_callback_as_nil_and_message() -> None:
    callback = Recorder()
    with HttpFake(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) as fake:
        result = http_getindirect(fake.url(), callback)
    assert result == ({"content-length": "10"}, "HTTP/1.1 200 OK", "closed")
    assert callback.calls == [(b"abc", None), (None, "closed")]


def test_a_failure_before_the_body_reaches_the_callback_too() -> None:
    callback = Recorder()
    assert http_getindirect(f"http://127.0.0.1:{closed_port()}/", callback) == (
        None,
        None,
        "connection refused",
    )
    assert callback.calls == [(None, "connection refused")]


def test_the_callback_may_rephrase_the_error() -> None:
    callback = Recorder(lambda chunk, err=None: (None, f"download failed ({err})") if chunk is None else 1)
    with HttpFake(raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")) as fake:
        assert http_getindirect(fake.url(), callback)[2] == "download failed (closed)"


def endless(request: HttpRequest) -> Iterator[bytes]:
    yield b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n"
    for _ in range(100000000 // 65536):
        yield b"y" * 65536


@pytest.mark.parametrize(("answer", "message"), [(None, errors.ABORTED), ((None, "enough"), "enough")])
def test_returning_nil_aborts_the_download(answer: object, message: str) -> None:
    callback = Recorder(lambda *args: answer if len(callback.calls) == 2 else 1)
    with HttpFake(endless) as fake:
        headers, status, err = http_getindirect(fake.url(), callback)
    assert (status, err) == ("HTTP/1.1 200 OK", message)
    assert len(callback.calls) == 2 and all(call[0] for call in callback.calls)


def test_the_final_calls_error_becomes_the_result() -> None:
    callback = Recorder(lambda chunk, err=None: (None, "disk full") if chunk == b"" else 1)
    with HttpFake(ok()) as fake:
        assert http_getindirect(fake.url(), callback) == (
            {"content-length": "5"},
            "HTTP/1.1 200 OK",
            "disk full",
        )


def test_post_from_a_send_callback() -> None:
    pieces = [(b"abc", 6), (b"de", 6), (b"f", 6), (b"", 6)]
    calls = []

    def send_cb() -> tuple[bytes, int]:
        calls.append(1)
        return pieces.pop(0)

    received = Recorder()
    with HttpFake(lambda request: response("200 OK", request.body.upper())) as fake:
        assert http_postindirect(fake.url("/up"), received, send_cb)[2] is None
    assert len(calls) == 4 and not pieces  # the final call was made
    assert fake.requests[0].headers["content-length"] == "6" and fake.requests[0].body == b"abcdef"
    assert received.data == b"ABCDEF"


def test_requestindirect_with_headers_and_a_body_callback() -> None:
    sent = iter([(b"xy", 2), (b"", 2)])
    with HttpFake(ok(b"")) as fake:
        result = http_requestindirect("PUT", fake.url("/r"), Recorder(), {"X-A": "1"}, lambda: next(sent))
    assert result == ({"content-length": "0"}, "HTTP/1.1 200 OK", None)
    assert fake.requests[0].headers["x-a"] == "1" and fake.requests[0].body == b"xy"


def test_a_send_callback_failing_at_once_sends_nothing(listener: socket.socket) -> None:
    callback = Recorder()
    url = f"http://{address_of(listener)}/"
    result = http_postindirect(url, callback, lambda: (None, "no data"))
    assert result == (None, None, "no data")
    assert callback.calls == [(None, "no data")]
    assert sent_to(listener) == b""


def test_a_send_callback_overrunning_its_total_is_stopped(listener: socket.socket) -> None:
    answers = iter([(b"abc", 4), (b"de", 4)])
    url = f"http://{address_of(listener)}/"
    result = http_postindirect(url, Recorder(), lambda: next(answers))
    assert result == (None, None, errors.SEND_OVER)
    assert sent_to(listener).endswith(b"content-length: 4\r\n\r\nabc")


# -- misuse -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: http_get({}),
        lambda: http_get(None),
        lambda: http_get("http://h/", "not a table"),
        lambda: http_request(None, "http://h/"),
        lambda: http_post("http://h/", {}),
        lambda: http_getindirect("http://h/", "not a function"),
        lambda: http_postindirect("http://h/", lambda *a: 1, None),
        lambda: http_requestindirect("GET", "http://h/", lambda *a: 1, None, 42),
        lambda: http_get("http://h/", {1.5: "x"}),
    ],
)
def test_misuse_raises(call: Any) -> None:
    with pytest.raises(reference.LuaError):
        call()


class CallbackBroke(Exception):
    pass


def test_an_exception_in_a_callback_propagates_and_the_connection_is_closed() -> None:
    def explode(*args: object) -> object:
        raise CallbackBroke

    peers: list[Peer] = []

    def serve(peer: Peer) -> None:
        peers.append(peer)
        peer.read_line()
        peer.send(response(body=b"x" * 100))
        peer.read_until_close()  # returns once the client has closed its end

    with ServerThread(serve) as server, pytest.raises(CallbackBroke):
        http_getindirect(f"http://{server.address}/", explode)
    assert peers[0].closed_by_client
