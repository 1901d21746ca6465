"""Fixtures for writing small scenario files into a temporary suite."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteFile = Callable[..., Path]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write dedented YAML to ``<tmp>/<area>/<name>`` and return its path."""

    def write(text: str, area: str = "tcp", name: str = "case.yaml") -> Path:
        path = tmp_path / area / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
