"""Interleaving, warm-up, stopping a wrong side, skips: the session's schedule, with fake runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_support import TINY_STREAM, load_perf

from harness.adapters.base import CandidateInfo, CandidateSpec
from harness.bench import session
from harness.bench.ceiling_run import CeilingResult
from harness.bench.execution import RunResult
from harness.bench.session import BenchOptions, run_session
from harness.runner import RunOptions
from harness.scenario.model import Scenario, ScenarioResult, Verdict


def _spec(name: str, unavailable: str | None = None) -> CandidateSpec:
    def make() -> None:
        raise AssertionError("the fake runs never make an adapter")

    return CandidateSpec(name, "fake", make, unavailable=(lambda: unavailable) if unavailable else None)


class FakeRuns:
    """Stands in for ``run_workload``: records the order, answers by a script of verdicts per side."""

    def __init__(self, verdicts: dict[str, list[Verdict]] | None = None) -> None:
        self.order: list[str] = []
        self.verdicts = verdicts or {}

    def __call__(self, scenario: Scenario, candidate: CandidateSpec, options: RunOptions) -> RunResult:
        self.order.append(candidate.name)
        script = self.verdicts.get(candidate.name, [])
        verdict = script.pop(0) if script else Verdict.PASS
        seconds = 0.5 if candidate.name == "reference" else 0.25 + 0.01 * len(self.order)
        reason = "" if verdict is Verdict.PASS else "wrong bytes"
        result = ScenarioResult(scenario.id, candidate.name, verdict, 0.1, reason=reason)
        return RunResult(result, seconds if verdict is Verdict.PASS else None,
                         info=CandidateInfo(candidate.name, "9.9"))


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return load_perf(tmp_path, TINY_STREAM)[0]


@pytest.fixture
def no_ceiling(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    measured: list[str] = []

    def fake(scenario: Scenario, options: RunOptions) -> CeilingResult:
        measured.append(scenario.id)
        return CeilingResult(0.01)

    monkeypatch.setattr(session, "measure_ceiling", fake)
    return measured


def test_sides_alternate_after_a_warm_up(monkeypatch: pytest.MonkeyPatch, scenario: Scenario,
                                         no_ceiling: list[str]) -> None:
    fake = FakeRuns()
    monkeypatch.setattr(session, "run_workload", fake)
    lines: list[str] = []
    (runs,) = run_session([scenario], _spec("reference"), [_spec("a"), _spec("b")],
                          BenchOptions(pairs=3, warmup=2), progress=lines.append)
    assert fake.order == ["a", "b", "reference"] * 5
    assert [len(runs.sides[name].seconds) for name in ("reference", "a", "b")] == [3, 3, 3]
    assert runs.sides["reference"].seconds == [0.5, 0.5, 0.5]
    assert len(runs.ceiling_seconds) == 3 and no_ceiling == [scenario.id] * 3  # measured rounds only
    assert len(lines) == 5 and lines[0].startswith(f"{scenario.id} warm-up 1/5")
    assert runs.sides["a"].info == CandidateInfo("a", "9.9")


def test_a_wrong_side_is_not_run_again_and_keeps_its_failure(
        monkeypatch: pytest.MonkeyPatch, scenario: Scenario, no_ceiling: list[str]) -> None:
    fake = FakeRuns({"a": [Verdict.PASS, Verdict.PASS, Verdict.FAIL]})
    monkeypatch.setattr(session, "run_workload", fake)
    lines: list[str] = []
    (runs,) = run_session([scenario], _spec("reference"), [_spec("a")], BenchOptions(pairs=4, warmup=1),
                          progress=lines.append)
    assert [line for line in lines if "wrong bytes" in line] == ["  a FAIL: wrong bytes"]  # once, then
    assert lines.index("  a FAIL: wrong bytes") == 3  # right after the round that failed
    assert fake.order.count("a") == 3 and fake.order.count("reference") == 5
    side = runs.sides["a"]
    assert side.verdict is Verdict.FAIL and side.stopped
    assert side.result is not None and side.result.reason == "wrong bytes"
    assert len(side.seconds) == 1, "only the measured run before the failure was kept"


def test_an_unavailable_candidate_and_a_missing_capability_are_skips(monkeypatch: pytest.MonkeyPatch,
                                                                     scenario: Scenario,
                                                                     no_ceiling: list[str]) -> None:
    fake = FakeRuns()
    monkeypatch.setattr(session, "run_workload", fake)
    (runs,) = run_session([scenario], _spec("reference"), [_spec("gone", "no runtime here")],
                          BenchOptions(pairs=1, warmup=0))
    assert fake.order == ["reference"]
    gone = runs.sides["gone"]
    assert gone.verdict is Verdict.SKIP and "no runtime here" in gone.result.reason

    needy = Scenario(**{**scenario.__dict__, "requires": ("raw-sockets",)})
    options = BenchOptions(pairs=1, warmup=0, run=RunOptions(capabilities=frozenset()))
    fake.order.clear()
    (skipped,) = run_session([needy], _spec("reference"), [_spec("a")], options)
    assert fake.order == []
    assert all(side.verdict is Verdict.SKIP for side in skipped.sides.values())
    assert skipped.sides["a"].result.reason.startswith("requires raw-sockets")
