"""A tiny Python candidate for the repeat tests: each ``chunk`` call returns the next piece of a stream.

Served in process (``python:bench_counter``) and by the Python driver
(``driver:python:bench_counter``), it shows that both paths repeat a call
alike (PROTOCOL.md section 7). The stream is three pieces, then "closed".
"""

from __future__ import annotations

PIECES = 3


class LuaError(Exception):
    """Raised for a Lua error, as the reference does."""


_state = {"calls": 0}


def reset() -> tuple[()]:
    _state["calls"] = 0
    return ()


def chunk(size: float) -> tuple[bytes, str | None]:
    """``size`` bytes while the stream lasts, then "" and "closed" (like ``receive(n)``)."""
    _state["calls"] += 1
    if _state["calls"] <= PIECES:
        return b"x" * int(size), None
    return b"", "closed"


def status() -> tuple[None, int]:
    """No string at all in value 1: nothing to count."""
    _state["calls"] += 1
    return None, _state["calls"]


def refuse() -> tuple[()]:
    raise LuaError("refused on purpose")
