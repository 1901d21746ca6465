"""Fixtures for the Lua driver's tests: one parameter per Lua runtime, skipped where missing."""

from __future__ import annotations

import pytest
from lua_support import RUNTIMES, require_runtime


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    """A Lua runtime that has LuaSocket 3 (the test is skipped, with the reason, where it has not)."""
    return require_runtime(request.param)
