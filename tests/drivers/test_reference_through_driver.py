"""The reference through the Python driver earns exactly its in-process verdicts.

Every test item runs one transport scenario both ways (in process, and as
``reference-driver``: a child process per scenario) and compares the
verdicts. By default the first two scenarios of every transport file are
compared, which covers every file and both call styles in a few seconds of
work per worker, and so are the first scenarios with streaming callbacks of
each protocol file (http, ftp, smtp), whose callbacks make round trips from
the driver to the runner; ``LSCONFORM_FULL_DRIVER_SUITE=1`` adds a test that
runs the whole transport suite both ways through the pytest plugin and
compares all of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.candidates.registry import resolve
from harness.runner import RunOptions, run_scenario
from harness.scenario.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
AREAS = ("tcp", "udp", "select", "dns")
CALLBACK_AREAS = ("http", "ftp", "smtp")
PER_FILE = 2
FULL_ENV = "LSCONFORM_FULL_DRIVER_SUITE"


def transport_files() -> list[tuple[str, Path]]:
    return [(area, path) for area in AREAS for path in sorted((SCENARIOS / area).glob("*.yaml"))]


def subset() -> list:
    chosen = []
    for area, path in transport_files():
        chosen.extend(load_file(path, area=area)[:PER_FILE])
    return chosen


def with_callbacks() -> list:
    """Scenarios that pass callbacks, the first of each protocol file that has any."""
    chosen = []
    for area in CALLBACK_AREAS:
        for path in sorted((SCENARIOS / area).glob("*.yaml")):
            chosen.extend([scenario for scenario in load_file(path, area=area) if scenario.callbacks][:1])
    return chosen


SUBSET = subset()
CALLBACK_SUBSET = with_callbacks()


@pytest.mark.parametrize("scenario", SUBSET + CALLBACK_SUBSET,
                         ids=[scenario.id for scenario in SUBSET + CALLBACK_SUBSET])
def test_same_verdict_in_process_and_through_the_driver(scenario):
    options = RunOptions()
    in_process = run_scenario(scenario, resolve("reference"), options)
    through_driver = run_scenario(scenario, resolve("reference-driver"), options)
    assert through_driver.verdict == in_process.verdict, (
        f"in process: {in_process.verdict} {in_process.reason}\n"
        f"through the driver: {through_driver.verdict} {through_driver.reason}")
    assert through_driver.leaks == ()


def test_the_callback_subset_really_passes_callbacks():
    assert len(CALLBACK_SUBSET) >= 3
    assert all(scenario.callbacks for scenario in CALLBACK_SUBSET)


def test_the_subset_covers_every_transport_file_and_both_styles():
    files = {str(scenario.location.path) for scenario in SUBSET}
    assert len(files) == len(transport_files())
    styles = {step.style for scenario in SUBSET for step in scenario.steps if hasattr(step, "style")}
    assert styles == {"global", "method"}


@pytest.mark.skipif(os.environ.get(FULL_ENV) != "1",
                    reason=f"the whole transport suite both ways takes about a minute: set {FULL_ENV}=1")
def test_the_whole_transport_suite_scores_the_same_both_ways(tmp_path):
    results = tmp_path / "results.json"
    command = [sys.executable, "-m", "pytest", *(str(SCENARIOS / area) for area in AREAS), "-q",
               "-p", "no:cacheprovider", "-n", "2", "--lsc-candidate", "reference",
               "--lsc-candidate", "reference-driver", "--lsc-results", str(results)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert results.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    verdicts: dict[str, dict[str, str]] = {}
    for record in json.loads(results.read_text())["results"]:
        verdicts.setdefault(record["scenario"], {})[record["candidate"]] = record["verdict"]
    differing = {scenario: pair for scenario, pair in verdicts.items()
                 if pair.get("reference") != pair.get("reference-driver")}
    assert differing == {}
    assert len(verdicts) > 300
