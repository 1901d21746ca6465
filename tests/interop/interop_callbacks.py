"""Streaming callbacks for the interop tests: a receive callback that hashes, a send callback that slices.

Large transfers are compared by digest rather than kept whole, and the
receive side records every ending call, so a test can check the manual's
contract (exactly one final call, ``b""`` on success) against a real
server's framing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable


class DigestSink:
    """A receive callback that hashes the pieces and records how the transfer ended."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.endings: list[tuple[bytes | None, str | None]] = []

    def __call__(self, chunk: bytes | None, err: str | None = None) -> int:
        if chunk:
            self.sha256.update(chunk)
            self.size += len(chunk)
        else:
            self.endings.append((chunk, err))
        return 1


def piecewise(data: bytes, piece: int) -> Callable[[], tuple[bytes, int]]:
    """A send callback giving ``data`` in pieces of ``piece`` bytes, then ``b""`` (the final call)."""
    offsets = iter(range(0, len(data), piece))

    def send_cb() -> tuple[bytes, int]:
        start = next(offsets, None)
        return (b"", len(data)) if start is None else (data[start : start + piece], len(data))

    return send_cb


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
