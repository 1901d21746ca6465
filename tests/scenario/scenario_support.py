"""Helpers shared by the scenario-language tests (importable, unlike conftest)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.loader import load_file

META = """\
- id: {id}
  title: a test scenario
  manual: TCP sockets / receive
  spec: "§5.6"
"""


def scenario_text(body: str, scenario_id: str = "tcp.test.case") -> str:
    """A one-scenario file: standard meta plus ``body`` (indented YAML keys)."""
    return "scenarios:\n" + META.format(id=scenario_id) + textwrap.indent(textwrap.dedent(body), "  ")


def load_problems(path: Path) -> tuple[Problem, ...]:
    """The problems of a file that must not load."""
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    return caught.value.errors
