"""Bodies and files: given literally or generated, recorded in full or by digest.

Large transfers are part of the suite (a 1 GiB HTTP body, a 640,000-byte
POST, big FTP files), so nothing here needs the whole payload in memory:

* a ``Payload`` is either literal bytes or ``size`` bytes of a repeated
  ``pattern``, produced chunk by chunk;
* a ``BodyRecorder`` takes bytes as they arrive and keeps them all (``full``)
  or only their length and SHA-256 (``digest``), giving a ``BodyRecord``
  that a scenario can compare against ``!digest {sha256: ..., len: ...}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fakeservers.config import ConfigError, Fields, as_bytes

CHUNK = 64 * 1024
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
        digest = hashlib.sha256()
        for piece in self.chunks():
            digest.update(piece)
        return digest.hexdigest()


def read_payload(raw: Any, field: str) -> Payload:
    """Text/bytes, or a mapping ``{size: N, pattern: TEXT}`` (pattern defaults to "x")."""
    if isinstance(raw, (str, bytes, bytearray)):
        return Payload.of(as_bytes(raw, field))
    fields = Fields(raw, field, ("size", "pattern"), required=("size",))
    pattern = fields.data("pattern", b"x")
    if not pattern:
        raise ConfigError(fields.field("pattern"), "expected at least one byte")
    return Payload(size=fields.integer("size"), pattern=pattern)


@dataclass(frozen=True)
class BodyRecord:
    """What arrived: ``data`` (None when only the digest was kept), its length and SHA-256."""

    length: int
    sha256: str
    data: bytes | None = None

    def matches(self, expected: bytes) -> bool:
        return self.length == len(expected) and self.sha256 == hashlib.sha256(expected).hexdigest()


class BodyRecorder:
    """Accumulates incoming bytes; keeps them only when asked to (or while under ``keep_limit``)."""

    def __init__(self, mode: str = FULL, keep_limit: int | None = None) -> None:
        self._keep = mode == FULL
        self._keep_limit = keep_limit
        self._digest = hashlib.sha256()
        self._parts: list[bytes] = []
        self.length = 0

    def add(self, data: bytes | memoryview) -> None:
        """Digest ``data``; a view is copied if it is kept, so its buffer may be reused at once."""
        if not data:
            return
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
        return BodyRecord(self.length, self._digest.hexdigest(), data)
