"""The reference, its TCP clients' received strings changed by one rule: the wrong candidates of the tests.

Each ``bench_*`` candidate module (``python:bench_lossy`` and the like) is
the whole reference API with ``connect`` replaced by ``connecting(rule)``,
so the only difference from the reference is the rule, and each test shows
which check catches which kind of wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reference

Rule = Callable[[int, bytes], bytes]
"""(which non-empty received string of this client, from 1; the string) -> what the candidate returns."""


class SpoiledClient:
    """A reference TCP client whose non-empty received strings pass through ``rule``."""

    kind = "tcp-client"

    def __init__(self, inner: Any, rule: Rule) -> None:
        self._inner = inner
        self._rule = rule
        self._strings = 0

    def receive(self, *patterns: Any) -> tuple[Any, ...]:
        values = self._inner.receive(*patterns)
        data = values[0] if values else None
        if isinstance(data, bytes) and data:
            self._strings += 1
            return (self._rule(self._strings, data), *values[1:])
        return values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def connecting(rule: Rule) -> Callable[..., tuple[Any, ...]]:
    """``connect`` as the reference's, handing out clients spoiled by ``rule``."""

    def connect(*args: Any) -> tuple[Any, ...]:
        values = reference.connect(*args)
        if values and values[0] is not None:
            return (SpoiledClient(values[0], rule), *values[1:])
        return values

    return connect
