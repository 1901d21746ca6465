"""The capability probes tell the truth: with CAP_NET_RAW and CAP_NET_ADMIN (or CAP_NET_BIND_SERVICE)
really dropped, not mocked, the probes say why and a shipped scenario needing them is SKIP with that
reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETPRIV = shutil.which("setpriv")

pytestmark = pytest.mark.skipif(
    SETPRIV is None or os.geteuid() != 0,
    reason="dropping capabilities for a child needs root and setpriv (util-linux)")

RUN_ONE = """
import json, sys
from harness import capabilities
from harness.candidates.registry import resolve
from harness.runner import run_scenario
from harness.scenario.loader import load_file
scenario = load_file(sys.argv[1])[0]
result = run_scenario(scenario, resolve("reference"))
print(json.dumps({"probe": capabilities.probe(), "verdict": str(result.verdict), "reason": result.reason}))
"""


def run_first_scenario_without(capabilities: str, path: str) -> dict[str, Any]:
    """The first scenario of ``path``, run on the reference in a child whose ``capabilities`` are gone."""
    drop = ",".join(f"-{name}" for name in capabilities.split(","))
    command = [SETPRIV, f"--bounding-set={drop}", f"--inh-caps={drop}", sys.executable, "-c", RUN_ONE, path]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_without_raw_and_admin_capabilities_edge_scenarios_skip_with_the_reason() -> None:
    found = run_first_scenario_without("net_raw,net_admin", "scenarios/edge/udp-source.yaml")
    assert "needs root or CAP_NET_RAW" in found["probe"]["raw-sockets"]
    assert "Operation not permitted" in found["probe"]["nftables"]
    assert found["verdict"] == "SKIP"
    assert found["reason"] == f"requires raw-sockets: {found['probe']['raw-sockets']}"


@pytest.mark.parametrize("path", ["scenarios/http/default-port.yaml", "scenarios/ftp/default-port.yaml",
                                  "scenarios/smtp/send.yaml"])
def test_without_bind_service_well_known_port_scenarios_skip_with_the_reason(path: str) -> None:
    if Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text().strip() != "1024":
        pytest.skip("net.ipv4.ip_unprivileged_port_start is lowered here: low ports need no privilege")
    found = run_first_scenario_without("net_bind_service", path)
    assert "listening on port 21 needs root or CAP_NET_BIND_SERVICE" in found["probe"]["privileged-ports"]
    assert found["verdict"] == "SKIP"
    assert found["reason"] == f"requires privileged-ports: {found['probe']['privileged-ports']}"
