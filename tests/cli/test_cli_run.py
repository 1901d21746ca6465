"""``lsconform run`` as users and CI call it: a subprocess, its exit code and the files it writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from cli_scenarios import (
    CRASH_YAML,
    FAILING_YAML,
    FLAKY_YAML,
    INTERRUPT_YAML,
    LOOKUP_YAML,
    UNIMPLEMENTED_YAML,
    write_tree,
)

from harness.results import SCHEMA_FILE, load_document


def lsconform(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


def run(tmp_path: Path, candidate: str, files: dict[str, str],
        *extra: str) -> subprocess.CompletedProcess[str]:
    root = write_tree(tmp_path / "scenarios", files)
    return lsconform(tmp_path, "run", "--scenarios", str(root), "--candidate", candidate,
                     "--out", str(tmp_path / "report"), *extra)


def test_passing_run_exits_zero_and_writes_three_reports(tmp_path: Path, fake_candidate: str) -> None:
    files = {"dns/lookup.yaml": LOOKUP_YAML, "dns/reverse.yaml": UNIMPLEMENTED_YAML}
    done = run(tmp_path, fake_candidate, files, "-n", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    report = tmp_path / "report"
    document = load_document(report / "results.json")
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert {r["scenario"]: r["verdict"] for r in document["results"]} == {
        "dns.toip.localhost": "PASS",
        "dns.toip.unknown-host": "PASS",
        "dns.tohostname.localhost": "UNIMPLEMENTED",
    }
    suite = ET.parse(report / "junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("skipped")) == ("3", "1")
    summary = (report / "summary.md").read_text(encoding="utf-8")
    assert "| python:lsc_fake_dns | 1.0-test | 66.7% (2/3) |" in summary
    headline = "lsconform: python:lsc_fake_dns 1.0-test: score 66.7% (2/3); PASS 2, UNIMPLEMENTED 1"
    assert headline in done.stdout
    assert "lsconform: wall time " in done.stdout
    assert sorted(p.name for p in report.iterdir()) == [
        "junit.xml", "report.html", "results.json", "summary.md"]


def test_a_failure_exits_one_and_is_reported_in_parallel_too(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML, "dns/failing.yaml": FAILING_YAML},
               "-n", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bringing up nodes" in done.stdout  # pytest-xdist distributed the run
    assert 'actual:    returned "10.0.0.1"' in done.stdout
    document = load_document(tmp_path / "report" / "results.json")
    assert [r["scenario"] for r in document["results"] if r["verdict"] == "FAIL"] == ["dns.toip.wrong-answer"]
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "| `dns.toip.wrong-answer` | FAIL |" in summary


def test_pytests_failure_lines_name_files_that_exist_from_where_it_ran(tmp_path: Path,
                                                                       fake_candidate: str) -> None:
    root = write_tree(tmp_path / "suite" / "scenarios", {"dns/failing.yaml": FAILING_YAML})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = lsconform(elsewhere, "run", "--scenarios", str(root), "--candidate", fake_candidate,
                     "--out", str(tmp_path / "report"), "-n", "0")
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    shown = line.removeprefix("FAILED ").split("::")[0]
    assert (elsewhere / shown).resolve() == root / "dns" / "failing.yaml", line


def test_a_crash_exits_one(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, fake_candidate, {"dns/crash.yaml": CRASH_YAML}, "-n", "0")
    assert done.returncode == 1
    assert "CRASH 1" in done.stdout


def test_repeated_k_selects_what_any_of_them_selects(tmp_path: Path, fake_candidate: str) -> None:
    """pytest alone keeps only the last -k: ``-k localhost -k unknown`` would run one scenario, not two."""
    files = {"dns/lookup.yaml": LOOKUP_YAML, "dns/reverse.yaml": UNIMPLEMENTED_YAML}
    done = run(tmp_path, fake_candidate, files, "-n", "0", "-k", "toip.localhost", "-k", "unknown-host")
    assert done.returncode == 0, done.stdout + done.stderr
    document = load_document(tmp_path / "report" / "results.json")
    ran = sorted(r["scenario"] for r in document["results"])
    assert ran == ["dns.toip.localhost", "dns.toip.unknown-host"]


def test_nothing_selected_is_an_error(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0", "-k", "no.such.thing")
    assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "no scenarios selected" in done.stderr
    assert not (tmp_path / "report").exists()


def test_unknown_candidate_is_a_usage_error(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, "no-such-candidate", {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0")
    assert done.returncode == 2
    assert "unknown candidate 'no-such-candidate'" in done.stderr


def test_repeat_reports_a_verdict_that_changed(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, fake_candidate, {"dns/flaky.yaml": FLAKY_YAML, "dns/lookup.yaml": LOOKUP_YAML},
               "-n", "0", "--repeat", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("verdict changed between repetitions: dns.toip.flip [python:lsc_fake_dns]: PASS -> FAIL -> PASS"
            in done.stdout)
    document = load_document(tmp_path / "report" / "results.json")
    assert document["repeat"] == {"count": 3, "changed": [
        {"scenario": "dns.toip.flip", "candidate": fake_candidate, "verdicts": ["PASS", "FAIL", "PASS"]}]}
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "## Stability over 3 repetitions" in summary


def test_repeat_of_a_stable_suite_passes(tmp_path: Path, fake_candidate: str) -> None:
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0", "--repeat", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert load_document(tmp_path / "report" / "results.json")["repeat"] == {"count": 2, "changed": []}


def test_a_driver_that_does_not_start_is_one_usage_error_before_the_run(tmp_path: Path) -> None:
    """Not the same CRASH, after the same wait, for every scenario."""
    driver = tmp_path / "driver.sh"
    driver.write_text("#!/bin/sh\necho 'fatal: cannot load libfoo.so' >&2\nexit 3\n")
    driver.chmod(0o755)
    done = run(tmp_path, f"driver:{driver}", {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0")
    assert done.returncode == 2
    assert "the driver did not start" in done.stderr and "exited with status 3" in done.stderr
    assert "fatal: cannot load libfoo.so" in done.stderr
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("workers", ["0", "2"])
def test_ctrl_c_exits_130_not_the_usage_error_code(tmp_path: Path, fake_candidate: str, workers: str) -> None:
    """pytest ends a Ctrl-C with INTERRUPTED, whose value 2 is lsconform's usage error."""
    root = write_tree(tmp_path / "scenarios", {"dns/interrupt.yaml": INTERRUPT_YAML,
                                               "dns/lookup.yaml": LOOKUP_YAML})
    command = [sys.executable, "-m", "harness.cli", "run", "--scenarios", str(root), "--candidate",
               fake_candidate, "--out", str(tmp_path / "report"), "-n", workers]
    # A session of its own: the candidate's SIGINT goes to lsconform's process group, never to this one.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "LSC_FAKE_INTERRUPT": "1"}, start_new_session=True)
    assert done.returncode == 130, done.stdout + done.stderr
    assert "lsconform: interrupted" in done.stderr
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize(("option", "expression", "column"), [
    ("-k", "toip and", 9), ("-m", "lookup or (errors", 18), ("-k", "toip not localhost", 6)])
def test_a_bad_expression_is_a_usage_error_before_anything_runs(tmp_path: Path, fake_candidate: str,
                                                                option: str, expression: str,
                                                                column: int) -> None:
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0", "-k", "dns",
               option, expression)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"lsconform: error: {option} {expression!r}: not a valid expression: at column {column}" \
        in done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert not (tmp_path / "report").exists()


def test_a_broken_scenario_file_ends_the_run_with_its_file_line_and_field(tmp_path: Path,
                                                                          fake_candidate: str) -> None:
    # Not loaded before pytest (seconds on every run, paid again by each xdist worker): pytest's
    # collection error comes first, then the loader's own message, not "stopped early (INTERRUPTED)".
    broken = LOOKUP_YAML.replace("dns.toip.unknown-host", "dns.toip.Unknown Host")
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": broken, "dns/flaky.yaml": FLAKY_YAML}, "-n", "0")
    assert done.returncode == 2, done.stdout + done.stderr
    where = tmp_path / "scenarios" / "dns" / "lookup.yaml"
    assert f"cannot load the scenarios:\n{where}:12: scenarios[1].id: 'dns.toip.Unknown Host'" in done.stderr
    assert "INTERRUPTED" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "report").exists()
