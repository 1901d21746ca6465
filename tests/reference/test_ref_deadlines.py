"""Timeout values, modes and the §4.3 wait table (reference/deadlines.py)."""

from __future__ import annotations

import pytest

from reference.args import ABSENT
from reference.deadlines import Limits, allowed_wait, lua_seconds, set_limit
from reference.errors import LuaError


@pytest.mark.parametrize(
    ("limits", "elapsed", "wait"),
    [
        (Limits(), 5.0, None),  # none, none: unlimited
        (Limits(block=0.5), 100.0, 0.5),  # b only: the same for every wait
        (Limits(total=2.0), 0.5, 1.5),  # r only: what is left
        (Limits(total=2.0), 3.0, 0.0),  # r used up: a poll
        (Limits(block=0.5, total=2.0), 0.0, 0.5),  # both: the smaller
        (Limits(block=0.5, total=2.0), 1.8, pytest.approx(0.2)),
        (Limits(block=0.5, total=2.0), 9.0, 0.0),
    ],
)
def test_allowed_wait_follows_the_table(limits: Limits, elapsed: float, wait: float | None) -> None:
    assert allowed_wait(limits, elapsed) == wait


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(ABSENT, None), (None, None), (-1, None), (-0.0005, None), (0, 0.0), (0.0005, 0.0),
     (1.2345, 1.234), (0.29, 0.29), ("1", 1.0), (float("inf"), None), (float("nan"), None),
     (2_000_000, 2_000_000.0), (1e300, None),
     pytest.param(10**400, None, id="int-past-a-double"),
     pytest.param(-(10**400), None, id="negative-int-past-a-double")],
)
def test_timeout_values(value: object, seconds: float | None) -> None:
    """Whole milliseconds, truncated; every negative means no limit (DIVERGENCES #15)."""
    assert lua_seconds(value) == seconds


def test_non_numeric_timeout_raises() -> None:
    with pytest.raises(LuaError, match="number expected, got string"):
        lua_seconds("soon")


@pytest.mark.parametrize(("mode", "field"), [(ABSENT, "block"), ("b", "block"), ("blocked", "block"),
                                             (b"r", "total"), ("return", "total")])
def test_only_the_first_letter_of_the_mode_counts(mode: object, field: str) -> None:
    limits = Limits()
    set_limit(limits, 3, mode)
    assert getattr(limits, field) == 3.0


@pytest.mark.parametrize("mode", ["", "x", "Block", "*b"])
def test_other_modes_raise(mode: str) -> None:
    with pytest.raises(LuaError, match="invalid timeout mode"):
        set_limit(Limits(), 1, mode)


def test_setting_one_limit_keeps_the_other() -> None:
    limits = Limits()
    set_limit(limits, 1, "b")
    set_limit(limits, 2, "r")
    set_limit(limits, None, "b")
    assert limits == Limits(block=None, total=2.0)
