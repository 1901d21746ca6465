"""The README's two set-up commands are the ones CI and users actually run.

CI runs `.ci/run`; users copy from the README. If the two drift apart, CI
stops testing what users do, so this test pins them together.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = {}
    for label in ("main job", "tests"):
        match = re.search(rf"<!-- {label} -->\s*```sh\n(.+?)\n```", text, re.S)
        assert match, f"README.md lacks the fenced command marked <!-- {label} -->"
        commands[label] = match.group(1).strip()
    return commands


def test_ci_runs_the_readme_test_command() -> None:
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = _readme_commands()["tests"]
    assert command.startswith("python3 -m pip install")
    assert command in ci_script


def test_main_job_installs_and_writes_a_report() -> None:
    command = _readme_commands()["main job"]
    assert "pip install" in command
    assert "lsconform run" in command
    assert "--out" in command
