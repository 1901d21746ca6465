"""A Python module served by the Python driver (``drivers/python/driver.py``), as a candidate.

Behind ``--candidate driver:python:pkg.module`` and the shipped
``reference-driver``. The module is the same one ``python:pkg.module`` would
call in process; here it runs in a child process and every call crosses the
driver protocol, which is how the protocol and the driver are proved against
the in-process verdicts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from harness.adapters.base import CandidateSpec
from harness.adapters.driver_spec import driver_candidate
from harness.candidates.python_module import import_candidate_module

PREFIX = "driver:python:"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DRIVER_SCRIPT = PROJECT_ROOT / "drivers" / "python" / "driver.py"


def python_driver_command(module_name: str, search_path: Sequence[Path | str] = (), *,
                          isolated: bool = False, name: str | None = None) -> list[str]:
    """The command line that serves ``module_name``.

    ``isolated`` starts Python with ``-S -E`` (no site-packages, no PYTHON*
    variables): half the start-up time, for modules that need only the
    standard library and ``search_path``.
    """
    command = [sys.executable, *(["-S", "-E"] if isolated else []), str(DRIVER_SCRIPT)]
    for directory in search_path:
        command += ["--path", str(directory)]
    if name:
        command += ["--name", name]
    return [*command, module_name]


def import_root(module: ModuleType, module_name: str) -> Path | None:
    """The directory on ``sys.path`` from which ``module_name`` was imported, if it is a file."""
    origin = getattr(module, "__file__", None)
    if not origin:
        return None
    path = Path(origin).resolve()
    depth = len(module_name.split(".")) - (0 if path.name == "__init__.py" else 1)
    return path.parents[depth]


def spec_for(candidate_name: str) -> CandidateSpec:
    """The spec for ``driver:python:pkg.module``; the module must be importable here and now.

    Importing it in the harness too makes a typo fail at once, and tells
    where it lives: that directory goes on the driver's search path, so a
    module found through the current directory is found by the driver too.
    """
    module_name = candidate_name.removeprefix(PREFIX)
    if not module_name:
        raise ValueError(f"{candidate_name!r}: name a module after {PREFIX!r}, e.g. {PREFIX}mypkg.luasocket")
    module = import_candidate_module(module_name)  # any module: the driver serves what it exports
    root = import_root(module, module_name)
    command = python_driver_command(module_name, [root] if root else [], name=candidate_name)
    return driver_candidate(candidate_name, command,
                            f"the Python module {module_name}, served by the Python driver")
