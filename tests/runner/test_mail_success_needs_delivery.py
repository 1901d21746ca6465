"""A mail{} that reports success must have delivered: the display-name scenario's verdicts, end to end.

``smtp.mail.recipients.display-name`` accepts two readings of "Name
<address>": the reference's (the bracketed address) and, as INFORMATIONAL,
the 2001 release's (two bogus recipients, then the server's refusal). A
candidate that claims success and sends nothing matches neither; it must
FAIL, not pass for the 2001 release because the server saw no message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import capabilities
from harness.candidates.registry import resolve
from harness.runner import RunOptions, run_scenario
from harness.scenario.catalog import default_root
from harness.scenario.loader import load_file
from harness.scenario.model import Scenario, Verdict

SCENARIO_ID = "smtp.mail.recipients.display-name"


def _scenario() -> Scenario:
    (scenario,) = [s for s in load_file(default_root() / "smtp" / "mail.yaml") if s.id == SCENARIO_ID]
    for name in scenario.requires:
        why = capabilities.why_missing(name)
        if why:
            pytest.skip(f"{SCENARIO_ID} requires {name}: {why}")
    return scenario


def _verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: str) -> Verdict:
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_scenario(_scenario(), resolve(f"python:{module}"), RunOptions())
    return result.verdict


def test_success_without_a_delivered_message_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "def mail(*args):\n    return ()  # reports success, sends nothing\n"
    assert _verdict(tmp_path, monkeypatch, "lsc_mail_says_sent", source) is Verdict.FAIL


def test_the_2001_refusal_is_informational(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = "def mail(*args):\n    return (b'501 bad recipient Fulano',)\n"
    assert _verdict(tmp_path, monkeypatch, "lsc_mail_refuses", source) is Verdict.INFORMATIONAL


def test_the_reference_passes() -> None:
    assert run_scenario(_scenario(), resolve("reference"), RunOptions()).verdict is Verdict.PASS
