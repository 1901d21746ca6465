"""Timeout limits and how long one wait may last (spec §4), with no I/O.

Every socket carries two limits, both "none" at first:

* the **block** limit ``b`` caps each single wait for the OS;
* the **return** limit ``r`` caps the whole API call, counted from its start.

Before each wait the I/O layer asks :func:`allowed_wait` how long it may
block, given the time elapsed since the call started:

====  ====  ==================================
b     r     allowed wait
====  ====  ==================================
none  none  unlimited (``None``)
set   none  ``b`` (the same for every wait)
none  set   ``max(r - elapsed, 0)``
set   set   ``min(b, max(r - elapsed, 0))``
====  ====  ==================================

A zero allowance is a poll: data already there is still taken, which is why a
call that timed out in "r" mode took at least ``r``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reference.args import check_number, check_text, is_absent
from reference.errors import LuaError

# Added before truncating to milliseconds, so that 0.29 s (stored as
# 0.28999...) keeps its 290 ms instead of losing one to binary rounding.
_ROUNDING_SLACK = 1e-6
# The longest wait poll() can express (a C int of milliseconds, ~24.8 days);
# the original stored limits in the same int. A longer limit is no limit.
_LONGEST_MS = 2**31 - 1


@dataclass
class Limits:
    """The two limits of one socket, in seconds; ``None`` means no limit."""

    block: float | None = None
    total: float | None = None


def lua_seconds(value: object) -> float | None:
    """A Lua timeout value as seconds, or ``None`` for "no limit".

    Absent, nil or any negative number mean no limit (the manual; the 2001
    code made tiny negatives a poll, DIVERGENCES.md #15). Other values are
    kept as whole milliseconds, truncated, as the original stored them:
    0.0005 becomes 0 (a poll), 1.2345 becomes 1.234. A limit longer than
    about 24.8 days (more milliseconds than a C int holds) is no limit.
    """
    if is_absent(value):
        return None
    seconds = check_number(value)
    # NaN last: a Python int too large for a float (10**400) must meet the comparisons first
    if seconds < 0 or seconds * 1000 > _LONGEST_MS or math.isnan(seconds):
        return None
    return math.floor(seconds * 1000 + _ROUNDING_SLACK) / 1000


def set_limit(limits: Limits, value: object, mode: object) -> None:
    """Apply ``sock:timeout(value [, mode])`` to ``limits``.

    Only the first character of the mode counts: ``b...`` (the default) sets
    the block limit, ``r...`` the return limit; anything else, including an
    empty string, raises ``invalid timeout mode``. The other limit is kept.
    """
    seconds = lua_seconds(value)
    letter = "b" if is_absent(mode) else check_text(mode)[:1]
    if letter == "b":
        limits.block = seconds
    elif letter == "r":
        limits.total = seconds
    else:
        raise LuaError("invalid timeout mode")


def allowed_wait(limits: Limits, elapsed: float) -> float | None:
    """Seconds the next wait may block (``None``: forever), per the table."""
    block, total = limits.block, limits.total
    if total is None:
        return block
    remaining = max(total - elapsed, 0.0)
    if block is None:
        return remaining
    return min(block, remaining)
