"""``lsconform run`` with expectations: the exit status, what results.json records, the reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from expectations_support import SCENARIOS, VERDICTS, expectations_yaml, lsconform, write_suite

from harness.results import SCHEMA_FILE, load_document

KNOWN = {"dns.toip.wrong": ("FAIL", "answers one.test with 10.0.0.1"),
         "dns.toip.crash": ("CRASH", "raises RuntimeError on crash.test"),
         "dns.tohostname.missing": ("UNIMPLEMENTED", "has no tohostname")}


def run(tmp_path: Path, suite: Path, candidate: str, *extra: str):  # noqa: ANN201 - CompletedProcess
    return lsconform(tmp_path, "run", "--scenarios", str(suite), "--candidate", candidate,
                     "--out", str(tmp_path / "report"), "-n", "0", *extra)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_known_non_passes_do_not_fail_the_run(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    listed = write(tmp_path / "known.yaml", expectations_yaml(KNOWN))
    done = run(tmp_path, suite, fake_candidate, "--expectations", str(listed))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"judging {fake_candidate} against {listed} (3 known non-passes)" in done.stdout
    assert f"{fake_candidate} against {listed}: 0 regressions, 3 known non-passes" in done.stdout
    assert "2 xfailed" in done.stdout  # pytest's own account: the listed FAIL and CRASH
    document = load_document(tmp_path / "report" / "results.json")
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert {r["scenario"]: (r["verdict"], r["expectation"]["status"]) for r in document["results"]} == {
        scenario: (verdict, "expected") for scenario, verdict in VERDICTS.items()}
    assert document["expectations"]["candidates"][fake_candidate]["file"] == str(listed)
    # JUnit shows a listed failure as skipped, the way pytest reports an xfail.
    suite_xml = ET.parse(tmp_path / "report" / "junit.xml").getroot().find("testsuite")
    assert suite_xml is not None
    assert (suite_xml.get("failures"), suite_xml.get("errors")) == ("0", "0")
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "Every result is as its expectations file says." in summary


def test_a_failure_the_file_does_not_list_is_a_regression(tmp_path: Path, suite: Path,
                                                          fake_candidate: str) -> None:
    entries = {**KNOWN, "dns.toip.crash": ("FAIL", "used to answer wrongly")}
    entries.pop("dns.toip.wrong")
    listed = write(tmp_path / "known.yaml", expectations_yaml(entries))
    done = run(tmp_path, suite, fake_candidate, "--expectations", str(listed))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 regressions, 1 known non-pass" in done.stdout
    # The failure's account says what the file lists instead, in the terminal and in JUnit.
    account = "listed:    FAIL (used to answer wrongly), so this CRASH is a regression"
    assert account in done.stdout
    assert account in (tmp_path / "report" / "junit.xml").read_text(encoding="utf-8")
    document = load_document(tmp_path / "report" / "results.json")
    statuses = {r["scenario"]: r["expectation"] for r in document["results"]}
    assert statuses["dns.toip.wrong"] == {"status": "regression"}
    assert statuses["dns.toip.crash"] == {"status": "regression", "verdict": "FAIL",
                                          "reason": "used to answer wrongly"}
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    against = summary.index("## Against expectations")
    assert against < summary.index("| candidate | version | score |")  # before everything else
    assert "| regression (fails the run) | `dns.toip.crash` |" in summary
    assert summary.index("`dns.toip.crash`", against) < summary.index("`dns.toip.wrong`", against)


def test_a_relative_file_is_recorded_absolute_and_updated_from_anywhere(tmp_path: Path, suite: Path,
                                                                       fake_candidate: str) -> None:
    """Recorded as typed, ``known.yaml`` named a new, empty file to an update run from elsewhere."""
    listed = write(tmp_path / "known.yaml", expectations_yaml({**KNOWN, "dns.toip.elsewhere": ("FAIL", "x")}))
    everywhere = write_suite(tmp_path / "full")
    write(everywhere / "dns" / "more.yaml", SCENARIOS.split("\n\n")[0].replace("localhost", "elsewhere", 1))
    done = lsconform(tmp_path, "run", "--scenarios", str(everywhere), "--candidate", fake_candidate,
                     "--out", "report", "-n", "0", "-k", "not elsewhere", "--expectations", "known.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    document = load_document(tmp_path / "report" / "results.json")
    assert document["expectations"]["candidates"][fake_candidate]["file"] == str(listed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    updated = lsconform(elsewhere, "update-expectations", str(tmp_path / "report" / "results.json"),
                        "--scenarios", str(everywhere))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert f"wrote {listed}" in updated.stdout
    assert "carried over, not in this run: dns.toip.elsewhere" in updated.stdout
    assert list(elsewhere.iterdir()) == []


def test_strict_fails_on_an_unexpected_pass(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    listed = write(tmp_path / "known.yaml",
                   expectations_yaml({**KNOWN, "dns.toip.localhost": ("FAIL", "once answered wrongly")}))
    relaxed = run(tmp_path, suite, fake_candidate, "--expectations", str(listed))
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "1 unexpected pass" in relaxed.stdout
    strict = run(tmp_path, suite, fake_candidate, "--expectations", str(listed), "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "unexpected-pass: the verdict is PASS, and" in strict.stdout  # pytest's failure text
    document = load_document(tmp_path / "report" / "results.json")
    assert document["expectations"]["strict"] is True
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "| unexpected-pass (fails the run) | `dns.toip.localhost` |" in summary


def test_strict_fails_on_an_unlisted_non_pass(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    entries = dict(KNOWN)
    entries.pop("dns.tohostname.missing")
    listed = write(tmp_path / "known.yaml", expectations_yaml(entries))
    assert run(tmp_path, suite, fake_candidate, "--expectations", str(listed)).returncode == 0
    assert run(tmp_path, suite, fake_candidate, "--expectations", str(listed), "--strict").returncode == 1


def test_the_default_file_is_picked_up_unless_told_not_to(tmp_path: Path, suite: Path,
                                                          fake_candidate: str) -> None:
    default = write(tmp_path / "expectations" / "python_lsc_fake_dns.yaml", expectations_yaml(KNOWN))
    done = run(tmp_path, suite, fake_candidate)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"judging {fake_candidate} against {default}" in done.stdout
    ignored = run(tmp_path, suite, fake_candidate, "--no-expectations")
    assert ignored.returncode == 1
    assert "judging" not in ignored.stdout
    assert "expectations" not in load_document(tmp_path / "report" / "results.json")


def test_a_bad_file_stops_the_run_before_it_starts(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    listed = write(tmp_path / "known.yaml", expectations_yaml({"dns.toip.nope": ("FAIL", "a typo")}))
    done = run(tmp_path, suite, fake_candidate, "--expectations", str(listed))
    assert done.returncode == 2
    assert f"{listed}:3: expectations[dns.toip.nope]: unknown scenario id" in done.stderr
    assert not (tmp_path / "report").exists()
    todo = write(tmp_path / "todo.yaml", expectations_yaml({"dns.toip.wrong": ("FAIL", "TODO: explain")}))
    done = run(tmp_path, suite, fake_candidate, "--expectations", str(todo))
    assert done.returncode == 2
    assert f"{todo}:5: expectations[dns.toip.wrong].reason: still TODO" in done.stderr


def test_every_problem_of_a_file_is_in_one_message(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    """An unknown id and a bad verdict together: the user fixes both from one run, not from two."""
    entries = {"dns.toip.nope": ("FAIL", "a typo"), "dns.toip.wrong": ("GREAT", "no such verdict")}
    listed = write(tmp_path / "known.yaml", expectations_yaml(entries))
    done = run(tmp_path, suite, fake_candidate, "--expectations", str(listed))
    assert done.returncode == 2
    assert "expectations[dns.toip.nope]: unknown scenario id" in done.stderr
    assert "expectations[dns.toip.wrong].verdict: unknown verdict 'GREAT'" in done.stderr


def test_strict_without_any_file_is_a_usage_error(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    done = run(tmp_path, suite, fake_candidate, "--strict")
    assert done.returncode == 2
    assert "--strict needs expectations" in done.stderr


def test_update_then_run_round_trip(tmp_path: Path, suite: Path, fake_candidate: str) -> None:
    """The documented workflow: run, update-expectations, write the reasons, run green."""
    assert run(tmp_path, suite, fake_candidate).returncode == 1
    updated = lsconform(tmp_path, "update-expectations", str(tmp_path / "report" / "results.json"),
                        "--scenarios", str(suite))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    written = tmp_path / "expectations" / "python_lsc_fake_dns.yaml"
    refused = run(tmp_path, suite, fake_candidate)
    assert refused.returncode == 2 and "still TODO" in refused.stderr
    text = written.read_text(encoding="utf-8")
    written.write_text("\n".join(
        line.replace('reason: "TODO: explain', 'reason: "explained') for line in text.splitlines()) + "\n",
        encoding="utf-8")
    done = run(tmp_path, suite, fake_candidate, "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
