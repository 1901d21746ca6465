"""Anyone's driver as a candidate: ``driver:COMMAND``, a shell-quoted command line.

``--candidate "driver:lua5.4 drivers/lua/driver.lua"`` starts that command
once per scenario and speaks ``drivers/PROTOCOL.md`` with it. The program
must exist when the run starts, so a typo fails once instead of crashing
every scenario.
"""

from __future__ import annotations

import os
import shlex
import shutil

from harness.adapters.base import CandidateSpec
from harness.adapters.driver_spec import driver_candidate

PREFIX = "driver:"


def parse_command(candidate_name: str) -> list[str]:
    """The argument list of ``driver:COMMAND``; ValueError if empty, badly quoted or not found."""
    text = candidate_name.removeprefix(PREFIX)
    try:
        argv = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"cannot split the command {text!r}: {error}") from None
    if not argv:
        raise ValueError(f"name a command after {PREFIX!r}, e.g. \"{PREFIX}lua5.4 drivers/lua/driver.lua\"")
    problem = program_problem(argv[0])
    if problem is not None:
        raise ValueError(problem)
    return argv


def program_problem(program: str) -> str | None:
    """Why ``program`` cannot be started (not an executable file, not on PATH), or None."""
    if os.sep in program or (os.altsep and os.altsep in program):
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            return f"{program} is not an executable file"
    elif shutil.which(program) is None:
        return f"{program} is not on PATH"
    return None


def spec_for(candidate_name: str) -> CandidateSpec:
    return driver_candidate(candidate_name, parse_command(candidate_name))
