"""The off-clock digest equals hashlib's SHA-256 of the whole stream, whatever the batching."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from harness.adapters.offclock import FLUSH_BYTES, FLUSH_COUNT, OffClockDigest


@given(st.lists(st.binary(max_size=300), max_size=60))
def test_the_digest_is_that_of_the_concatenated_strings(chunks: list[bytes]) -> None:
    digest = OffClockDigest()
    for chunk in chunks:
        digest.add(chunk)
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert digest.length == sum(map(len, chunks))


def test_batches_are_hashed_when_full_and_their_time_is_counted() -> None:
    digest = OffClockDigest()
    for _ in range(FLUSH_COUNT - 1):
        digest.add(b"x")
    assert digest.paused == 0.0  # nothing hashed yet: the batch is not full
    digest.add(b"x")
    assert digest.paused > 0.0
    digest.add(b"y" * FLUSH_BYTES)  # one big string fills a batch by size
    expected = hashlib.sha256(b"x" * FLUSH_COUNT + b"y" * FLUSH_BYTES).hexdigest()
    assert digest.hexdigest() == expected


def test_an_empty_stream_has_the_empty_digest() -> None:
    assert OffClockDigest().hexdigest() == hashlib.sha256(b"").hexdigest()
