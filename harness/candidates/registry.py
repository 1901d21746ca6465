"""Find a candidate by the name given on the command line.

Names are resolved in this order:

* a shipped candidate: a module ``harness/candidates/<name>.py`` listed in
  ``SHIPPED`` that exports ``CANDIDATE``;
* ``python:pkg.module``: any importable Python module, in process;
* ``driver:python:pkg.module``: that module served by the Python driver;
* ``driver:COMMAND``: any driver program (``drivers/PROTOCOL.md``), given as
  a shell-quoted command line;
* a third-party candidate: an entry point named ``<name>`` in the group
  ``lsconform.candidates`` that loads a ``CandidateSpec``.

Anything else fails loudly and lists what is known.
"""

from __future__ import annotations

import importlib
import textwrap
from importlib.metadata import EntryPoint, entry_points

from harness.adapters.base import CandidateSpec, Crashed
from harness.adapters.driver import configured_hello_timeout
from harness.candidates import driver_command, python_driver, python_module

ENTRY_POINT_GROUP = "lsconform.candidates"
DRIVER_PREFIX = driver_command.PREFIX
DEFAULT = "reference"

SHIPPED: dict[str, str] = {
    "reference": "harness.candidates.reference",
    "reference-driver": "harness.candidates.reference_driver",
    "luasocket3-lua5.1": "harness.candidates.luasocket3_lua51",
    "luasocket3-lua5.4": "harness.candidates.luasocket3_lua54",
    "luasocket3-luajit": "harness.candidates.luasocket3_luajit",
}
"""Shipped candidate name -> the module exporting its ``CANDIDATE``."""


class CandidateError(LookupError):
    """No usable candidate by that name; the message says why (and lists the known ones)."""


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def known_names() -> list[str]:
    """Every name ``resolve`` accepts as is, plus the prefix forms."""
    names = list(SHIPPED) + sorted(point.name for point in _entry_points())
    return names + [f"{python_module.PREFIX}<module>", f"{python_driver.PREFIX}<module>",
                    f"{DRIVER_PREFIX}<command>"]


def resolve(name: str) -> CandidateSpec:
    """The ``CandidateSpec`` for ``name``; raises ``CandidateError`` if none."""
    if name in SHIPPED:
        return _checked(importlib.import_module(SHIPPED[name]).CANDIDATE, name, SHIPPED[name])
    for prefix, spec_for in ((python_module.PREFIX, python_module.spec_for),
                             (python_driver.PREFIX, python_driver.spec_for)):
        if name.startswith(prefix):
            try:
                return spec_for(name)
            except ImportError as error:
                raise CandidateError(f"candidate {name!r}: cannot import the module: {error}") from error
            except ValueError as error:
                raise CandidateError(f"candidate {name!r}: {error}") from error
    if name.startswith(DRIVER_PREFIX):
        try:
            return driver_command.spec_for(name)
        except ValueError as error:
            raise CandidateError(f"candidate {name!r}: {error}") from error
    for point in _entry_points():
        if point.name == name:
            return _checked(point.load(), name, f"entry point {point.value}")
    raise CandidateError(f"unknown candidate {name!r}; known: {', '.join(known_names())}")


def start_problem(spec: CandidateSpec) -> str | None:
    """Why a driver candidate does not start (its first process says no valid hello), or None.

    Checked once before a run: a driver that never starts would otherwise
    cost every scenario its whole start-up wait and report the same CRASH
    for each. In-process candidates and ones ``unavailable`` here (their
    scenarios are SKIP, with the reason) are not started.
    """
    if "driver" not in spec.tags or (spec.unavailable is not None and spec.unavailable() is not None):
        return None
    try:
        configured_hello_timeout()
    except ValueError as error:
        return str(error)
    adapter = spec.make_adapter()
    try:
        failure = getattr(adapter, "failure", None)
        if isinstance(failure, Crashed):
            # The tail is already bounded (about 40 lines, drivers/PROTOCOL.md); cut further it
            # would lose the first line of a traceback or a "module not found", the line that matters.
            tail = failure.stderr_tail.strip()
            return failure.detail + ("; its stderr ends:\n" + textwrap.indent(tail, "  ") if tail else "")
        return None
    finally:
        adapter.close()


def check_starts(spec: CandidateSpec) -> None:
    """Raise ``CandidateError`` if ``spec`` is a driver that does not start (see :func:`start_problem`)."""
    problem = start_problem(spec)
    if problem is not None:
        raise CandidateError(f"candidate {spec.name!r}: {problem}")


def _checked(spec: object, name: str, origin: str) -> CandidateSpec:
    """Refuse a spec that is not one, or that answers to another name."""
    if not isinstance(spec, CandidateSpec):
        kind = type(spec).__name__
        raise CandidateError(f"candidate {name!r}: {origin} gave a {kind}, not a CandidateSpec")
    if spec.name != name:
        raise CandidateError(f"candidate {name!r}: {origin} names itself {spec.name!r}")
    return spec
