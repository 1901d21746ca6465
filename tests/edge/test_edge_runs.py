"""Whole runs with a raw peer: rules are gone however a scenario ends, missing capabilities SKIP,
and ``pending`` outcomes are judged as documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from raw_support import act, needs_nftables, peer

from harness import capabilities, firewall
from harness.adapters.base import CandidateSpec, Returned, TimedOut
from harness.adapters.scripted import ScriptedAdapter
from harness.candidates.registry import resolve
from harness.judging import judge
from harness.runner import RunOptions, run_scenario
from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_file
from harness.scenario.matchers import Exact
from harness.scenario.model import (
    CallStep,
    ExpectedOutcome,
    Ref,
    Scenario,
    SignalStep,
    SourceLocation,
    Verdict,
    WaitStep,
)

HERE = SourceLocation("tests/edge/example.yaml", 1)
DROPPING = (act("drop-syn"), act("signal", name="dropping"))


def scripted(*outcomes: Any) -> CandidateSpec:
    return CandidateSpec("scripted", "canned outcomes", lambda: ScriptedAdapter(list(outcomes)))


def edge_scenario(*steps: Any, script: tuple = DROPPING,
                  requires: tuple[str, ...] = ("raw-sockets", "nftables")) -> Scenario:
    return Scenario(id="edge.test.case", title="t", manual="m", spec="s", tags=(), requires=requires,
                    peers=(peer("raw", "raw", *script),), steps=steps, location=HERE)


def wait_dropping() -> WaitStep:
    return WaitStep("dropping", 5.0, HERE)


def call(function: str, *expect: ExpectedOutcome, deadline: float | None = None) -> CallStep:
    return CallStep(function=function, style="global", target=None, args=(), expect=expect,
                    deadline=deadline, location=HERE)


def tables_named(result: Any) -> list[str]:
    return [entry.text.split("table ")[1].rstrip(")") for entry in result.transcript
            if "dropping SYNs" in entry.text]


@needs_nftables
def test_a_failing_step_still_removes_the_rule() -> None:
    wrong = ExpectedOutcome(returns=(Exact(b"never"),))
    result = run_scenario(edge_scenario(wait_dropping(), call("f", wrong)), scripted(Returned((b"other",))))
    assert result.verdict is Verdict.FAIL
    (table,) = tables_named(result)
    assert firewall.leftover_tables([table]) == []
    assert firewall.leftover_tables() == []


@needs_nftables
def test_a_failing_peer_still_removes_the_rule() -> None:
    script = (*DROPPING, act("refuse-syn", timeout=0.2))  # nobody connects: the peer fails
    result = run_scenario(edge_scenario(wait_dropping(), script=script), scripted())
    assert result.verdict is Verdict.FAIL
    assert "no SYN" in result.reason
    assert firewall.leftover_tables() == []


@needs_nftables
def test_a_harness_crash_still_removes_the_rule() -> None:
    def broken() -> ScriptedAdapter:
        raise RuntimeError("the adapter could not start")

    spec = CandidateSpec("broken", "adapter factory fails", broken)
    result = run_scenario(edge_scenario(wait_dropping()), spec)
    assert result.verdict is Verdict.CRASH
    assert firewall.leftover_tables() == []


@needs_nftables
def test_a_rule_that_survives_teardown_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[firewall.SynDropRule] = []
    original_install, original_remove = firewall.SynDropRule.install, firewall.SynDropRule.remove

    def install(self: firewall.SynDropRule) -> None:
        made.append(self)
        original_install(self)

    monkeypatch.setattr(firewall.SynDropRule, "install", install)
    monkeypatch.setattr(firewall.SynDropRule, "remove", lambda self: None)  # a removal that does nothing
    try:
        result = run_scenario(edge_scenario(wait_dropping()), scripted())
    finally:
        for rule in made:
            original_remove(rule)
    assert result.verdict is Verdict.CRASH
    assert "left behind: nf_tables table" in result.reason
    assert any("leak: nf_tables table" in entry.text for entry in result.transcript)
    assert firewall.leftover_tables([rule.table for rule in made]) == []


def test_without_the_capability_the_scenario_is_skipped_with_the_reason() -> None:
    options = RunOptions(capabilities=frozenset())
    result = run_scenario(edge_scenario(call("f")), scripted(Returned(())), options)
    assert result.verdict is Verdict.SKIP
    assert result.reason.startswith("requires raw-sockets: ")
    assert len(result.reason) > len("requires raw-sockets: ")


def test_with_only_raw_sockets_a_scenario_needing_nftables_is_skipped() -> None:
    options = RunOptions(capabilities=frozenset({capabilities.RAW_SOCKETS}))
    result = run_scenario(edge_scenario(call("f")), scripted(Returned(())), options)
    assert result.verdict is Verdict.SKIP
    assert result.reason.startswith("requires nftables: ")


def test_the_probe_says_when_scapy_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(name: str) -> None:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(capabilities.importlib, "import_module", fail)
    assert capabilities._probe_raw_sockets() == "scapy is not importable: No module named 'scapy.layers.inet'"


def test_the_probe_says_when_raw_sockets_are_not_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(capabilities.socket, "socket", denied)
    reason = capabilities._probe_raw_sockets()
    assert reason is not None
    assert "needs root or CAP_NET_RAW" in reason and "Operation not permitted" in reason


def test_a_probe_failure_makes_a_real_run_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capabilities, "probe", lambda: {**{name: None for name in capabilities.KNOWN},
                                                        capabilities.RAW_SOCKETS: "not running as root"})
    result = run_scenario(edge_scenario(call("f")), scripted(Returned(())))
    assert (result.verdict, result.reason) == (Verdict.SKIP, "requires raw-sockets: not running as root")


def test_the_shipped_edge_suite_always_requires_raw_sockets() -> None:
    folder = Path(__file__).resolve().parents[2] / "scenarios" / "edge"
    scenarios = [scenario for path in sorted(folder.glob("*.yaml")) for scenario in load_file(path)]
    assert len(scenarios) >= 40
    assert all(capabilities.RAW_SOCKETS in scenario.requires for scenario in scenarios)


# -- the loader ------------------------------------------------------------------------------

RAW_SCENARIO = """\
scenarios:
- id: edge.loader.case
  title: t
  manual: m
  spec: s
  requires: {requires}
  peers:
    srv: {{kind: tcp-server, script: [accept]}}
    raw:
      kind: raw
      script:
{script}
  steps:
  - call: f
