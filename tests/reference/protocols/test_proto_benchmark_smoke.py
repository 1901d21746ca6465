"""benchmarks/protocols.py runs and prints one line per streaming transfer.

Only the output's shape is checked; figures are never asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "protocols.py"
LINE = re.compile(r"(?P<name>\w+) MB/s=[\d.]+ peak_rss=[\d.]+MiB")
TRANSFERS = ["http_getindirect", "http_postindirect", "ftp_getindirect", "ftp_putindirect"]


def test_a_small_run_prints_one_line_per_transfer() -> None:
    command = [sys.executable, str(SCRIPT), "--size", "1M"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    matches = [LINE.fullmatch(line) for line in done.stdout.splitlines()]
    assert all(matches), done.stdout
    assert [match["name"] for match in matches if match] == TRANSFERS
