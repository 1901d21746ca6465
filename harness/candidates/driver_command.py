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
    """Why ``program`` cannot be started (missing, a folder, not executable, not on PATH), or None.

    A script that exists but lacks the executable bit is the porter's usual
    first stumble: the message says both ways out, naming the interpreter
    of its ``#!`` line when it has one.
    """
    if os.sep in program or (os.altsep and os.altsep in program):
        if not os.path.exists(program):
            relative = "" if os.path.isabs(program) else f", looked for from {os.getcwd()}"
            return f"{program} does not exist (not an executable file{relative})"
        if os.path.isdir(program):
            return f"{program} is a folder, not an executable file"
        if not _is_executable_file(program):
            return (f"{program} is not an executable file (no execute permission): chmod +x it, or put its "
                    f"interpreter first ({_interpreter_word(program)} {program})")
    elif shutil.which(program) is None:
        return f"{program} is not on PATH"
    return interpreter_problem(shutil.which(program) or program)


def interpreter_problem(path: str) -> str | None:
    """Why the interpreter on ``path``'s ``#!`` line cannot start, or None.

    The kernel reports a missing interpreter as the script itself missing
    ("No such file or directory: './driver.py'"), which sends the reader to
    look at the wrong file.
    """
    try:
        with open(path, "rb") as script:
            first = script.readline(256)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return f"{path} has an empty #! line"
    interpreter = words[0]
    if os.path.basename(interpreter) == "env" and len(words) > 1 and not words[1].startswith("-"):
        if shutil.which(words[1]) is None:
            return f"{path} runs {words[1]} (its #! line: {' '.join(words)}), which is not on PATH"
        return None
    if not _is_executable_file(interpreter):
        return f"{path} names the interpreter {interpreter} on its #! line, which is not an executable file"
    return None


def _interpreter_word(path: str) -> str:
    """The interpreter named on ``path``'s ``#!`` line (``python3`` for ``#!/usr/bin/env python3``), or a
    placeholder."""
    try:
        with open(path, "rb") as script:
            first = script.readline(256)
    except OSError:
        return "INTERPRETER"
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    if words and os.path.basename(words[0]) == "env" and len(words) > 1 and not words[1].startswith("-"):
        return words[1]
    return words[0] if words else "INTERPRETER"


def _is_executable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def spec_for(candidate_name: str) -> CandidateSpec:
    return driver_candidate(candidate_name, parse_command(candidate_name))
