"""Helpers for writing small scenario files into a temporary suite."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.loader import load_file

WriteFile = Callable[..., Path]

META = """\
- id: {id}
  title: a test scenario
  manual: TCP sockets / receive
  spec: "§5.6"
"""


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write dedented YAML to ``<tmp>/<area>/<name>`` and return its path."""

    def write(text: str, area: str = "tcp", name: str = "case.yaml") -> Path:
        path = tmp_path / area / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def scenario_text(body: str, scenario_id: str = "tcp.test.case") -> str:
    """A one-scenario file: standard meta plus ``body`` (indented YAML keys)."""
    return "scenarios:\n" + META.format(id=scenario_id) + textwrap.indent(textwrap.dedent(body), "  ")


def load_problems(path: Path) -> tuple[Problem, ...]:
    """The problems of a file that must not load."""
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    return caught.value.errors
