"""``lsconform run -m`` takes tags as the scenarios write them: ``-m fast-path``, not only ``fast_path``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_scenarios import LOOKUP_YAML, UNIMPLEMENTED_YAML, write_tree

from harness.cli.markers import marker_expression
from harness.results import load_document


@pytest.mark.parametrize(("written", "passed"), [
    ("pattern-line", "pattern_line"),
    ("pattern_line", "pattern_line"),
    ("http.client", "http_client"),
    ("pattern-line and not tcp", "pattern_line and not tcp"),
    ("(pattern-line or timeout-block) and not udp", "(pattern_line or timeout_block) and not udp"),
    ("not   pattern-word", "not   pattern_word"),
    ("mark(key='a-b.c', size=1.5)", "mark(key='a-b.c', size=1.5)"),
])
def test_tag_words_are_spelled_as_markers(written: str, passed: str) -> None:
    assert marker_expression(written) == passed


@pytest.mark.parametrize("expression", ["fast-path", "fast_path", "fast-path and not errors"])
def test_run_selects_by_a_hyphenated_tag(tmp_path: Path, fake_candidate: str, expression: str) -> None:
    """LOOKUP_YAML tags dns.toip.localhost ``fast-path``; pytest alone read ``fast-path`` as no marker."""
    root = write_tree(tmp_path / "scenarios", {"dns/lookup.yaml": LOOKUP_YAML,
                                               "dns/reverse.yaml": UNIMPLEMENTED_YAML})
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--scenarios", str(root),
                           "--candidate", fake_candidate, "--out", str(tmp_path / "report"), "-n", "0",
                           "-m", expression],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    document = load_document(tmp_path / "report" / "results.json")
    assert [r["scenario"] for r in document["results"]] == ["dns.toip.localhost"]
