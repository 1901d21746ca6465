"""Scenario trees and a stand-in candidate for the plugin and CLI tests.

The tests never depend on the reference implementation: they run small
scenario files written into tmp_path against ``python:lsc_fake_dns``
(``candidates/lsc_fake_dns.py``), whose behaviour is fixed and known.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_scenarios import CANDIDATES, FAKE, REPO

# Imported here, before any pytester inline run, so that every run shares one
# copy: pytester restores sys.modules after each inline run, and a package
# imported inside one (psutil, via the runner's leak check) would lose its
# top-level module while its submodules stay cached.
import harness.candidates.registry  # noqa: F401
import harness.runner  # noqa: F401
import harness.scenario.loader  # noqa: F401


@pytest.fixture
def fake_candidate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Make ``python:lsc_fake_dns`` importable here and in any subprocess (xdist workers)."""
    monkeypatch.syspath_prepend(str(CANDIDATES))
    paths = [str(CANDIDATES), str(REPO), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.setenv("LSC_FAKE_FLIP_FILE", str(tmp_path / "flip-count"))
    return FAKE
