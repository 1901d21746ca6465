"""A wrong candidate that only a digest can catch: the reference, except that one receive in the
middle of every connection comes back with its first byte changed (same length).

The last round's values and the byte count are right, so a sequence checked
without the SHA-256 of every round would pass it: ``python:bench_middle_round``
must FAIL a ping-pong workload and get no time.
"""

from __future__ import annotations

from typing import Any

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError
SPOILED_RECEIVE = 10
"""Which receive of a connection (1 is the first) has its first byte changed."""


class _Spoiling:
    """A TCP client whose ``SPOILED_RECEIVE``-th receive returns a different first byte."""

    kind = "tcp-client"

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._receives = 0

    def receive(self, *patterns: Any) -> tuple[Any, ...]:
        values = self._inner.receive(*patterns)
        self._receives += 1
        data = values[0] if values else None
        if self._receives == SPOILED_RECEIVE and isinstance(data, bytes) and data:
            return (bytes([data[0] ^ 0x20]) + data[1:], *values[1:])
        return values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def connect(*args: Any) -> tuple[Any, ...]:
    values = reference.connect(*args)
    if values and values[0] is not None:
        return (_Spoiling(values[0]), *values[1:])
    return values
