"""Every expectations file shipped in ``expectations/`` loads against the shipped suite.

That is: right format, a real reason for every entry (no TODO left by
``update-expectations``), only ids that exist, and a file name that matches
the candidate inside, so that ``lsconform run`` picks it up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.expectations import file_name
from harness.expectations_file import load_expectations
from harness.scenario.catalog import default_root, load_catalog

SHIPPED = Path(__file__).resolve().parents[2] / "expectations"
FILES = sorted(SHIPPED.glob("*.yaml"))


@pytest.fixture(scope="module")
def suite_ids() -> frozenset[str]:
    return frozenset(load_catalog(default_root()).by_id)


@pytest.mark.skipif(not FILES, reason=f"no expectations files in {SHIPPED} yet")
@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_a_shipped_file_loads_and_is_named_after_its_candidate(path: Path, suite_ids: frozenset[str]) -> None:
    loaded = load_expectations(path, known_ids=suite_ids)
    assert path.name == file_name(loaded.candidate), f"{path} holds {loaded.candidate!r}: rename it"
    assert all(entry.reason for entry in loaded.entries.values())
