"""A wrong but fast candidate: the reference, except that every receive drops its last byte.

Its runs are quick and look plausible, which is exactly what a throughput
figure must not reward: ``python:bench_lossy`` must FAIL and get no time.
"""

from __future__ import annotations

from spoiled_reference import connecting

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError


def _last_byte_dropped(number: int, data: bytes) -> bytes:
    return data[:-1] if len(data) > 1 else data


connect = connecting(_last_byte_dropped)
