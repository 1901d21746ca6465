"""Rounds of a ping-pong run as one sequence inside the candidate (PROTOCOL.md section 7.2).

A candidate that runs the rounds itself is timed by its own clock and, for a
driver, scored; the harness then checks its account: every round done, each
step's ``expect`` on the last round, and bytes and SHA-256 of value 1 over
all rounds where a step expects a literal string. A driver that does not
claim ``sequence`` keeps the harness-timed rounds, marked protocol-bound.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from bench_support import TINY_PING_PONG, load_perf, shipped_workload

from harness.adapters.base import Call, CandidateInfo, CandidateSpec, Returned
from harness.adapters.driver_loops import SequenceReport, SequenceRequest, SequenceResult
from harness.adapters.driver_spec import driver_candidate
from harness.adapters.scripted import ScriptedAdapter
from harness.bench.execution import run_workload
from harness.bench.rounds import literal_first_value
from harness.candidates.luasocket3 import runtime_problem
from harness.candidates.registry import resolve
from harness.scenario.model import Verdict
from harness.values import Handle

ROOT = Path(__file__).resolve().parents[2]
VARIANT = ROOT / "tests" / "drivers" / "broken" / "variant_driver.py"


def _reference_without_sequence() -> CandidateSpec:
    """The reference behind the Python driver, its hello stripped of ``sequence``."""
    command = [sys.executable, str(VARIANT), "no-sequence", "--path", str(ROOT), "reference"]
    return driver_candidate("reference-no-sequence", command)


def test_a_sequence_capable_driver_runs_the_rounds_itself_and_is_scored(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, resolve("reference-driver"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.out_of_process and not run.harness_timed and not run.protocol_bound
    assert run.seconds is not None and run.info is not None and "sequence" in run.info.capabilities


def test_a_driver_without_sequence_keeps_harness_timed_rounds_not_scored(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, _reference_without_sequence())
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.harness_timed and run.protocol_bound and run.seconds is not None


@pytest.mark.parametrize("candidate", ["python:bench_middle_round", "driver:python:bench_middle_round"])
def test_a_wrong_echo_in_a_middle_round_fails_by_its_digest(tmp_path: Path, candidate: str) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, resolve(candidate))
    assert run.verdict is Verdict.FAIL and run.seconds is None, run.result.reason
    assert "c:receive(8) over 20 rounds: the SHA-256 of value 1 over all rounds is" in run.result.reason
    receive_line = TINY_PING_PONG.splitlines().index("  - call: c:receive") + 1
    assert run.result.step and run.result.step.endswith(f":{receive_line}"), run.result.step
    text = "\n".join(entry.text for entry in run.result.transcript)
    assert "20 rounds in" in text and "inside the candidate" in text, text


def test_the_same_candidate_fails_through_harness_timed_rounds_too(tmp_path: Path) -> None:
    """Without a sequence every round is judged by the harness: the spoiled round is named."""
    command = [sys.executable, str(VARIANT), "no-sequence", "--path", str(ROOT), "--path",
               str(Path(__file__).resolve().parent), "bench_middle_round"]
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, driver_candidate("middle-round-no-sequence", command))
    assert run.verdict is Verdict.FAIL and run.harness_timed
    assert "round 10 of 20: c:receive(8)" in run.result.reason


def _connect_only(call: Call) -> Returned:
    return Returned((Handle(1, "tcp-client"),) if call.function == "connect" else ())


class _SequencingScript(ScriptedAdapter):
    """Canned answers, and a canned account for the one sequence the bench asks for."""

    def __init__(self, report: SequenceReport) -> None:
        super().__init__(_connect_only, CandidateInfo("scripted", "0", frozenset({"sequence", "digest"})))
        self.report = report
        self.requests: list[SequenceRequest] = []

    def call_sequence(self, calls: list[Call], request: SequenceRequest) -> tuple[Returned, SequenceReport]:
        self.requests.append(request)
        return Returned(self.report.results[-1].values), self.report


def _scripted(report: SequenceReport, claims: frozenset[str] = frozenset({"sequence", "digest"})) -> tuple[
        CandidateSpec, list[_SequencingScript]]:
    made: list[_SequencingScript] = []

    def make() -> _SequencingScript:
        adapter = _SequencingScript(report)
        adapter.info = CandidateInfo("scripted", "0", claims)
        made.append(adapter)
        return adapter

    return CandidateSpec("scripted-sequence", "canned sequence accounts", make), made


def _account(rounds: int, received: bytes, sha256: str) -> SequenceReport:
    return SequenceReport(rounds, 0.001, (SequenceResult((None, 8), 0, sha256),
                                          SequenceResult((received,), len(received) * rounds, sha256)))


def test_the_bench_asks_for_digests_and_checks_the_round_count(tmp_path: Path) -> None:
    good = hashlib.sha256(b"12345678" * 20).hexdigest()
    spec, made = _scripted(_account(19, b"12345678", good))
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, spec)
    assert made[0].requests == [SequenceRequest(20, "digest")]
    assert run.verdict is Verdict.FAIL and "the candidate did 19 rounds, expected 20" in run.result.reason
    assert (run.result.expected, run.result.actual) == (("20 rounds",), "19 rounds")


def test_a_candidate_claiming_sequence_without_digest_keeps_harness_timed_rounds(tmp_path: Path) -> None:
    """The echo is a literal string: without a digest a sequence could not check every round."""
    spec, made = _scripted(_account(20, b"12345678", "0" * 64), frozenset({"sequence"}))
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, spec)
    assert made[0].requests == [] and run.harness_timed
    assert [call.function for call in made[0].calls][:2] == ["connect", "send"]  # one call at a time


def test_a_wrong_byte_count_over_the_rounds_fails(tmp_path: Path) -> None:
    spec, _ = _scripted(SequenceReport(20, 0.001, (SequenceResult((None, 8), 0, "0" * 64),
                                                   SequenceResult((b"12345678",), 159, "0" * 64))))
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, spec)
    assert run.verdict is Verdict.FAIL
    assert "159 bytes of value 1 in total, expected 160 (8 x 20)" in run.result.reason
    good = hashlib.sha256(b"12345678" * 20).hexdigest()
    assert run.result.expected == (f"160 bytes, sha256 {good}",)
    assert run.result.actual == f"159 bytes, sha256 {'0' * 64}"


def test_literal_first_values_are_found_only_where_one_string_is_expected(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    connect, send, receive, _ = scenario.steps
    assert literal_first_value(receive, {}) == b"12345678"
    assert literal_first_value(send, {}) is None  # value 1 is nil
    assert literal_first_value(connect, {}) is None  # !type socket


def test_the_shipped_quick_ping_pong_is_scored_for_the_lua_driver() -> None:
    problem = runtime_problem("lua5.4")
    if problem:
        pytest.skip(f"the Lua 5.4 candidate cannot run here: {problem}")
    run = run_workload(shipped_workload("perf.tcp.ping-pong.500"), resolve("luasocket3-lua5.4"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.info is not None and "sequence" in run.info.capabilities
    if "digest" not in run.info.capabilities:
        assert run.harness_timed and run.protocol_bound  # the literal echo needs a digest to be checked
    else:
        assert not run.harness_timed and not run.protocol_bound and run.seconds is not None
