"""Shared helpers for the Lua driver's tests: the runtimes, and skipping where one is missing.

Named apart from any ``conftest`` so that imports never collide with other
test folders (the test tree is not a package).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.candidates.luasocket3 import DRIVER_SCRIPT, runtime_problem

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DRIVERS_LUA = DRIVER_SCRIPT.parent
RUNTIMES = ("lua5.1", "lua5.4", "luajit")
CANDIDATES = {runtime: f"luasocket3-{runtime}" for runtime in RUNTIMES}


def require_runtime(runtime: str) -> str:
    """``runtime`` if it can run the driver here; otherwise skip, saying why."""
    problem = runtime_problem(runtime)
    if problem:
        pytest.skip(f"{runtime}: {problem}")
    return runtime
