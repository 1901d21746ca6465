"""Uploads compared with what the scenario expects, instead of hashed: the same record, for less work."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_support import TIMEOUT

from fakeservers import payload as payload_module
from fakeservers.payload import DIGEST, BodyRecorder, Payload

Start = Callable[..., Any]
PATTERN = b"0123456789abcdef"


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the SHA-256 objects the recorders make from now on (an expected payload's digest read first)."""
    calls: list[int] = []
    real = hashlib.sha256

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(payload_module.hashlib, "sha256", counting)
    yield calls


def _pieces(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    start = 0
    for size in sizes:
        yield data[start:start + size]
        start += size
    yield data[start:]


def test_a_matching_upload_is_recorded_by_the_expected_digest_without_hashing(hash_calls: list[int]) -> None:
    expected = Payload(size=100_003, pattern=b"abc")  # a period that no piece size below is a multiple of
    digest = hashlib.sha256(expected.read_all()).hexdigest()
    assert expected.digest == digest
    hash_calls.clear()
    recorder = BodyRecorder(DIGEST, expected=expected)
    reused = bytearray(70_000)
    for piece in _pieces(expected.read_all(), [1, 7, 4096, 65_537]):
        reused[:len(piece)] = piece  # a reused read buffer, as the HTTP server has
        recorder.add(memoryview(reused)[:len(piece)])
    record = recorder.result()
    assert (record.length, record.sha256, record.data) == (100_003, digest, None)
    assert hash_calls == [], "nothing was hashed: every byte matched"


@pytest.mark.parametrize("change", ["first byte", "middle", "last byte", "one byte more", "one byte short"])
def test_an_upload_that_differs_is_recorded_as_it_arrived(change: str) -> None:
    expected = Payload(size=50_000, pattern=PATTERN)
    data = bytearray(expected.read_all())
    if change == "first byte":
        data[0] ^= 1
    elif change == "middle":
        data[25_001] ^= 1
    elif change == "last byte":
        data[-1] ^= 1
    elif change == "one byte more":
        data += b"!"
    else:
        del data[-1]
    recorder = BodyRecorder(DIGEST, expected=expected)
    for piece in _pieces(bytes(data), [10_000, 15_003, 1]):
        recorder.add(piece)
    record = recorder.result()
    assert (record.length, record.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_a_literal_is_expected_as_well_and_full_records_keep_the_bytes() -> None:
    literal = bytes(range(256)) * 10
    recorder = BodyRecorder(expected=Payload.of(literal))
    for piece in _pieces(literal, [3, 300]):
        recorder.add(piece)
    record = recorder.result()
    assert record.data == literal and record.sha256 == hashlib.sha256(literal).hexdigest()


def test_pieces_longer_than_a_comparison_block_are_compared_in_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(payload_module, "COMPARE_BLOCK", 1000)
    expected = Payload(size=10_000, pattern=b"xyz")
    data = bytearray(expected.read_all())
    assert expected.holds_at(0, bytes(data)) and expected.holds_at(3_001, bytes(data[3_001:7_777]))
    data[8_500] ^= 1  # in the ninth block of the one piece
    assert not expected.holds_at(0, bytes(data))
    assert not expected.holds_at(9_999, b"zz")  # past the end


def _post(server: Any, path: str, body: bytes) -> None:
    import http.client

    connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
    try:
        connection.request("POST", path, body=body)
        assert connection.getresponse().read() == b"stored"
    finally:
        connection.close()


# FTP's expect_uploads: tests/fakeservers/test_ftp_sink.py, for both of its engines.


def test_an_http_route_that_expects_its_body_records_what_arrived(start: Start) -> None:
    route = {"path": "/sink", "method": "POST", "body": "stored", "record_body": "digest",
             "expect_body": {"size": 300_000, "pattern": PATTERN.decode()}}
    server = start("http", {"routes": [route]})
    good = (PATTERN * 20_000)[:300_000]
    bad = good[:200_000] + b"?" + good[200_001:]
    _post(server, "/sink", good)
    _post(server, "/sink", bad)
    assert [(request.body_length, request.body_sha256) for request in server.received] == [
        (300_000, hashlib.sha256(good).hexdigest()), (300_000, hashlib.sha256(bad).hexdigest())]

