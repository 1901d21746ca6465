"""One run of a workload: correct runs get the candidate's own time, wrong ones get none."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, load_perf, shipped_workload

from harness import capabilities
from harness.adapters.base import Call, CandidateSpec, Returned
from harness.adapters.driver_spec import driver_candidate
from harness.adapters.scripted import ScriptedAdapter
from harness.bench.execution import run_workload
from harness.candidates.luasocket3 import runtime_problem
from harness.candidates.registry import resolve
from harness.runner import run_scenario
from harness.scenario.model import Verdict
from harness.values import Handle

README = Path(__file__).resolve().parents[2] / "scenarios" / "README.md"


def test_a_correct_run_is_timed_by_the_candidate(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, resolve("reference"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.correct and run.seconds is not None and 0 < run.seconds < 5
    assert not run.protocol_bound and not run.out_of_process and run.callback_calls == 0
    assert run.info is not None and run.info.name == "reference"


def test_a_fast_wrong_answer_fails_and_gets_no_time(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, resolve("python:bench_lossy"))
    assert run.verdict is Verdict.FAIL
    assert run.seconds is None and not run.correct
    assert "bytes of value 1 in total, expected 32768" in run.result.reason
    text = "\n".join(entry.text for entry in run.result.transcript)
    assert re.search(r"c:receive\(4096\) x8 -> .*\(done 8, 32760 bytes", text), text


def test_a_missing_function_is_unimplemented(tmp_path: Path) -> None:
    text = TINY_STREAM.replace("  - call: c:receive\n    args: [4096]\n", "  - call: no_such_function\n")
    (scenario,) = load_perf(tmp_path, text)
    run = run_workload(scenario, resolve("reference"))
    assert run.verdict is Verdict.UNIMPLEMENTED and run.seconds is None


def test_rounds_in_process_run_as_one_sequence_timed_by_the_candidate(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, resolve("reference"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert not run.harness_timed and not run.protocol_bound and run.seconds is not None


def test_a_wrong_answer_in_the_last_round_names_the_step(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_PING_PONG)
    run = run_workload(scenario, resolve("python:bench_lossy"))
    assert run.verdict is Verdict.FAIL and run.seconds is None
    assert "round 20 of 20 (the last): c:receive(8)" in run.result.reason


@pytest.mark.parametrize("scenario_id", [
    "perf.tcp.receive-all.4mib", "perf.tcp.receive-line.10k", "perf.tcp.receive-count.4mib",
    "perf.udp.receive.5k", "perf.http.get.1mib", "perf.http.post.1mib", "perf.ftp.get.1mib",
    "perf.ftp.putindirect.1mib", "perf.smtp.mail.10",
])
def test_the_quick_workloads_are_correct_for_the_reference(scenario_id: str) -> None:
    scenario = shipped_workload(scenario_id)
    for name in scenario.requires:
        why = capabilities.why_missing(name)
        if why:
            pytest.skip(f"{scenario_id} requires {name}: {why}")
    run = run_workload(scenario, resolve("reference"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.seconds is not None and run.seconds > 0


def test_callbacks_in_process_are_counted_but_do_not_bind_the_figure() -> None:
    run = run_workload(shipped_workload("perf.http.getindirect.1mib"), resolve("reference"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.callback_calls > 100  # 1 MiB in 8 KiB chunks
    assert not run.protocol_bound


def test_the_runner_runs_a_workload_once_as_a_correctness_check(tmp_path: Path) -> None:
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    assert run_scenario(scenario, resolve("reference")).verdict is Verdict.PASS
    assert run_scenario(scenario, resolve("python:bench_lossy")).verdict is Verdict.FAIL


def test_the_format_page_example_is_a_working_workload(tmp_path: Path) -> None:
    block = next(block for block in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S)
                 if "workload:" in block and block.startswith("scenarios:"))
    (scenario,) = load_perf(tmp_path, block)
    run = run_workload(scenario, resolve("reference"))
    assert run.verdict is Verdict.PASS, run.result.reason


def test_a_lua_candidate_runs_a_workload_through_its_driver(tmp_path: Path) -> None:
    problem = runtime_problem("lua5.4")
    if problem:
        pytest.skip(f"the Lua 5.4 candidate cannot run here: {problem}")
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, resolve("luasocket3-lua5.4"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.out_of_process and not run.protocol_bound and run.seconds is not None


def test_an_adapter_that_cannot_repeat_is_a_crash_not_a_figure(tmp_path: Path) -> None:
    def answer(call: Call) -> Returned:
        return Returned((Handle(1, "tcp-client"),) if call.function == "connect" else ())

    scripted = CandidateSpec("scripted", "canned answers", lambda: ScriptedAdapter(answer))
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, scripted)
    assert run.verdict is Verdict.CRASH and run.seconds is None
    assert "cannot repeat a call" in run.result.reason


def test_a_driver_without_repeat_is_skipped_with_the_reason_not_failed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, str(root / "tests" / "drivers" / "broken" / "variant_driver.py"), "no-repeat",
               "--path", str(root), "reference"]
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    run = run_workload(scenario, driver_candidate("reference-no-repeat", command))
    assert run.verdict is Verdict.SKIP and run.seconds is None
    assert "does not claim 'repeat'" in run.result.reason
