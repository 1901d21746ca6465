"""The fake HTTP server over real loopback sockets, with http.client and raw sockets."""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT, elapsed_since, http_exchange, read_until_close, split_response

from fakeservers import Closed, Command, Note, Received, Reply
from fakeservers.http.wire import basic_authorization

Start = Callable[..., Any]

# A request as LuaSocket 1.3b writes it (spec §14.3): lower-case names, Host without the port.
LUASOCKET_GET = (b"GET /index.html HTTP/1.1\r\nconnection: close\r\nhost: 127.0.0.1\r\n"
                 b"user-agent: LuaSocket 1.3b HTTP 1.1\r\n\r\n")


def _get(server: Any, path: str, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_route_response_and_byte_exact_request_record(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/index.html", "body": "<html>hi</html>",
                                        "headers": [["Content-Type", "text/html"], ["X-Order", "second"]]}]})
    response = http_exchange(server.host, server.port, LUASOCKET_GET)
    assert response == (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Order: second\r\n"
                        b"Content-Length: 15\r\nConnection: close\r\n\r\n<html>hi</html>")
    [request] = server.received
    assert (request.method, request.target, request.version) == ("GET", "/index.html", "HTTP/1.1")
    assert request.request_line == b"GET /index.html HTTP/1.1\r\n"
    assert request.header_lines == (b"connection: close", b"host: 127.0.0.1",
                                    b"user-agent: LuaSocket 1.3b HTTP 1.1")
    assert request.headers["user-agent"] == "LuaSocket 1.3b HTTP 1.1"
    assert request.raw == LUASOCKET_GET and request.body == b"" and not request.error
    closed = server.transcript.wait_for(lambda event: isinstance(event, Closed), TIMEOUT)
    assert closed is not None and closed.by == "server"
    assert server.transcript.received_bytes(connection=1) == LUASOCKET_GET
    assert server.transcript.commands() == [b"GET /index.html HTTP/1.1\r\n"]
    replies = b"".join(event.data for event in server.transcript.events(Reply))
    assert replies == response


def test_query_and_method_matching(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/a", "method": "POST", "body": "post"},
                                       {"path": "/a", "body": "any"},
                                       {"path": "/q?x=1", "body": "exact query"}]})
    assert _get(server, "/a?ignored=1#frag")[1] == b"any"
    assert _get(server, "/a", "POST", b"")[1] == b"post"
    assert _get(server, "/q?x=1")[1] == b"exact query"
    response, body = _get(server, "/q?x=2")
    assert response.status == 404 and body == b"404 Not Found\n"
    assert [request.target for request in server.received] == ["/a?ignored=1#frag", "/a", "/q?x=1", "/q?x=2"]


def test_chunked_response_uses_the_configured_chunk_sizes(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/c", "body": {"size": 20, "pattern": "ab"},
                                        "framing": "chunked", "chunks": [3, 5]}]})
    head, body = split_response(http_exchange(server.host, server.port, b"GET /c HTTP/1.1\r\n\r\n"))
    assert b"\r\nTransfer-Encoding: chunked\r\n" in head
    assert body == (b"3\r\naba\r\n5\r\nbabab\r\n5\r\nababa\r\n5\r\nbabab\r\n2\r\nab\r\n0\r\n\r\n")
    assert _get(server, "/c")[1] == b"ab" * 10


def test_close_delimited_and_large_generated_bodies(start: Start) -> None:
    size = 6 * 1024 * 1024 + 7
    server = start("http", {"routes": [
        {"path": "/close", "body": {"size": size, "pattern": "0123456789"}, "framing": "close"},
        {"path": "/chunked", "body": {"size": size, "pattern": "0123456789"}, "framing": "chunked",
         "chunks": [100000]}]})
    expected = hashlib.sha256((b"0123456789" * (size // 10 + 1))[:size]).hexdigest()
    head, body = split_response(http_exchange(server.host, server.port, b"GET /close HTTP/1.0\r\n\r\n"))
    assert b"Content-Length" not in head and b"Transfer-Encoding" not in head
    assert len(body) == size and hashlib.sha256(body).hexdigest() == expected
    response, body = _get(server, "/chunked")
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert hashlib.sha256(body).hexdigest() == expected
    body_reply = server.transcript.events(Reply, connection=1)[-1]
    assert body_reply.size == size and len(body_reply.data) < size


def test_redirects_carry_the_servers_own_address(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/moved", "redirect": "http://{host}:{port}/target"},
                                       {"path": "/gone", "redirect": "http://other.test/x", "status": 301},
                                       {"path": "/target", "body": "arrived"}]})
    response, _ = _get(server, "/moved")
    assert (response.status, response.reason) == (302, "Found")
    location = response.getheader("Location")
    assert location == f"http://127.0.0.1:{server.port}/target"
    assert _get(server, location.split(str(server.port), 1)[1])[1] == b"arrived"
    response, _ = _get(server, "/gone")
    assert response.status == 301 and response.getheader("Location") == "http://other.test/x"


def test_basic_auth_challenge(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/private", "auth": {"user": "luasocket",
                                                                     "password": "password",
                                                                     "realm": "test area"},
                                        "body": "secret"}]})
    response, body = _get(server, "/private")
    assert (response.status, response.reason) == (401, "Authorization Required")
    assert response.getheader("WWW-Authenticate") == 'Basic realm="test area"'
    wrong = basic_authorization(b"luasocket", b"wrong")
    assert _get(server, "/private", headers={"Authorization": wrong})[0].status == 401
    right = basic_authorization(b"luasocket", b"password")
    response, body = _get(server, "/private", headers={"authorization": right})
    assert response.status == 200 and body == b"secret"
    assert server.received[2].headers["authorization"] == right


