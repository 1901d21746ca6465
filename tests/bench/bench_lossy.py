"""A wrong but fast candidate: the reference, except that every receive drops its last byte.

Its runs are quick and look plausible, which is exactly what a throughput
figure must not reward: ``python:bench_lossy`` must FAIL and get no time.
"""

from __future__ import annotations

from typing import Any

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError


class _Lossy:
    """A TCP client whose ``receive`` loses the last byte of every string it returns."""

    kind = "tcp-client"

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def receive(self, *patterns: Any) -> tuple[Any, ...]:
        values = self._inner.receive(*patterns)
        data = values[0] if values else None
        if isinstance(data, bytes) and len(data) > 1:
            return (data[:-1], *values[1:])
        return values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def connect(*args: Any) -> tuple[Any, ...]:
    values = reference.connect(*args)
    if values and values[0] is not None:
        return (_Lossy(values[0]), *values[1:])
    return values
