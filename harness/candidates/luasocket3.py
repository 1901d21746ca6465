"""LuaSocket 3 behind the 1.3b compatibility layer, served by the Lua driver.

One candidate per Lua runtime Debian ships LuaSocket 3 for (``lua-socket``):
``luasocket3-lua5.1``, ``luasocket3-lua5.4`` and ``luasocket3-luajit``
(LuaJIT uses the 5.1 modules). Each runs ``drivers/lua/driver.lua`` in that
runtime; the driver serves ``drivers/lua/compat13b.lua``, the 1.3b API
written in Lua on top of LuaSocket 3's. What the three score differently from
the reference is listed, with reasons, in ``expectations/<name>.yaml``.

The driver's path is resolved from this file, not from the current
directory, so the candidates work from anywhere in an editable install.

A machine without the runtime or without LuaSocket 3 is not a failure of the
candidate: ``unavailable`` tells the runner, which then reports every
scenario as SKIP with the reason (and how to install what is missing).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from harness.adapters.base import CandidateSpec
from harness.adapters.driver_spec import driver_candidate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DRIVER_SCRIPT = PROJECT_ROOT / "drivers" / "lua" / "driver.lua"
INSTALL_HINT = "apt-get install lua5.1 lua5.4 luajit lua-socket"
_PROBE_TIMEOUT = 15.0


@functools.cache
def runtime_problem(runtime: str) -> str | None:
    """Why ``runtime`` cannot run the driver here, or None if it can.

    Checked once per process: the runtime must be on PATH, load LuaSocket 3
    and find the driver script.
    """
    if not DRIVER_SCRIPT.is_file():
        return f"the Lua driver is missing ({DRIVER_SCRIPT})"
    executable = shutil.which(runtime)
    if executable is None:
        return f"{runtime} is not installed (Debian: {INSTALL_HINT})"
    try:
        probe = subprocess.run([executable, "-e", 'require("socket")'], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{runtime} does not start: {error}"
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines()
        detail = lines[0] if lines else f"exit status {probe.returncode}"
        return f"LuaSocket 3 is not available to {runtime} ({detail}; Debian: {INSTALL_HINT})"
    return None


def luasocket3_candidate(name: str, runtime: str, description: str) -> CandidateSpec:
    """The driver candidate ``name``: the Lua driver run by ``runtime``."""
    spec = driver_candidate(name, [runtime, str(DRIVER_SCRIPT), "--name", name], description,
                            tags=("lua", "luasocket3"))
    return replace(spec, unavailable=lambda: runtime_problem(runtime))
