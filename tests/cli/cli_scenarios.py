"""Scenario files and paths shared by the plugin and CLI tests.

A plain module (not conftest) so test modules can import it by a name no
other test folder uses.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = Path(__file__).resolve().parent / "candidates"
FAKE = "python:lsc_fake_dns"

LOOKUP_YAML = """\
scenarios:
- id: dns.toip.localhost
  title: toip resolves localhost
  manual: DNS / toip
  spec: "§9"
  tags: [lookup, fast-path]
  steps:
  - call: toip
    args: ["localhost"]
    expect: {returns: ["127.0.0.1"]}

- id: dns.toip.unknown-host
  title: toip on an unknown name returns nil and a message
  manual: DNS / toip
  spec: "§9"
  tags: [lookup, errors]
  steps:
  - call: toip
    args: ["nowhere.invalid"]
    expect: {returns: [null, !type string]}
"""

FAILING_YAML = """\
scenarios:
- id: dns.toip.wrong-answer
  title: a scenario the fake candidate fails
  manual: DNS / toip
  spec: "§9 (made up for the test)"
  tags: [lookup]
  steps:
  - call: toip
    args: ["one.test"]
    expect:
    - returns: ["10.9.9.9"]
    - returns: [null, "host not found"]
"""

UNIMPLEMENTED_YAML = """\
scenarios:
- id: dns.tohostname.localhost
  title: tohostname is missing from the fake candidate
  manual: DNS / tohostname
  spec: "§9"
  tags: [reverse]
  steps:
  - call: tohostname
    args: ["127.0.0.1"]
    expect: {returns: [!type string]}
"""

CRASH_YAML = """\
scenarios:
- id: dns.toip.crash
  title: the fake candidate crashes
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["crash.test"]
    expect: {returns: [!type string]}
"""

FLAKY_YAML = """\
scenarios:
- id: dns.toip.flip
  title: the fake candidate answers differently every other time
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["flip.test"]
    expect: {returns: ["10.0.0.1"]}
"""

INTERRUPT_YAML = """\
scenarios:
- id: dns.toip.interrupt
  title: the fake candidate presses Ctrl-C (with LSC_FAKE_INTERRUPT=1)
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["interrupt.test"]
    expect: {returns: ["10.0.0.1"]}
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{"dns/lookup.yaml": text}`` under ``root``; returns the root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
