"""The report directory is checked before a run, so a long run is never thrown away at its end."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cli_scenarios import LOOKUP_YAML
from test_cli_run import run

from harness.cli import run as run_command
from harness.cli.common import REPORT_NAMES, CliError, check_output_dir
from harness.results import build_document, candidate_entry, load_document


def test_a_new_directory_below_a_writable_one_is_fine_and_not_created_yet(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "today"
    check_output_dir(out)
    assert not (tmp_path / "reports").exists()
    assert list(tmp_path.iterdir()) == []  # the probe file is gone too


def test_an_existing_directory_is_fine(tmp_path: Path) -> None:
    check_output_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("below", ["", "sub/deeper"])
def test_a_file_in_the_way_is_refused(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("not a directory")
    with pytest.raises(CliError, match=f"{blocker} is not a directory"):
        check_output_dir(blocker / below if below else blocker)


def test_a_folder_nothing_can_be_written_to_is_refused() -> None:
    with pytest.raises(CliError, match="/proc is not writable"):
        check_output_dir(Path("/proc/lsconform-report"))


def test_run_refuses_before_running_anything(tmp_path: Path, fake_candidate: str) -> None:
    (tmp_path / "report").write_text("keep me")
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0")
    assert done.returncode == 2
    assert "cannot write the reports to" in done.stderr and "is not a directory" in done.stderr
    assert "passed" not in done.stdout and "score" not in done.stdout  # nothing ran
    assert (tmp_path / "report").read_text() == "keep me"


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_a_directory_where_a_report_goes_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()
    with pytest.raises(CliError, match=f"cannot write the reports to {tmp_path}: {tmp_path / name} is a dir"):
        check_output_dir(tmp_path)


def _document(wall_time: float) -> dict[str, Any]:
    return build_document([], [candidate_entry("reference", "0.1.0", [])], suite_version="0.1.0+test",
                          wall_time=wall_time, time_scale=1.0)


@pytest.fixture
def old_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report directory holding an earlier run's four files; the rescue folder is tmp_path/kept."""
    (tmp_path / "kept").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "kept"))
    out = tmp_path / "report"
    run_command.write_reports(out, _document(1.0))
    return out


def _unchanged_and_kept(out: Path, before: dict[str, bytes], error: CliError) -> None:
    """The old reports as they were, no temporaries left, the new results.json named and loadable."""
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert error.code == 2
    kept = list((out.parent / "kept").iterdir())
    assert len(kept) == 1 and f"this run's results.json is kept as {kept[0]}" in str(error)
    assert load_document(kept[0])["wall_time"] == 2.0


def test_a_write_failing_midway_leaves_the_old_reports_and_keeps_the_new_results(
        old_reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up at the third report: before, two new files sat beside two old ones."""
    before = {path.name: path.read_bytes() for path in old_reports.iterdir()}
    written: list[Path] = []
    write_temporary = run_command.write_temporary

    def filling_up(path: Path, text: str) -> Path:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(write_temporary(path, text))
        return written[-1]

    monkeypatch.setattr(run_command, "write_temporary", filling_up)
    with pytest.raises(CliError, match="No space left on device") as caught:
        run_command.write_reports(old_reports, _document(2.0))
    _unchanged_and_kept(old_reports, before, caught.value)


def test_a_directory_in_the_way_at_the_end_replaces_nothing(old_reports: Path) -> None:
    """Made after the run's start-up check: no report is replaced, not three of four."""
    (old_reports / "report.html").unlink()
    (old_reports / "report.html").mkdir()
    before = {path.name: path.read_bytes() for path in old_reports.iterdir() if path.is_file()}
    with pytest.raises(CliError, match="Is a directory") as caught:
        run_command.write_reports(old_reports, _document(2.0))
    assert "already replaced" not in str(caught.value)
    (old_reports / "report.html").rmdir()
    _unchanged_and_kept(old_reports, before, caught.value)


@pytest.mark.parametrize("inside", ["", "dns/report", "report.yaml"])
def test_reports_inside_the_scenario_root_are_refused(tmp_path: Path, fake_candidate: str,
                                                      inside: str) -> None:
    """They would become part of the suite: its digest, the next run's collection (a crash at its end)."""
    root = tmp_path / "scenarios"
    done = run(tmp_path, fake_candidate, {"dns/lookup.yaml": LOOKUP_YAML}, "-n", "0",
               "--out", str(root / inside))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"it is inside the scenario root {root}" in done.stderr
    assert "passed" not in done.stdout
    assert sorted(path.name for path in root.rglob("*")) == ["dns", "lookup.yaml"]