"""


def load(tmp_path: Path, script: str, requires: str = "[raw-sockets, nftables]") -> Any:
    path = tmp_path / "edge" / "case.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RAW_SCENARIO.format(requires=requires, script=script), encoding="utf-8")
    return load_file(path)


def test_a_raw_scenario_loads_with_shorthands(tmp_path: Path) -> None:
    (scenario,) = load(tmp_path, "      - inject-rst: srv\n      - icmp-unreachable: port\n      - drop-syn\n"
                                 "      - refuse-syn")
    raw = scenario.peers[1]
    ops = [action.op for action in raw.script]
    assert ops == ["inject-rst", "icmp-unreachable", "drop-syn", "refuse-syn"]
    assert raw.script[0].params == {"peer": "srv"}
    assert raw.script[1].params == {"code": "port"}


@pytest.mark.parametrize(("script", "requires", "message"), [
    ("      - drop-syn", "[raw-sockets]", "peer raw's drop-syn needs 'nftables'"),
    ("      - inject-rst: srv", "[]", "peer raw (raw) needs 'raw-sockets'"),
    ("      - inject-rst: raw", "[raw-sockets]", "'raw' is a raw peer; expected the name of a tcp-server"),
    ("      - inject-fin: nobody", "[raw-sockets]", "expected the name of a peer of this scenario"),
    ("      - refuse-syn", "[raw-sockets, nftables]", "refuse-syn needs an earlier drop-syn"),
    ("      - inject-fragments: {data: x, host: h, port: 1, size: 100}", "[raw-sockets]",
     "a positive multiple of 8"),
    ("      - inject-udp: {data: x, host: h, port: 1, checksum: wrong}", "[raw-sockets]",
     "one of good, bad, none"),
    ("      - icmp-unreachable: nowhere", "[raw-sockets]", "one of port, host, net, protocol, admin"),
])
def test_raw_scripts_are_checked_at_load_time(tmp_path: Path, script: str, requires: str,
                                              message: str) -> None:
    with pytest.raises(ScenarioError, match="edge/case.yaml:[0-9]+: ") as caught:
        load(tmp_path, script, requires)
    assert message in str(caught.value)


# -- pending outcomes ------------------------------------------------------------------------

PENDING = ExpectedOutcome(pending=True)


def test_pending_passes_when_the_call_is_still_blocked_at_its_deadline() -> None:
    assert judge(TimedOut(0.3), (PENDING,), 0.3, {}).verdict is Verdict.PASS
    assert judge(TimedOut(0.3), (ExpectedOutcome(pending=True, verdict=Verdict.NON_STRICT),), 0.3,
                 {}).verdict is Verdict.NON_STRICT


def test_pending_fails_when_the_call_comes_back() -> None:
    judgement = judge(Returned((None, b"connection refused")), (PENDING,), 0.01, {})
    assert judgement.verdict is Verdict.FAIL
    assert judgement.expected == ("still blocked at the deadline",)
    assert "should still be blocked" in judgement.reason


def test_without_pending_a_blocked_call_is_still_a_timeout() -> None:
    assert judge(TimedOut(0.3), (ExpectedOutcome(returns=()),), 0.3, {}).verdict is Verdict.TIMEOUT


@pytest.mark.parametrize(("outcome", "message"), [
    ("{pending: false}", "expected true"),
    ("{pending: true, within: [0, 1]}", "a pending call has no duration"),
    ("{pending: true, returns: []}", "exactly one of returns, raises, pending"),
])
def test_pending_is_checked_at_load_time(tmp_path: Path, outcome: str, message: str) -> None:
    path = tmp_path / "edge" / "pending.yaml"
    path.parent.mkdir()
    path.write_text(f"scenarios:\n- id: edge.p.q\n  title: t\n  manual: m\n  spec: s\n  steps:\n"
                    f"  - call: connect\n    expect: {outcome}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert message in str(caught.value)


@needs_nftables
def test_a_pending_connect_on_the_reference_passes_and_ends_cleanly() -> None:
    script = (*DROPPING, act("expect-syn"), act("wait", name="gave-up"), act("refuse-syn"))
    # The raw peer's own address, where SYNs are dropped, is known only at run time.
    connect = CallStep(function="connect", style="global", target=None,
                       args=(Ref("raw.host"), Ref("raw.port")), expect=(PENDING,), deadline=0.3,
                       location=HERE)
    result = run_scenario(edge_scenario(wait_dropping(), connect, SignalStep("gave-up", HERE), script=script),
                          resolve("reference"))
    assert result.verdict is Verdict.PASS, result.reason
    assert 0.3 <= result.duration < 3.0
    assert firewall.leftover_tables() == []
