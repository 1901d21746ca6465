"""``update-expectations``: entries from a run, reasons kept, TODO for everything a person must explain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from expectations_support import FAKE, expectations_yaml

from harness.cli.main import main
from harness.expectations import Expectation
from harness.expectations_file import ExpectationsError, load_expectations
from harness.expectations_update import update
from harness.results import build_document, candidate_entry, write_document
from harness.scenario.model import Verdict

V = Verdict


def record(scenario: str, verdict: Verdict, candidate: str = FAKE,
           reason: str = "run reason") -> dict[str, Any]:
    base: dict[str, Any] = {"scenario": scenario, "candidate": candidate, "verdict": verdict.value,
                            "duration": 0.1, "title": "t", "area": "dns", "manual": "m", "spec": "§9",
                            "tags": []}
    if verdict not in (V.PASS, V.NON_STRICT, V.INFORMATIONAL):
        base.update(reason=reason, step="dns/fake.yaml:3", expected=[], actual="", transcript=[])
    return base


def test_update_keeps_adds_marks_and_drops() -> None:
    previous = {
        "dns.toip.wrong": Expectation(V.FAIL, "answers one.test wrongly"),
        "dns.toip.crash": Expectation(V.FAIL, "raises on crash.test"),
        "dns.toip.localhost": Expectation(V.FAIL, "used to fail"),
        "dns.toip.elsewhere": Expectation(V.TIMEOUT, "hangs; not in this run"),
        "dns.toip.deleted": Expectation(V.FAIL, "scenario removed from the suite"),
    }
    records = [record("dns.toip.wrong", V.FAIL), record("dns.toip.crash", V.CRASH),
               record("dns.toip.localhost", V.PASS),
               record("dns.tohostname.missing", V.UNIMPLEMENTED,
                      reason="UNIMPLEMENTED: tohostname\nsecond line"),
               record("dns.toip.wrong", V.PASS, candidate="reference")]
    known = {"dns.toip.wrong", "dns.toip.crash", "dns.toip.localhost", "dns.toip.elsewhere",
             "dns.tohostname.missing"}
    changes = update(previous, records, FAKE, known_ids=known)
    assert changes.entries == {
        "dns.toip.wrong": Expectation(V.FAIL, "answers one.test wrongly"),
        "dns.toip.crash": Expectation(V.CRASH, "TODO: was FAIL: raises on crash.test"),
        "dns.tohostname.missing": Expectation(
            V.UNIMPLEMENTED,
            "TODO: explain this UNIMPLEMENTED (the run said: UNIMPLEMENTED: tohostname second line)"),
        "dns.toip.elsewhere": Expectation(V.TIMEOUT, "hangs; not in this run"),
    }
    assert changes.kept == ["dns.toip.wrong"]
    assert changes.added == ["dns.tohostname.missing"]
    assert changes.changed == ["dns.toip.crash"]
    assert changes.now_passing == ["dns.toip.localhost"]
    assert changes.carried == ["dns.toip.elsewhere"]
    assert changes.removed_from_suite == ["dns.toip.deleted"]
    assert changes.todo == ["dns.tohostname.missing", "dns.toip.crash"]


def test_a_long_run_reason_is_shortened_in_the_todo() -> None:
    changes = update({}, [record("dns.toip.wrong", V.FAIL, reason="x" * 500)], FAKE)
    reason = changes.entries["dns.toip.wrong"].reason
    assert reason.startswith("TODO: explain this FAIL (the run said: xxx") and reason.endswith("…)")
    assert len(reason) < 220


def _results(tmp_path: Path, records: list[dict[str, Any]], candidates: tuple[str, ...] = (FAKE,),
             expectations: dict[str, Any] | None = None) -> Path:
    document = build_document(records, [candidate_entry(c, "1", []) for c in candidates], suite_version="v",
                              wall_time=1.0, time_scale=1.0, created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    if expectations is not None:
        document["expectations"] = expectations
    path = tmp_path / "results.json"
    write_document(path, document)
    return path


def test_the_command_writes_a_file_that_loads_only_once_todos_are_explained(
        tmp_path: Path, suite: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(tmp_path, [record("dns.toip.localhost", V.PASS), record("dns.toip.wrong", V.FAIL),
                                  record("dns.toip.crash", V.CRASH)])
    assert main(["update-expectations", str(results), "--scenarios", str(suite)]) == 0
    written = tmp_path / "expectations" / "python_lsc_fake_dns.yaml"  # beside the scenario root
    out = capsys.readouterr().out
    assert f"wrote {written}: 2 entries (2 added)" in out
    assert "2 entries say TODO" in out
    with pytest.raises(ExpectationsError) as caught:
        load_expectations(written)
    assert [p.field for p in caught.value.problems] == ["expectations[dns.toip.crash].reason",
                                                        "expectations[dns.toip.wrong].reason"]
    # A person explains one; the next update keeps that reason and the other TODO.
    text = written.read_text(encoding="utf-8").replace(
        '"TODO: explain this FAIL (the run said: run reason)"', "answers one.test with 10.0.0.1")
    written.write_text(text, encoding="utf-8")
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(written)]) == 0
    entries = load_expectations(written, allow_todo=True).entries
    assert entries["dns.toip.wrong"].reason == "answers one.test with 10.0.0.1"
    assert entries["dns.toip.crash"].reason.startswith("TODO")
    out = capsys.readouterr().out
    assert f"wrote {written}: 2 entries (2 kept)" in out
    assert "1 entry says TODO" in out


def test_the_default_output_is_the_file_the_run_used(tmp_path: Path, suite: Path) -> None:
    used = tmp_path / "mine.yaml"
    used.write_text(expectations_yaml({"dns.toip.wrong": ("FAIL", "known")}), encoding="utf-8")
    embedded = {"strict": False, "candidates": {FAKE: {"file": str(used), "entries": {
        "dns.toip.wrong": {"verdict": "FAIL", "reason": "known"}}}}}
    results = _results(tmp_path, [record("dns.toip.wrong", V.FAIL)], expectations=embedded)
    assert main(["update-expectations", str(results), "--scenarios", str(suite)]) == 0
    assert load_expectations(used).entries["dns.toip.wrong"].reason == "known"
    assert not (tmp_path / "expectations").exists()


def test_a_recorded_file_that_is_not_there_is_not_created_anew(tmp_path: Path, suite: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """An older results.json recorded ``mine.yaml`` relative: from elsewhere it named no file at all."""
    embedded = {"strict": False, "candidates": {FAKE: {"file": "mine.yaml", "entries": {
        "dns.toip.wrong": {"verdict": "FAIL", "reason": "known"}}}}}
    results = _results(tmp_path, [record("dns.toip.crash", V.CRASH)], expectations=embedded)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["update-expectations", str(results), "--scenarios", str(suite)]) == 2
    err = capsys.readouterr().err
    assert f"judged against mine.yaml, which does not exist from {elsewhere}" in err
    assert "give the file to update with -o FILE" in err
    assert list(elsewhere.iterdir()) == []
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", "new.yaml"]) == 0
    # The run's entries (in results.json) are carried over into the new file, reasons and all.
    entries = load_expectations(elsewhere / "new.yaml", allow_todo=True).entries
    assert set(entries) == {"dns.toip.crash", "dns.toip.wrong"}
    assert entries["dns.toip.wrong"].reason == "known"
    assert "starting from the 1 entry the run was judged against (mine.yaml)" in capsys.readouterr().out


def test_a_new_file_keeps_the_reasons_the_run_was_judged_with(tmp_path: Path, suite: Path) -> None:
    used = tmp_path / "mine.yaml"
    used.write_text(expectations_yaml({"dns.toip.wrong": ("FAIL", "known")}), encoding="utf-8")
    embedded = {"strict": False, "candidates": {FAKE: {"file": str(used), "entries": {
        "dns.toip.wrong": {"verdict": "FAIL", "reason": "known"}}}}}
    results = _results(tmp_path, [record("dns.toip.wrong", V.FAIL), record("dns.toip.crash", V.CRASH)],
                       expectations=embedded)
    written = tmp_path / "elsewhere" / "copy.yaml"
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(written)]) == 0
    entries = load_expectations(written, allow_todo=True).entries
    assert entries["dns.toip.wrong"].reason == "known"  # kept, not "TODO: explain this FAIL"
    assert entries["dns.toip.crash"].reason.startswith("TODO")


def test_a_run_of_several_candidates_needs_candidate(tmp_path: Path, suite: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    records = [record("dns.toip.wrong", V.FAIL), record("dns.toip.wrong", V.FAIL, "reference")]
    results = _results(tmp_path, records, candidates=(FAKE, "reference"))
    assert main(["update-expectations", str(results), "--scenarios", str(suite)]) == 2
    assert "choose one with --candidate" in capsys.readouterr().err
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "--candidate", "nope"]) == 2
    assert "the run has no candidate 'nope'" in capsys.readouterr().err
    out = tmp_path / "ref.yaml"
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "--candidate", "reference",
                 "-o", str(out)]) == 0
    assert load_expectations(out, allow_todo=True).candidate == "reference"


def test_a_file_where_the_output_needs_a_folder_is_named(tmp_path: Path, suite: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """mkdir's '[Errno 17] File exists: afile' (exit 1) read as if the expectations file already existed."""
    results = _results(tmp_path, [record("dns.toip.wrong", V.FAIL)])
    afile = tmp_path / "afile"
    afile.write_text("kept\n", encoding="utf-8")
    output = afile / "x.yaml"
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(output)]) == 2
    assert f"error: -o {output}: {afile} is a file, not a directory\n" in capsys.readouterr().err
    # The default file, expectations/<candidate>.yaml beside the scenario root, is no option: no -o.
    (tmp_path / "expectations").write_text("kept\n", encoding="utf-8")
    assert main(["update-expectations", str(results), "--scenarios", str(suite)]) == 2
    default = tmp_path / "expectations" / "python_lsc_fake_dns.yaml"
    assert (f"error: {default}: {tmp_path / 'expectations'} is a file, not a directory\n"
            in capsys.readouterr().err)
    assert afile.read_text(encoding="utf-8") == (tmp_path / "expectations").read_text(encoding="utf-8")


