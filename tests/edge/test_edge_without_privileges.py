"""The capability probes tell the truth: with CAP_NET_RAW and CAP_NET_ADMIN really dropped (not
mocked), the probes say why and a shipped edge scenario is SKIP with that reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETPRIV = shutil.which("setpriv")

pytestmark = pytest.mark.skipif(
    SETPRIV is None or os.geteuid() != 0,
    reason="dropping capabilities for a child needs root and setpriv (util-linux)")

RUN_ONE = """
import json
from harness import capabilities
from harness.candidates.registry import resolve
from harness.runner import run_scenario
from harness.scenario.loader import load_file
scenario = load_file("scenarios/edge/udp-source.yaml")[0]
result = run_scenario(scenario, resolve("reference"))
print(json.dumps({"probe": capabilities.probe(), "verdict": str(result.verdict), "reason": result.reason}))
"""


def test_without_raw_and_admin_capabilities_edge_scenarios_skip_with_the_reason() -> None:
    drop = "-net_raw,-net_admin"
    command = [SETPRIV, f"--bounding-set={drop}", f"--inh-caps={drop}", sys.executable, "-c", RUN_ONE]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert "needs root or CAP_NET_RAW" in found["probe"]["raw-sockets"]
    assert "Operation not permitted" in found["probe"]["nftables"]
    assert found["verdict"] == "SKIP"
    assert found["reason"] == f"requires raw-sockets: {found['probe']['raw-sockets']}"
