"""The workload section: loaded with the scenario, checked like every other part of a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, load_perf, shipped, write_perf

from harness.bench.workload import RepeatedCall, Rounds
from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_file


def test_a_repeated_step_and_its_expectation_are_loaded(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    workload = scenario.workload
    assert workload.size == 32768 and workload.unit == "bytes"
    assert workload.timed == RepeatedCall(step=1, repeat=8, stop=2)  # step 2 is index 1
    assert (workload.expect.done, workload.expect.bytes, workload.expect.returns) == (8, 32768, ())
    assert workload.ceiling.client == "tcp-drain" and workload.ceiling.peer == "src"
    assert workload.timing == "candidate" and workload.repetitions == 8


def test_a_sha256_of_value_1_is_loaded_with_the_expectation(tmp_path: Path) -> None:
    digest = "0f" * 32
    text = TINY_STREAM.replace("expect: {done: 8,", f"expect: {{sha256: {digest}, done: 8,")
    (scenario,) = load_perf(tmp_path, text)
    assert scenario.workload.expect.sha256 == digest and scenario.workload.expect.bytes == 32768
    (plain,) = load_perf(tmp_path / "plain", TINY_STREAM)
    assert plain.workload.expect.sha256 is None


def test_rounds_are_loaded_with_their_span(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    assert scenario.workload.timed == Rounds(first=1, last=2, rounds=20)
    assert scenario.workload.timing == "harness" and scenario.workload.repetitions == 20
    assert scenario.workload.ceiling.params == {"length": 8}


def _problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_perf(tmp_path, text)
    return str(caught.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("timed: {step: 2, repeat: 8, stop: 2}", "timed: {step: 9, repeat: 8}",
     r"timed\.step: expected a step number from 1 to 4"),
    ("timed: {step: 2, repeat: 8, stop: 2}", "timed: {step: 2, repeat: 0}",
     r"timed\.repeat: expected a whole number > 0"),
    ("unit: bytes", "unit: furlongs", r"workload\.unit: expected one of bytes, lines"),
    ("size: 32768", "size: -1", r"workload\.size: expected a whole number > 0"),
    ("client: tcp-drain", "client: telnet", r"ceiling\.client: expected one of tcp-drain"),
    ("peer: src}", "peer: nobody}", r"ceiling\.peer: expected the name of a peer of this scenario"),
    ("expect: {done: 8,", "expect: {done: -8,", r"expect\.done: expected a whole number >= 0"),
    ("expect: {done: 8,", f"expect: {{sha256: {'AB' * 32}, done: 8,",
     r"expect\.sha256: expected a SHA-256 as 64 lowercase hex digits"),
    ("expect: {done: 8,", f"expect: {{sha256: {'ab' * 31}, done: 8,",
     r"expect\.sha256: expected a SHA-256 as 64 lowercase hex digits"),
    ("expect: {done: 8,", "expect: {sha256: 12, done: 8,",
     r"expect\.sha256: expected a SHA-256 as 64 lowercase hex digits"),
    ("    ceiling: {client: tcp-drain, peer: src}",
     "    ceiling: {client: tcp-drain, peer: src}\n    speed: 11", r"workload\.speed: unknown key"),
])
def test_mistakes_are_reported_at_their_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in TINY_STREAM
    problem = _problem(tmp_path, TINY_STREAM.replace(old, new))
    assert re.search(message, problem), problem
    assert re.search(r"workload\.yaml:\d+: scenarios\[0\]\.workload", problem), problem


def test_no_outcome_of_a_workload_may_stop_it(tmp_path: Path) -> None:
    # A run cut short would have no figure to report.
    text = TINY_STREAM.replace('    expect: {returns: [!any , "closed"]}',
                               '    expect:\n    - returns: [!any , "closed"]\n    - returns: []\n'
                               '      verdict: informational\n      stop: true')
    message = _problem(tmp_path, text)
    assert re.search(r":26: scenarios\[0\]\.workload: a workload runs every step", message), message


def test_the_timed_step_must_be_a_call_without_its_own_expect(tmp_path: Path) -> None:
    with_expect = TINY_STREAM.replace("    args: [4096]\n",
                                      "    args: [4096]\n    expect: {returns: [!any ]}\n")
    assert "must have no expect of its own" in _problem(tmp_path, with_expect)
    signal = TINY_STREAM.replace("  - call: c:close\n", "  - signal: done\n").replace("step: 2,", "step: 4,")
    assert "step 4 (steps[3]) is not a call" in _problem(tmp_path, signal)


def test_rounds_take_calls_only_and_no_expect(tmp_path: Path) -> None:
    with_signal = TINY_PING_PONG.replace("  - call: c:receive\n", "  - signal: half\n  - call: c:receive\n") \
        .replace("steps: [2, 3]", "steps: [2, 4]")
    assert "every step of the rounds must be a call; step 3 is not" in _problem(tmp_path, with_signal)
    backwards = TINY_PING_PONG.replace("steps: [2, 3]", "steps: [3, 2]")
    assert "the last step comes before the first" in _problem(tmp_path, backwards)
    with_expect = TINY_PING_PONG.replace("    timed: {steps: [2, 3], rounds: 20}\n",
                                         "    timed: {steps: [2, 3], rounds: 20}\n    expect: {done: 20}\n")
    assert "expect goes with a repeated step" in _problem(tmp_path, with_expect)


def test_a_ceiling_client_needs_its_parameters(tmp_path: Path) -> None:
    problem = _problem(tmp_path, TINY_PING_PONG.replace(", length: 8}", "}"))
    assert "ceiling.length: missing required key" in problem


def test_workloads_belong_to_the_perf_area_and_perf_scenarios_have_one(tmp_path: Path) -> None:
    elsewhere = tmp_path / "tcp" / "w.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(TINY_STREAM.replace("id: perf.tiny.stream", "id: tcp.tiny.stream"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="only scenarios under perf/ have a workload"):
        load_file(elsewhere)
    without = TINY_STREAM[:TINY_STREAM.index("  workload:")]
    with pytest.raises(ScenarioError, match="a perf scenario needs a workload section"):
        load_file(write_perf(tmp_path, without, "bare.yaml"))


def test_every_shipped_workload_has_a_quick_twin_and_names_its_size() -> None:
    perf = [scenario for scenario in shipped().scenarios if scenario.id.startswith("perf.")]
    assert perf and all(scenario.workload is not None and "perf" in scenario.tags for scenario in perf)
    full = {scenario.id.rsplit(".", 1)[0] for scenario in perf if "quick" not in scenario.tags}
    quick = {scenario.id.rsplit(".", 1)[0] for scenario in perf if "quick" in scenario.tags}
    assert full == quick, "each workload comes in a full size and a quick one"
    assert len(full) >= 10
    for scenario in perf:
        assert re.search(r"\.\d+(k|mib)?$", scenario.id), f"{scenario.id} names its size"
        assert scenario.workload.ceiling is not None, f"{scenario.id} has no ceiling client"


def test_shipped_workloads_check_what_they_transferred() -> None:
    """A fast wrong answer must fail: every repeated step states its repetitions and its bytes."""
    for scenario in shipped().scenarios:
        workload = scenario.workload
        if workload is None or not isinstance(workload.timed, RepeatedCall):
            continue
        assert workload.expect.done is not None, scenario.id
        assert workload.expect.returns is not None, scenario.id
        counted = workload.expect.bytes is not None
        checked = any(type(step).__name__ in ("CheckStep", "CheckCallbackStep") for step in scenario.steps)
        assert counted or checked, f"{scenario.id} checks neither the bytes counted nor what arrived"
