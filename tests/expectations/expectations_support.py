"""Scenario trees, expectations files and runners shared by the expectations tests.

A plain module (not conftest) so test modules can import it by a name no
other test folder uses. The scenarios run against the CLI tests' stand-in
candidate (``tests/cli/candidates/lsc_fake_dns.py``), whose answers are
fixed: ``toip("localhost")`` passes, ``toip("one.test")`` gives a wrong
address, ``toip("crash.test")`` crashes and it has no ``tohostname``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = REPO / "tests" / "cli" / "candidates"
FAKE = "python:lsc_fake_dns"

# One scenario per interesting verdict of the fake candidate.
SCENARIOS = """\
scenarios:
- id: dns.toip.localhost
  title: toip resolves localhost
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["localhost"]
    expect: {returns: ["127.0.0.1"]}

- id: dns.toip.wrong
  title: the fake candidate answers one.test wrongly
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["one.test"]
    expect: {returns: ["10.9.9.9"]}

- id: dns.toip.crash
  title: the fake candidate crashes on crash.test
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["crash.test"]
    expect: {returns: [!type string]}

- id: dns.tohostname.missing
  title: the fake candidate has no tohostname
  manual: DNS / tohostname
  spec: "§9"
  steps:
  - call: tohostname
    args: ["127.0.0.1"]
    expect: {returns: [!type string]}
"""

IDS = ("dns.tohostname.missing", "dns.toip.crash", "dns.toip.localhost", "dns.toip.wrong")

# What the fake candidate gets on SCENARIOS, by id.
VERDICTS = {"dns.toip.localhost": "PASS", "dns.toip.wrong": "FAIL", "dns.toip.crash": "CRASH",
            "dns.tohostname.missing": "UNIMPLEMENTED"}


def expectations_yaml(entries: dict[str, tuple[str, str]], candidate: str = FAKE) -> str:
    """An expectations file listing ``{id: (verdict, reason)}``."""
    lines = [f'candidate: "{candidate}"', "expectations:" if entries else "expectations: {}"]
    for scenario, (verdict, reason) in entries.items():
        lines += [f"  {scenario}:", f"    verdict: {verdict}", f"    reason: {json.dumps(reason)}"]
    return "\n".join(lines) + "\n"


def write_suite(base: Path) -> Path:
    """``base/scenarios/dns/fake.yaml``; returns the scenario root."""
    root = base / "scenarios"
    (root / "dns").mkdir(parents=True)
    (root / "dns" / "fake.yaml").write_text(SCENARIOS, encoding="utf-8")
    return root


def lsconform(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)
