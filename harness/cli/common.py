"""What the lsconform commands share: the error type, the scenario root option, the catalog.

Commands raise ``CliError`` for anything the user can fix (an unknown id, a
file that is not results.json); ``main`` prints it as one line and exits
with its code, never with a traceback.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.scenario.catalog import Catalog

USAGE_ERROR = 2


class CliError(Exception):
    """A problem to report in one line, with the exit code to use."""

    def __init__(self, message: str, code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.code = code


MOST_SCALE = 1000.0
"""The largest time scale accepted: far beyond it deadlines overflow the clocks (``inf`` did)."""


INTERRUPTED = 130
"""The exit status after Ctrl-C (128 + SIGINT), as shells report it."""


def time_scale_option(text: str) -> float:
    """An argparse type for ``--time-scale``: a number above zero and at most ``MOST_SCALE``."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if 0 < value <= MOST_SCALE:
        return value
    raise argparse.ArgumentTypeError(f"expected a number above 0 and at most {MOST_SCALE:g}, not {text!r}")


CANDIDATE_FORMS = ("reference, reference-driver, luasocket3-lua5.1, luasocket3-lua5.4, luasocket3-luajit; "
                   "python:MODULE (a module in process), driver:python:MODULE (behind the Python driver), "
                   "driver:COMMAND (any driver program, drivers/PROTOCOL.md)")
"""The names ``--candidate`` takes, for the commands' help (a test keeps it in step with the registry)."""


REPORT_NAMES = ("results.json", "junit.xml", "summary.md", "report.html")
"""The files ``run``, ``merge`` and ``bench`` write into their output directory."""


def check_output_dir(out: Path, scenario_root: Path | None = None) -> None:
    """Fail now, not after a long run, if the reports could not be written to ``out``.

    ``out`` must be a directory or creatable as one, and writable: probed by
    making (and at once removing) a temporary file in it or in the nearest
    folder that exists, so nothing is created for a run that then fails. No
    report's name in it may be a directory: a file cannot replace one. Nor
    may it be inside ``scenario_root``: reports there become part of the
    suite (its version digest, the next run's collection).
    """
    if scenario_root is not None and out.resolve().is_relative_to(scenario_root.resolve()):
        raise CliError(f"cannot write the reports to {out}: it is inside the scenario root {scenario_root}; "
                       "give an --out outside it")
    for name in REPORT_NAMES:
        if (out / name).is_dir():
            raise CliError(f"cannot write the reports to {out}: {out / name} is a directory")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise CliError(f"cannot write the reports to {out}: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise CliError(f"cannot write the reports to {out}: {existing} is not writable "
                       f"({error.strerror})") from None


def add_scenarios_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios", metavar="DIR", type=Path, default=None,
                        help="scenario root (default: the suite shipped with lsconform)")


def scenario_root(option: Path | None) -> Path:
    from harness.scenario.catalog import default_root

    root = (option or default_root()).resolve()
    if not root.is_dir():
        raise CliError(f"scenario root {root} is not a directory")
    _check_layout(root)
    return root


def _check_layout(root: Path) -> None:
    """One line for a root one level off (the project, or one area folder), not an error per file.

    Scenario files live in ``ROOT/<area>/*.yaml``; a root with YAML files
    only above or below that depth was almost certainly given by mistake.
    """
    inner = root / "scenarios"
    if inner.is_dir() and any(inner.glob("*/*.yaml")):
        raise CliError(f"scenario root {root} holds a scenarios/ folder of area folders: the scenario "
                       f"root is probably {inner}")
    if any(root.glob("*/*.yaml")):
        return
    if any(root.glob("*.yaml")):
        raise CliError(f"scenario root {root} holds YAML files itself but no <area>/ folders of them: "
                       f"it looks like one area folder; give its parent ({root.parent})")
    if any(root.glob("*/*/*.yaml")):
        nested = sorted({path.parent.parent for path in root.glob("*/*/*.yaml")})
        raise CliError(f"scenario root {root} has no <area>/*.yaml files; the scenario root is probably "
                       f"{nested[0]}")


def load(option: Path | None) -> Catalog:
    """The catalog under the chosen root; a broken scenario file is a usage error."""
    from harness.scenario.catalog import load_catalog
    from harness.scenario.errors import ScenarioError

    try:
        return load_catalog(scenario_root(option))
    except ScenarioError as error:
        raise CliError(f"cannot load the scenarios:\n{error}") from None
