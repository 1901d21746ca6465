"""Fixtures for the expectations tests: the stand-in candidate on the path, a scenario root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from expectations_support import CANDIDATES, FAKE, REPO, write_suite


@pytest.fixture
def fake_candidate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Make ``python:lsc_fake_dns`` importable here and in any subprocess."""
    monkeypatch.syspath_prepend(str(CANDIDATES))
    paths = [str(CANDIDATES), str(REPO), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.setenv("LSC_FAKE_FLIP_FILE", str(tmp_path / "flip-count"))
    return FAKE


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A scenario root at ``tmp_path/scenarios``; expectations go in is ``tmp_path/expectations``."""
    return write_suite(tmp_path)
