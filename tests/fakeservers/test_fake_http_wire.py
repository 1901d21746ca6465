"""HTTP framing, routing and payloads without a network: bytes in, values out."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from fakeservers.http.config import read_http_config
from fakeservers.http.routing import expand_url, plan_response
from fakeservers.http.wire import (
    ChunkedDecoder,
    LengthDecoder,
    MalformedRequest,
    basic_authorization,
    body_decoder,
    chunk_frames,
    find_head_end,
    parse_head,
)
from fakeservers.payload import DIGEST, BodyRecorder, Payload

REQUEST = (b"GET /a/b?q=1#frag HTTP/1.1\r\nhost: 127.0.0.1\r\nX-Twice: one\r\n"
           b"x-twice: two\r\nX-Folded: first\r\n  second\r\n\r\nBODY")


def test_head_end_is_found_after_the_blank_line_whatever_the_line_ends() -> None:
    assert find_head_end(REQUEST[:20]) is None
    assert find_head_end(REQUEST) == len(REQUEST) - len(b"BODY")
    assert find_head_end(b"GET / HTTP/1.0\nA: b\n\nrest") == len(b"GET / HTTP/1.0\nA: b\n\n")


def test_parse_head_keeps_raw_lines_and_builds_the_header_dict() -> None:
    head = parse_head(REQUEST[: find_head_end(REQUEST)])
    assert (head.method, head.target, head.version) == ("GET", "/a/b?q=1#frag", "HTTP/1.1")
    assert head.request_line == b"GET /a/b?q=1#frag HTTP/1.1\r\n"
    assert head.header_lines == (b"host: 127.0.0.1", b"X-Twice: one", b"x-twice: two", b"X-Folded: first",
                                 b"  second")
    assert head.headers == {"host": "127.0.0.1", "x-twice": "one, two", "x-folded": "first second"}


@pytest.mark.parametrize("head", [
    b"GET /\r\n\r\n",                          # HTTP/0.9 style: no version
    b"GET  / HTTP/1.1\r\n\r\n",                # two spaces
    b"GET / FTP/1.0\r\n\r\n",                  # not HTTP
    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\n folded first\r\n\r\n",
])
def test_malformed_heads_raise(head: bytes) -> None:
    with pytest.raises(MalformedRequest):
        parse_head(head)


def test_chunked_body_decodes_the_same_however_it_is_split() -> None:
    wire = b"3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT"
    for size in (1, 2, 7, len(wire)):
        decoder = ChunkedDecoder()
        pieces = []
        for start in range(0, len(wire), size):
            pieces += decoder.feed(wire[start:start + size])
        assert b"".join(pieces) == b"abc0123456789"
        assert decoder.done
        assert decoder.trailers == [b"Trailer: x"]
        assert decoder.leftover == b"NEXT"


@pytest.mark.parametrize("wire", [b"zz\r\n", b"3\r\nabcX\r\n"])
def test_chunked_body_errors(wire: bytes) -> None:
    with pytest.raises(MalformedRequest):
        ChunkedDecoder().feed(wire)


def test_length_body_stops_at_the_length() -> None:
    decoder = LengthDecoder(5)
    assert decoder.feed(b"hel") == [b"hel"]
    assert not decoder.done
    assert decoder.feed(b"loEXTRA") == [b"lo"]
    assert decoder.done and decoder.leftover == b"EXTRA"


def test_bodies_read_into_one_reused_buffer_decode_and_record_as_bytes_do() -> None:
    """The server reads a digested body in place: nothing kept may point into the buffer."""
    wires = {"length": (LengthDecoder(10), b"0123456789EXTRA"),
             "chunked": (ChunkedDecoder(), b"4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\nEXTRA")}
    for decoder, wire in wires.values():
        buffer = bytearray(3)
        kept = BodyRecorder()
        digested = BodyRecorder(DIGEST)
        for start in range(0, len(wire), 3):
            view = memoryview(buffer)[:len(wire[start:start + 3])]
            view[:] = wire[start:start + 3]
            for piece in decoder.feed(view):
                kept.add(piece)
                digested.add(piece)
            buffer[:] = b"###"  # the next read overwrites it
        assert decoder.done and bytes(decoder.leftover) == b"EXTRA"
        assert kept.result().data == b"0123456789"
        assert digested.result().sha256 == hashlib.sha256(b"0123456789").hexdigest()


def test_body_decoder_choice() -> None:
    def decoder(headers: bytes) -> object:
        return body_decoder(parse_head(b"POST / HTTP/1.1\r\n" + headers + b"\r\n"))

    assert isinstance(decoder(b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n"), ChunkedDecoder)
    assert decoder(b"Content-Length: 7\r\n").remaining == 7  # type: ignore[attr-defined]
    assert decoder(b"").done  # type: ignore[attr-defined]
    with pytest.raises(MalformedRequest, match="Content-Length"):
        decoder(b"Content-Length: seven\r\n")


def test_chunk_frames_cut_the_stream_by_the_given_sizes() -> None:
    frames = list(chunk_frames([b"abcdefgh", b"ijklmnopqrst"], [3, 5]))
    assert frames == [b"3\r\nabc\r\n", b"5\r\ndefgh\r\n", b"5\r\nijklm\r\n", b"5\r\nnopqr\r\n",
                      b"2\r\nst\r\n", b"0\r\n\r\n"]
    assert list(chunk_frames([], [8192])) == [b"0\r\n\r\n"]


def test_generated_payload_streams_in_phase_without_building_the_whole() -> None:
    payload = Payload(size=10, pattern=b"abc")
    assert payload.read_all() == b"abcabcabca"
    assert b"".join(payload.chunks(4)) == b"abcabcabca"
    assert payload.sha256() == hashlib.sha256(b"abcabcabca").hexdigest()
    huge = Payload(size=1 << 30, pattern=b"0123456789")
    first, second = itertools.islice(huge.chunks(), 2)
    joined = first + second
    assert huge.length == 1 << 30
    assert len(first) <= 64 * 1024
    assert joined == (b"0123456789" * (len(joined) // 10 + 1))[: len(joined)]


def test_body_recorder_keeps_bytes_or_only_the_digest() -> None:
    full = BodyRecorder()
    digest = BodyRecorder(DIGEST)
    limited = BodyRecorder(keep_limit=4)
    for recorder in (full, digest, limited):
        recorder.add(b"abc")
        recorder.add(b"def")
    expected = hashlib.sha256(b"abcdef").hexdigest()
    assert full.result().data == b"abcdef"
    assert digest.result().data is None and digest.result().sha256 == expected
    assert limited.result().data is None and limited.result().length == 6
    assert full.result().matches(b"abcdef") and not full.result().matches(b"abcdeF")


def _plan(routes: list[dict[str, object]], request: bytes, body: bytes | None = None) -> tuple[bytes, bytes]:
    config = read_http_config({"routes": routes})
    plan = plan_response(config, parse_head(request), body, "127.0.0.1", 8080)
    return plan.head, b"".join(plan.body_frames())


def test_plan_adds_only_framing_and_connection_headers_after_the_route_headers() -> None:
    head, body = _plan([{"path": "/x", "headers": [["B-Second", 2], "A-First:  spaced "], "body": "hi"}],
                       b"GET /x?y=1 HTTP/1.1\r\n\r\n")
    assert head == (b"HTTP/1.1 200 OK\r\nB-Second: 2\r\nA-First:  spaced \r\nContent-Length: 2\r\n"
                    b"Connection: close\r\n\r\n")
    assert body == b"hi"


def test_plan_keeps_a_route_supplied_framing_header_even_if_it_lies() -> None:
    head, body = _plan([{"path": "/", "headers": [["Content-Length", "10"]], "body": "short"}],
                       b"GET / HTTP/1.1\r\n\r\n")
    assert b"Content-Length: 10\r\n" in head and head.count(b"Content-Length") == 1
    assert body == b"short"
    head, body = _plan([{"path": "/", "headers": [["Transfer-Encoding", "Chunked"]], "body": "abc",
                         "framing": "chunked"}], b"GET / HTTP/1.1\r\n\r\n")
    assert b"Transfer-Encoding: Chunked\r\n" in head and b"chunked" not in head
    assert body == b"3\r\nabc\r\n0\r\n\r\n"


def test_plan_for_head_and_no_content() -> None:
    routes = [{"path": "/", "body": "12345"}, {"path": "/none", "status": 204, "body": "ignored"}]
    head, body = _plan(routes, b"HEAD / HTTP/1.1\r\n\r\n")
    assert b"Content-Length: 5\r\n" in head and body == b""
    head, body = _plan(routes, b"GET /none HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204 No Content\r\n") and b"Content-Length" not in head and body == b""


def test_plan_status_line_override_reason_and_unmatched() -> None:
    head, _ = _plan([{"path": "/", "status_line": "HTTP/1.1 200"}], b"GET / HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200\r\n")
    head, _ = _plan([{"path": "/", "status": 299, "reason": "Odd Thing", "version": "HTTP/1.0"}],
                    b"GET / HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 299 Odd Thing\r\n")
    head, body = _plan([{"path": "/", "method": "post"}], b"GET / HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n") and body == b"404 Not Found\n"


def test_plan_redirect_and_challenge() -> None:
    routes = [{"path": "/old", "redirect": "http://{host}:{port}/new", "status": 301},
              {"path": "/private", "auth": {"user": "u", "password": "p:w"}, "body": "secret"}]
    head, _ = _plan(routes, b"GET /old HTTP/1.1\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 301 Moved Permanently\r\n")
    assert b"\r\nLocation: http://127.0.0.1:8080/new\r\n" in head
    for authorization in (b"", b"Authorization: Basic dTp3cm9uZw==\r\n", b"Authorization: Digest x\r\n"):
        head, body = _plan(routes, b"GET /private HTTP/1.1\r\n" + authorization + b"\r\n")
        assert head.startswith(b"HTTP/1.1 401 Authorization Required\r\n")
        assert b'\r\nWWW-Authenticate: Basic realm="lsconform"\r\n' in head
    right = basic_authorization(b"u", b"p:w").encode()
    head, body = _plan(routes, b"GET /private HTTP/1.1\r\nauthorization: " + right + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == b"secret"


def test_expand_url_brackets_ipv6_hosts() -> None:
    assert expand_url("http://{host}:{port}/x{y}", "::1", 81) == "http://[::1]:81/x{y}"
