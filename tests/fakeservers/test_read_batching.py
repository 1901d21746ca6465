"""When an upload's reader pauses: after small reads with much still to come, never near or at an end."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fake_support import TIMEOUT

from fakeservers.http import exchange
from fakeservers.http.wire import body_decoder
from fakeservers.read_batching import PAUSE, SMALL_READ, TAIL, pause_after

Start = Callable[..., Any]


@pytest.mark.parametrize(("got", "left", "expected"), [
    (8192, 4 * 1024 * 1024, PAUSE),        # a small step with much to come: let the next ones pile up
    (SMALL_READ - 1, TAIL + 1, PAUSE),
    (SMALL_READ, 4 * 1024 * 1024, 0.0),    # a large read: the reader is behind already
    (8192, TAIL, 0.0),                     # the tail is read as it comes
    (8192, 0, 0.0),                        # the body is complete
    (8192, None, 0.0),                     # length unknown: the end could be next
])
def test_a_reader_pauses_only_after_a_small_read_with_more_than_the_tail_to_come(
        got: int, left: int | None, expected: float) -> None:
    assert pause_after(got, left) == expected


def test_a_body_written_in_small_steps_is_recorded_whole_by_a_pausing_reader(
        start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    head_read, first_read = threading.Event(), threading.Event()
    pauses: list[float] = []

    def decoder_after_head(head: Any) -> Any:
        head_read.set()
        return body_decoder(head)

    def counted(got: int, left: int | None) -> float:
        pauses.append(pause_after(got, left))
        first_read.set()
        return pauses[-1]

    monkeypatch.setattr(exchange, "body_decoder", decoder_after_head)
    monkeypatch.setattr(exchange, "pause_after", counted)
    server = start("http", {"routes": [{"path": "/sink", "method": "POST", "body": "stored",
                                        "record_body": "digest"}]})
    body = bytes(range(256)) * 4096  # 1 MiB
    head = f"POST /sink HTTP/1.0\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as client:
        client.sendall(head)
        assert head_read.wait(TIMEOUT)
        client.sendall(body[:8192])  # all that the server's first body read can find
        assert first_read.wait(TIMEOUT)
        for start_at in range(8192, len(body), 8192):
            client.sendall(body[start_at:start_at + 8192])
        reply = b""
        while chunk := client.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"stored")
    [request] = server.received
    assert (request.body_length, request.body_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert pauses[0] == PAUSE and pauses[-1] == 0.0  # a pause after the small first read, none after the last
