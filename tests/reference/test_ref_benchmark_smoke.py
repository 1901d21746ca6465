"""benchmarks/transport.py runs and prints its one line per workload.

Only the output's shape is checked; figures are never asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent.parent / "benchmarks" / "transport.py"
LINE = re.compile(r"(?P<name>[\w-]+) reference=[\d.]+(?P<unit>\S+) baseline=[\d.]+(?P=unit) "
                  r"ratio=[\d.]+(?P<rest>.*)")
WORKLOADS = ["receive-all", "receive-lines", "receive-4096", "udp-datagrams"]


def test_quick_run_prints_one_line_per_workload() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--runs", "1"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    matches = [LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [match["name"] for match in matches if match] == WORKLOADS
    assert re.fullmatch(r" peak=[\d.]+x", matches[0]["rest"])  # type: ignore[index]
