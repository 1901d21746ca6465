"""A wrong candidate of the right length: the reference, except that the first byte it receives is wrong.

Every count matches (repetitions, bytes, the end of the stream), so only a
digest of what it received can tell: ``python:bench_corrupt`` must FAIL a
workload that states value 1's SHA-256, and get no time.
"""

from __future__ import annotations

from typing import Any

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError


class _Corrupting:
    """A TCP client whose first non-empty received string has its first byte changed."""

    kind = "tcp-client"

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._spoiled = False

    def receive(self, *patterns: Any) -> tuple[Any, ...]:
        values = self._inner.receive(*patterns)
        data = values[0] if values else None
        if not self._spoiled and isinstance(data, bytes) and data:
            self._spoiled = True
            return (bytes([data[0] ^ 0x01]) + data[1:], *values[1:])
        return values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def connect(*args: Any) -> tuple[Any, ...]:
    values = reference.connect(*args)
    if values and values[0] is not None:
        return (_Corrupting(values[0]), *values[1:])
    return values
