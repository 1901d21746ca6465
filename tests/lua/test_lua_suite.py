"""The whole scenario suite, run against each LuaSocket 3 candidate, scores exactly its expectations file.

"Exactly": every scenario listed in ``expectations/<candidate>.yaml`` gets
the listed verdict, and every other scenario passes (PASS, NON-STRICT or
INFORMATIONAL). So a regression fails the test, and so does an unexpected
pass: a fixed difference must leave the file with its entry. The one
allowance: an unlisted SKIP for a capability this machine lacks (``requires
raw-sockets`` without root, say), which says nothing about the candidate; it
is printed.

One test per candidate, but one run for all of them: the suite goes through
the CLI in a subprocess, as CI users run it (``lsconform run``, a fresh
driver process per scenario, parallel workers), with every available
candidate at once. Scenarios mostly wait (on peers, timeouts, sleeps), so one
run with many workers takes about as long as a single candidate's would; the
first test to need the results starts the run, under a file lock shared by
the pytest-xdist workers, and the others read its ``results.json``. Time
windows get ``--time-scale 2``, since the machine is busy with the rest of
the tests meanwhile; only upper bounds are scaled.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from lua_support import CANDIDATES, PROJECT_ROOT, RUNTIMES

from harness.candidates.luasocket3 import runtime_problem
from harness.scenario import load_catalog

PASSING = {"PASS", "NON-STRICT", "INFORMATIONAL"}
WORKERS = "8"  # the scenarios mostly wait, so more workers than cores pay off
RUN_TIMEOUT = 1200


@dataclass(frozen=True)
class SuiteRun:
    results: list[dict[str, object]]
    output: str
    suite: frozenset[str]  # the scenario ids a default run covers, read before the run


def default_run_ids() -> frozenset[str]:
    """Every scenario id but the perf workloads, which a run collects only when asked (--lsc-include-perf)."""
    scenarios = load_catalog().scenarios
    return frozenset(scenario.id for scenario in scenarios if not scenario.id.startswith("perf."))


def expectations_for(candidate: str) -> dict[str, dict[str, str]]:
    path = PROJECT_ROOT / "expectations" / f"{candidate}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["candidate"] == candidate
    return document["expectations"] or {}


def run_suite(candidates: list[str], out: Path) -> None:
    """One CLI run of the whole suite for ``candidates``; leaves results.json and output.txt in ``out``."""
    command = [sys.executable, "-m", "harness.cli", "run", "--out", str(out), "-n", WORKERS,
               "--time-scale", "2"]
    for candidate in candidates:
        command += ["--candidate", candidate]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                               check=False)
    (out / "output.txt").write_text(completed.stdout + completed.stderr, encoding="utf-8")


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """The run of every available LuaSocket 3 candidate, once per pytest session (xdist workers share it)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "lua-suite"
    with open(shared / "lua-suite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "output.txt").exists():
            out.mkdir(exist_ok=True)
            (out / "suite.json").write_text(json.dumps(sorted(default_run_ids())), encoding="utf-8")
            available = [CANDIDATES[runtime] for runtime in RUNTIMES if runtime_problem(runtime) is None]
            run_suite(available, out)
    output = (out / "output.txt").read_text(encoding="utf-8")
    results_file = out / "results.json"
    assert results_file.is_file(), output[-4000:]
    suite = frozenset(json.loads((out / "suite.json").read_text(encoding="utf-8")))
    return SuiteRun(json.loads(results_file.read_text())["results"], output, suite)


def test_the_whole_suite_scores_the_expectations_file(runtime: str, suite_run: SuiteRun) -> None:
    candidate = CANDIDATES[runtime]
    expected = expectations_for(candidate)
    results = [result for result in suite_run.results if result["candidate"] == candidate]

    mismatches, machine_skips = [], []
    for result in results:
        listed = expected.get(result["scenario"])
        reason = str(result.get("reason") or "")
        if listed is None and result["verdict"] == "SKIP" and reason.startswith("requires "):
            machine_skips.append(f"{result['scenario']}: {reason}")
        elif listed is None and result["verdict"] not in PASSING:
            mismatches.append(f"{result['scenario']}: {result['verdict']}, not listed: {reason[:300]}")
        elif listed is not None and result["verdict"] != listed["verdict"]:
            mismatches.append(f"{result['scenario']}: {result['verdict']}, listed as {listed['verdict']} "
                              f"({listed['reason']})")
    if machine_skips:
        print(f"{candidate}: {len(machine_skips)} scenarios skipped for this machine:", *machine_skips,
              sep="\n  ")
    assert not mismatches, "\n".join(mismatches)

    ran = {result["scenario"] for result in results}
    assert ran == suite_run.suite, "the run did not cover the whole suite:\n" + suite_run.output[-4000:]
    assert f"{candidate} against " in suite_run.output, "the run did not judge the candidate against its file"