def test_a_request_nothing_answers_is_a_warning_note(start: Start) -> None:
    # A failing call's reason repeats warning notes: "no route" and "malformed request", not routine ones.
    server = start("http", {"routes": [{"path": "/a", "body": "a"}]})
    assert _get(server, "/a")[0].status == 200
    assert _get(server, "/b")[0].status == 404
    http_exchange(server.host, server.port, b"NONSENSE\r\n\r\n")
    server.transcript.wait_for(lambda event: isinstance(event, Closed) and event.connection == 3, TIMEOUT)
    warnings = [event.text for event in server.transcript.events(Note) if event.warning]
    assert warnings[0] == "no route for GET /b"
    assert warnings[1].startswith("malformed request: ")
    assert len(warnings) == 2


def test_delay_before_the_response(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/slow", "delay": 0.3, "body": "late"}]})
    began = time.monotonic()
    assert _get(server, "/slow")[1] == b"late"
    assert 0.28 <= elapsed_since(began) <= 3.0
    assert any("delaying the response 0.3s" in event.text for event in server.transcript.events(Note))


def test_stall_after_the_headers_until_the_server_stops(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/stuck", "stall": True, "body": "never sent"}]})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        client.sendall(b"GET /stuck HTTP/1.1\r\n\r\n")
        stalled = server.transcript.wait_for(lambda e: isinstance(e, Note) and "stalled" in e.text, TIMEOUT)
        assert stalled is not None
        client.settimeout(0.2)
        head = b""
        with pytest.raises(TimeoutError):
            while chunk := client.recv(4096):
                head += chunk
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
        server.stop()
        client.settimeout(TIMEOUT)
        assert read_until_close(client) == b""
    assert server.transcript.events(Closed)[-1].by == "stop"


def test_stall_after_some_body_bytes_and_the_client_leaving(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/part", "stall": 4, "body": "0123456789"}]})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        client.sendall(b"GET /part HTTP/1.1\r\n\r\n")
        assert server.transcript.wait_for(lambda e: isinstance(e, Note) and "stalled" in e.text, TIMEOUT)
        client.settimeout(0.2)
        data = b""
        with pytest.raises(TimeoutError):
            while chunk := client.recv(4096):
                data += chunk
        assert split_response(data)[1] == b"0123"
    closed = server.transcript.wait_for(lambda event: isinstance(event, Closed), TIMEOUT)
    assert closed is not None and closed.by == "client"


def test_raw_replies_are_sent_verbatim(start: Start) -> None:
    raw = b"HTTP/1.1 200\r\nServer:   spaced  \r\nno colon\r\n\r\nbody"
    server = start("http", {"routes": [{"path": "/bad", "raw": raw}]})
    assert http_exchange(server.host, server.port, b"GET /bad HTTP/1.1\r\n\r\n") == raw


def test_post_bodies_by_length_and_chunked_are_recorded_and_echoed(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/echo", "method": "POST", "echo": True}]})
    by_length = b"POST /echo HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello"
    head, body = split_response(http_exchange(server.host, server.port, by_length))
    assert body == b"hello" and b"Content-Length: 5\r\n" in head
    chunked = b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    assert split_response(http_exchange(server.host, server.port, chunked))[1] == b"abcde"
    first, second = server.received
    assert (first.body, first.raw) == (b"hello", by_length)
    assert (second.body, second.raw, second.body_length) == (b"abcde", chunked, 5)
    assert second.body_sha256 == hashlib.sha256(b"abcde").hexdigest()


def test_large_post_recorded_by_digest(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/upload", "method": "POST", "record_body": "digest",
                                        "body": "stored"}]})
    payload = bytes(range(256)) * 20000  # 5,120,000 bytes
    response, body = _get(server, "/upload", "POST", payload)
    assert response.status == 200 and body == b"stored"
    [request] = server.received
    assert request.body is None
    assert request.body_length == len(payload)
    assert request.body_sha256 == hashlib.sha256(payload).hexdigest()
    assert request.raw.endswith(b"\r\n\r\n") and len(request.raw) < 1000  # the head only
    assert sum(len(event.data) for event in server.transcript.events(Received)) < len(payload)


def test_malformed_and_truncated_requests_are_recorded(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/", "body": "x"}]})
    response = http_exchange(server.host, server.port, b"BROKEN\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        client.sendall(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        client.shutdown(socket.SHUT_WR)
        assert read_until_close(client) == b""
    bad, short = server.received
    assert bad.error.startswith("not a request line") and bad.raw == b"BROKEN\r\n\r\n"
    assert short.error == "connection closed after 3 body bytes" and short.body == b"abc"


def test_head_requests_get_no_body(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/", "body": "12345"}]})
    response = http_exchange(server.host, server.port, b"HEAD / HTTP/1.1\r\n\r\n")
    assert response.endswith(b"Content-Length: 5\r\nConnection: close\r\n\r\n")


def test_every_line_received_is_in_the_transcript_in_order(start: Start) -> None:
    server = start("http", {"routes": [{"path": "/", "body": "x"}]})
    http_exchange(server.host, server.port, LUASOCKET_GET.replace(b"/index.html", b"/"))
    assert server.transcript.wait_for(lambda event: isinstance(event, Closed), TIMEOUT)
    kinds = [type(event).__name__ for event in server.transcript.all()]
    assert kinds[:3] == ["Opened", "Received", "Command"]
    assert kinds[-1] == "Closed"
    assert server.transcript.events(Command)[0].verb == "GET"
