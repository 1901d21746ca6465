"""Bodies and files: given literally or generated, recorded in full or by digest.

Large transfers are part of the suite (a 1 GiB HTTP body, a 640,000-byte
POST, big FTP files), so nothing here needs the whole payload in memory:

* a ``Payload`` is either literal bytes or ``size`` bytes of a repeated
  ``pattern``, produced chunk by chunk;
* a ``BodyRecorder`` takes bytes as they arrive and keeps them all (``full``)
  or only their length and SHA-256 (``digest``), giving a ``BodyRecord``
  that a scenario can compare against ``!digest {sha256: ..., len: ...}``;
* a recorder told what to expect (``expected``, a ``Payload``) compares
  the bytes with it as they arrive instead of hashing them, and hashes only
  from the first difference on (after hashing the expected bytes before
  it), so the SHA-256 it records is the same either way. Comparing costs a
  fraction of hashing (memcmp against SHA-256 at 1.4-1.7 GB/s here), which
  keeps a fake server that receives an upload from being what limits a
  throughput workload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fakeservers.config import ConfigError, Fields, as_bytes

CHUNK = 64 * 1024
COMPARE_BLOCK = 1024 * 1024
"""Bytes compared at once with an expected payload (a longer piece is compared in such steps)."""
FULL = "full"
DIGEST = "digest"
RECORD_MODES = (FULL, DIGEST)


@dataclass(frozen=True)
class Payload:
    """Bytes to send: ``literal``, or ``size`` bytes of ``pattern`` repeated (cut at ``size``)."""

    literal: bytes | None = None
    size: int = 0
    pattern: bytes = b"x"

    @classmethod
    def of(cls, data: bytes) -> Payload:
        return cls(literal=data)

    @property
    def length(self) -> int:
        return len(self.literal) if self.literal is not None else self.size

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The payload in pieces of at most ``size`` bytes (none for an empty payload)."""
        if self.literal is not None:
            for start in range(0, len(self.literal), size):
                yield self.literal[start:start + size]
            return
        # A block that is a whole number of patterns keeps every piece in phase.
        repeats = max(1, size // len(self.pattern))
        block = self.pattern * repeats
        remaining = self.size
        while remaining > 0:
            piece = block[:remaining]
            remaining -= len(piece)
            yield piece

    def read_all(self) -> bytes:
        return b"".join(self.chunks())

    def sha256(self) -> str:
        return self.digest

    @cached_property
    def digest(self) -> str:
        """The SHA-256 of the whole payload, computed once (read it before a transfer to keep it out)."""
        return self.prefix_hash(self.length).hexdigest()

    def prefix_hash(self, length: int) -> Any:
        """A running SHA-256 (``hashlib``) over the payload's first ``length`` bytes."""
        digest = hashlib.sha256()
        left = length
        for piece in self.chunks():
            if left <= 0:
                break
            digest.update(piece[:left])
            left -= len(piece)
        return digest

    def holds_at(self, offset: int, data: bytes | memoryview) -> bool:
        """Whether the payload's bytes from ``offset`` on are ``data`` (compared in place, no copies)."""
        if offset + len(data) > self.length:
            return False
        if self.literal is not None:
            return self.literal.startswith(data, offset)
        view = memoryview(data)
        for start in range(0, len(view), COMPARE_BLOCK):
            piece = view[start:start + COMPARE_BLOCK]
            if not self._block.startswith(piece, (offset + start) % len(self.pattern)):
                return False
        return True

    @cached_property
    def _block(self) -> bytes:
        """The pattern repeated over ``COMPARE_BLOCK`` bytes and one more period, for ``holds_at``."""
        return self.pattern * (COMPARE_BLOCK // len(self.pattern) + 2)


def read_payload(raw: Any, field: str) -> Payload:
    """Text/bytes, or a mapping ``{size: N, pattern: TEXT}`` (pattern defaults to "x")."""
    if isinstance(raw, (str, bytes, bytearray)):
        return Payload.of(as_bytes(raw, field))
    fields = Fields(raw, field, ("size", "pattern"), required=("size",))
    pattern = fields.data("pattern", b"x")
    if not pattern:
        raise ConfigError(fields.field("pattern"), "expected at least one byte")
    return Payload(size=fields.integer("size"), pattern=pattern)


def read_expected(raw: Any, field: str) -> Payload:
    """A payload an upload is expected to carry, its SHA-256 computed now: not while a client uploads."""
    payload = read_payload(raw, field)
    _ = payload.digest
    return payload


@dataclass(frozen=True)
class BodyRecord:
    """What arrived: ``data`` (None when only the digest was kept), its length and SHA-256."""

    length: int
    sha256: str
    data: bytes | None = None

    def matches(self, expected: bytes) -> bool:
        return self.length == len(expected) and self.sha256 == hashlib.sha256(expected).hexdigest()


class BodyRecorder:
    """Accumulates incoming bytes; keeps them only when asked to (or while under ``keep_limit``).

    With ``expected``, the bytes are compared with that payload while they
    match it, and hashed only from the first difference (see the module
    docstring); the caller should have read ``expected.digest`` beforehand.
    """

    def __init__(self, mode: str = FULL, keep_limit: int | None = None,
                 expected: Payload | None = None) -> None:
        self._keep = mode == FULL
        self._keep_limit = keep_limit
        self._expected = expected  # None once the bytes differ from it (or when nothing was expected)
        self._digest = hashlib.sha256() if expected is None else None
        self._parts: list[bytes] = []
        self.length = 0

    def add(self, data: bytes | memoryview) -> None:
        """Digest ``data``; a view is copied if it is kept, so its buffer may be reused at once."""
        if not data:
            return
        if self._expected is not None and not self._expected.holds_at(self.length, data):
            self._digest = self._expected.prefix_hash(self.length)
            self._expected = None
        if self._digest is not None:
            self._digest.update(data)
        self.length += len(data)
        if self._keep:
            if self._keep_limit is not None and self.length > self._keep_limit:
                self._keep = False
                self._parts.clear()
            else:
                self._parts.append(bytes(data))

    def result(self) -> BodyRecord:
        data = b"".join(self._parts) if self._keep else None
        if self._digest is not None:
            sha256 = self._digest.hexdigest()
        else:  # every byte matched the expected payload
            assert self._expected is not None
            whole = self.length == self._expected.length
            sha256 = self._expected.digest if whole else self._expected.prefix_hash(self.length).hexdigest()
        return BodyRecord(self.length, sha256, data)
