"""A slow but right candidate: the reference, except that every received string costs 25 ms of CPU.

Its time is all its own work, so the harness's peers sit idle while it
runs: ``python:bench_spinning`` shows that the peer load leaves the
candidate's own thread out (``harness.bench.peerload``).
"""

from __future__ import annotations

import time

from spoiled_reference import connecting

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError
SPIN_SECONDS = 0.025


def _after_spinning(number: int, data: bytes) -> bytes:
    until = time.thread_time() + SPIN_SECONDS
    while time.thread_time() < until:
        pass
    return data


connect = connecting(_after_spinning)