def test_a_broken_current_file_is_not_overwritten(tmp_path: Path, suite: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(tmp_path, [record("dns.toip.wrong", V.FAIL)])
    broken = tmp_path / "broken.yaml"
    broken.write_text("candidate: [\n", encoding="utf-8")
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(broken)]) == 2
    assert f"{broken}:2: yaml:" in capsys.readouterr().err
    assert broken.read_text(encoding="utf-8") == "candidate: [\n"


def test_a_port_tested_with_the_shipped_suite_must_name_its_file(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # Beside the shipped scenario root is the suite's own tree: nothing is written there for a port.
    results = _results(tmp_path, [record("dns.toip.localhost", V.FAIL)])
    assert main(["update-expectations", str(results)]) == 2
    err = capsys.readouterr().err
    assert "not one of the suite's own candidates" in err
    assert "-o expectations/python_lsc_fake_dns.yaml" in err
    written = tmp_path / "mine.yaml"
    assert main(["update-expectations", str(results), "-o", str(written)]) == 0
    assert load_expectations(written, allow_todo=True).entries["dns.toip.localhost"].verdict is V.FAIL


def test_one_reason_for_every_new_entry(tmp_path: Path, suite: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(tmp_path, [record("dns.toip.wrong", V.FAIL), record("dns.toip.crash", V.CRASH)])
    written = tmp_path / "mine.yaml"
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(written),
                 "--reason", "not implemented yet"]) == 0
    entries = load_expectations(written).entries  # no TODO left: it loads
    assert {entry.reason for entry in entries.values()} == {"not implemented yet"}
    assert "TODO" not in capsys.readouterr().out
    for bad in ("", "TODO later", "two\nlines"):
        assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(written),
                     "--reason", bad]) == 2
    assert "--reason" in capsys.readouterr().err


def test_a_long_todo_list_is_cut_short_on_the_terminal(tmp_path: Path, suite: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(tmp_path, [record(f"dns.toip.case{n:02}", V.FAIL) for n in range(25)])
    written = tmp_path / "mine.yaml"
    assert main(["update-expectations", str(results), "--scenarios", str(suite), "-o", str(written)]) == 0
    out = capsys.readouterr().out
    assert "25 entries say TODO" in out and f"... and 5 more (grep TODO {written})" in out
    assert "dns.toip.case19" in out and "dns.toip.case20" not in out
