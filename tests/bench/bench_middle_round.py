"""A wrong candidate that only a digest can catch: the reference, except that one receive in the
middle of every connection comes back with its first byte changed (same length).

The last round's values and the byte count are right, so a sequence checked
without the SHA-256 of every round would pass it: ``python:bench_middle_round``
must FAIL a ping-pong workload and get no time.
"""

from __future__ import annotations

from spoiled_reference import connecting

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError
SPOILED_RECEIVE = 10
"""Which received string of a connection (1 is the first) has its first byte changed."""


def _first_byte_of_one_string(number: int, data: bytes) -> bytes:
    return bytes([data[0] ^ 0x20]) + data[1:] if number == SPOILED_RECEIVE else data


connect = connecting(_first_byte_of_one_string)
