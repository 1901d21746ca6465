"""The pytest plugin, driven through pytester: items, selection, outcomes, results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli_scenarios import CRASH_YAML, FAILING_YAML, LOOKUP_YAML, UNIMPLEMENTED_YAML, write_tree

from harness.results import SCHEMA_FILE

pytest_plugins = ["pytester"]

# Plugin autoloading is off in these runs (see the autouse fixture) so that
# only our plugin and xdist take part, whatever else is installed.
PLUGIN = ("-p", "harness.pytest_plugin", "-p", "xdist.plugin", "-p", "no:cacheprovider")

SCRIPTED_CONFTEST = """
from harness.adapters.base import CandidateSpec, Returned
from harness.adapters.scripted import ScriptedAdapter

def pytest_lsconform_resolve_candidate(config, name):
    if name == "scripted":
        # Answers every call with "127.0.0.1": passes localhost, fails the rest.
        return CandidateSpec("scripted", "canned answers",
                             lambda: ScriptedAdapter(lambda call: Returned((b"127.0.0.1",))))
    return None
"""


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _run(pytester: pytest.Pytester, *args: str, files: dict[str, str] | None = None) -> pytest.RunResult:
    root = write_tree(pytester.path / "scenarios", files or {"dns/lookup.yaml": LOOKUP_YAML})
    return pytester.runpytest(*PLUGIN, "--lsc-scenarios", str(root), str(root), *args)


def _results(path: Path) -> dict[tuple[str, str], str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return {(r["scenario"], r["candidate"]): r["verdict"] for r in document["results"]}


def test_one_item_per_scenario_and_candidate(pytester: pytest.Pytester, fake_candidate: str) -> None:
    pytester.makeconftest(SCRIPTED_CONFTEST)
    result = _run(pytester, "--collect-only", "-q", "--lsc-candidate", fake_candidate,
                  "--lsc-candidate", "scripted")
    assert result.ret == 0
    lines = [line for line in result.outlines if "::" in line]
    assert lines == [
        f"dns/lookup.yaml::dns.toip.localhost[{fake_candidate}]",
        "dns/lookup.yaml::dns.toip.localhost[scripted]",
        f"dns/lookup.yaml::dns.toip.unknown-host[{fake_candidate}]",
        "dns/lookup.yaml::dns.toip.unknown-host[scripted]",
    ]


def test_keyword_selects_by_scenario_id(pytester: pytest.Pytester, fake_candidate: str) -> None:
    result = _run(pytester, "--collect-only", "-q", "--lsc-candidate", fake_candidate,
                  "-k", "dns.toip.unknown")
    assert [line for line in result.outlines if "::" in line] == [
        f"dns/lookup.yaml::dns.toip.unknown-host[{fake_candidate}]"]


@pytest.mark.parametrize(("expression", "selected"), [
    ("fast_path", ["dns.toip.localhost"]),
    ("lookup and not errors", ["dns.toip.localhost"]),
    ("errors", ["dns.toip.unknown-host"]),
    ("dns", ["dns.toip.localhost", "dns.toip.unknown-host"]),
])
def test_tags_and_area_are_markers(pytester: pytest.Pytester, fake_candidate: str, expression: str,
                                   selected: list[str]) -> None:
    result = _run(pytester, "--collect-only", "-q", "--strict-markers", "--lsc-candidate", fake_candidate,
                  "-m", expression)
    assert result.ret == 0
    ids = [line.split("::")[1].split("[")[0] for line in result.outlines if "::" in line]
    assert ids == selected


def test_passing_and_failing_scenarios(pytester: pytest.Pytester, fake_candidate: str) -> None:
    result = _run(pytester, "--lsc-candidate", fake_candidate,
                  files={"dns/lookup.yaml": LOOKUP_YAML, "dns/failing.yaml": FAILING_YAML})
    result.assert_outcomes(passed=2, failed=1)
    output = result.stdout.str()
    assert "FAIL: " in output
    assert "scenario:  dns.toip.wrong-answer [python:lsc_fake_dns]" in output
    assert "manual:    DNS / toip (§9 (made up for the test))" in output
    assert "expected:  one of" in output and '"10.9.9.9"' in output
    assert 'actual:    returned "10.0.0.1"' in output
    assert "transcript:" in output and 'toip("one.test")' in output
    assert "dns/failing.yaml:" in output
    assert "Traceback" not in output and "harness/pytest_items.py" not in output


def test_unimplemented_is_skipped_at_the_scenario_and_kept_in_results(
        pytester: pytest.Pytester, fake_candidate: str) -> None:
    results = pytester.path / "out" / "results.json"
    result = _run(pytester, "-rs", "--lsc-candidate", fake_candidate, "--lsc-results", str(results),
                  files={"dns/reverse.yaml": UNIMPLEMENTED_YAML})
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *dns/reverse.yaml:2: UNIMPLEMENTED*tohostname*"])
    assert _results(results) == {("dns.tohostname.localhost", fake_candidate): "UNIMPLEMENTED"}


def test_crash_fails_the_item(pytester: pytest.Pytester, fake_candidate: str) -> None:
    result = _run(pytester, "--lsc-candidate", fake_candidate, files={"dns/crash.yaml": CRASH_YAML})
    result.assert_outcomes(failed=1)
    assert "CRASH: " in result.stdout.str()


def test_results_json_is_written_and_valid(pytester: pytest.Pytester, fake_candidate: str) -> None:
    pytester.makeconftest(SCRIPTED_CONFTEST)
    results = pytester.path / "results.json"
    _run(pytester, "--lsc-candidate", fake_candidate, "--lsc-candidate", "scripted",
         "--lsc-results", str(results), "--lsc-time-scale", "2",
         files={"dns/lookup.yaml": LOOKUP_YAML, "dns/failing.yaml": FAILING_YAML})
    document = json.loads(results.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert _results(results) == {
        ("dns.toip.localhost", fake_candidate): "PASS",
        ("dns.toip.localhost", "scripted"): "PASS",
        ("dns.toip.unknown-host", fake_candidate): "PASS",
        ("dns.toip.unknown-host", "scripted"): "FAIL",
        ("dns.toip.wrong-answer", fake_candidate): "FAIL",
        ("dns.toip.wrong-answer", "scripted"): "FAIL",
    }
    assert document["time_scale"] == 2.0
    versions = {c["name"]: c["version"] for c in document["candidates"]}
    assert versions == {fake_candidate: "1.0-test", "scripted": "0"}
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    assert failing["step"].startswith("dns/") and failing["transcript"]
    assert document["summary"][fake_candidate]["FAIL"] == 1


def test_load_error_is_a_collection_error_naming_the_line(pytester: pytest.Pytester,
                                                           fake_candidate: str) -> None:
    broken = LOOKUP_YAML.replace("  title: toip resolves localhost\n", "  title: 42\n  colour: blue\n")
    result = _run(pytester, "--lsc-candidate", fake_candidate, files={"dns/broken.yaml": broken})
    assert result.ret == pytest.ExitCode.INTERRUPTED
    output = result.stdout.str()
    assert "ERROR collecting dns/broken.yaml" in output
    assert "dns/broken.yaml:3: scenarios[0].title: expected text" in output
    assert "dns/broken.yaml:4: scenarios[0].colour: unknown key" in output
    assert "Traceback" not in output


def test_duplicate_ids_across_files_are_refused(pytester: pytest.Pytester, fake_candidate: str) -> None:
    result = _run(pytester, "--collect-only", "--lsc-candidate", fake_candidate,
                  files={"dns/a.yaml": LOOKUP_YAML, "dns/b.yaml": LOOKUP_YAML})
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "duplicate id dns.toip.localhost (also at " in result.stdout.str()


def test_a_yml_file_is_a_collection_error(pytester: pytest.Pytester, fake_candidate: str) -> None:
    result = _run(pytester, "--collect-only", "--lsc-candidate", fake_candidate,
                  files={"dns/a.yaml": LOOKUP_YAML, "dns/b.yml": LOOKUP_YAML})
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "dns/b.yml:1: file: scenario files end in .yaml" in result.stdout.str()


def test_unknown_candidate_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--lsc-candidate", "no-such-candidate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown candidate 'no-such-candidate'" in result.stderr.str()


@pytest.mark.parametrize("scale", ["0", "nan", "inf", "1e308"])
def test_time_scale_must_be_positive_and_finite(pytester: pytest.Pytester, scale: str) -> None:
    result = _run(pytester, "--lsc-time-scale", scale)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--lsc-time-scale must be positive and at most 1000" in result.stderr.str()


def test_inert_outside_the_scenario_root(pytester: pytest.Pytester) -> None:
    """YAML elsewhere is not collected, nothing is written, ordinary tests run as usual."""
    write_tree(pytester.path, {"config/settings.yaml": "scenarios: nonsense\n", "dns/x.yaml": LOOKUP_YAML})
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    empty_root = pytester.mkdir("no-scenarios-here")
    result = pytester.runpytest(*PLUGIN, "--lsc-scenarios", str(empty_root), "-rA")
    result.assert_outcomes(passed=1)
    assert "lsconform" not in result.stdout.str()
    assert sorted(p.name for p in pytester.path.iterdir() if p.suffix == ".json") == []


def _verdicts_of(run: Any, results: Path) -> dict[tuple[str, str], str]:
    assert run.ret == pytest.ExitCode.TESTS_FAILED, run.stdout.str()
    return _results(results)


@pytest.mark.parametrize("workers", [(), ("-n", "2")])
def test_a_file_that_fails_to_load_interrupts_the_run_with_or_without_xdist(pytester: pytest.Pytester,
                                                                           fake_candidate: str,
                                                                           workers: tuple[str, ...]) -> None:
    """With xdist the other files' scenarios run on; the run must still not end as a pass without them."""
    broken = LOOKUP_YAML.replace("  title: toip resolves localhost\n", "  title: t\n  colour: blue\n")
    fine = LOOKUP_YAML.replace("dns.toip.localhost", "dns.toip.other")
    root = write_tree(pytester.path / "scenarios", {"dns/lookup.yaml": fine, "dns/broken.yaml": broken})
    result = pytester.runpytest_subprocess(*PLUGIN, "--lsc-scenarios", str(root), str(root),
                                           "--lsc-candidate", fake_candidate, *workers)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    assert "dns/broken.yaml:4: scenarios[0].colour: unknown key" in result.stdout.str()


def test_parallel_run_gives_the_serial_verdicts(pytester: pytest.Pytester, fake_candidate: str) -> None:
    files = {"dns/lookup.yaml": LOOKUP_YAML, "dns/failing.yaml": FAILING_YAML,
             "dns/reverse.yaml": UNIMPLEMENTED_YAML, "dns/crash.yaml": CRASH_YAML}
    root = write_tree(pytester.path / "scenarios", files)
    common = (*PLUGIN, "--lsc-scenarios", str(root), str(root), "--lsc-candidate", fake_candidate)
    serial = pytester.path / "serial.json"
    parallel = pytester.path / "parallel.json"
    serial_run = pytester.runpytest(*common, "--lsc-results", str(serial))
    serial_verdicts = _verdicts_of(serial_run, serial)
    parallel_run = pytester.runpytest_subprocess(*common, "-n", "2", "--lsc-results", str(parallel))
    parallel_run.stdout.fnmatch_lines(["created: 2/2 workers"])
    parallel_verdicts = _verdicts_of(parallel_run, parallel)
    assert parallel_verdicts == serial_verdicts
    assert set(serial_verdicts.values()) == {"PASS", "FAIL", "CRASH", "UNIMPLEMENTED"}
