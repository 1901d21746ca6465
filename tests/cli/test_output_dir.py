"""The report directory is checked before a run, so a long run is never thrown away at its end."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_scenarios import LOOKUP_YAML
from test_cli_run import run

from harness.cli.common import CliError, check_output_dir


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
