"""A wrong candidate of the right length: the reference, except that the first byte it receives is wrong.

Every count matches (repetitions, bytes, the end of the stream), so only a
digest of what it received can tell: ``python:bench_corrupt`` must FAIL a
workload that states value 1's SHA-256, and get no time.
"""

from __future__ import annotations

from spoiled_reference import connecting

import reference
from reference import *  # noqa: F403  (the whole API, then connect replaced below)

LuaError = reference.LuaError


def _first_byte_of_the_first_string(number: int, data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:] if number == 1 else data


connect = connecting(_first_byte_of_the_first_string)
