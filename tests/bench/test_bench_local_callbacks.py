"""Indirect workloads through drivers: local callbacks (PROTOCOL.md section 7.1) make them scored.

A driver that claims ``local-callbacks`` runs the timed call's callbacks
itself: no round trip, the ``check-callback:`` and ``check:`` steps still
judge the data, and the figure is scored. A driver without the capability
answers the same workload through round trips: correct, shown with its
mark, not scored. Nothing here asserts a speed.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from bench_support import load_perf, shipped_workload

from harness.bench.execution import run_workload
from harness.bench.scoring import bench_section
from harness.bench.session import BenchOptions, run_session
from harness.candidates.registry import resolve
from harness.scenario.model import Verdict

DRIVERS_TESTS = Path(__file__).resolve().parents[1] / "drivers"
ROOT = DRIVERS_TESTS.parents[1]
VARIANT = DRIVERS_TESTS / "broken" / "variant_driver.py"
WITHOUT = [sys.executable, str(VARIANT), "no-local-callbacks", "--path", str(ROOT), "reference"]
"""The Python driver over the reference, its hello without ``local-callbacks``."""


def without_local_callbacks():
    return resolve("driver:" + shlex.join(WITHOUT))


def test_a_local_callback_driver_streams_an_indirect_workload_with_no_round_trip():
    for scenario_id in ("perf.http.getindirect.1mib", "perf.ftp.putindirect.1mib"):
        run = run_workload(shipped_workload(scenario_id), resolve("reference-driver"))
        assert run.verdict is Verdict.PASS, run.result.reason
        assert run.out_of_process and run.callback_calls == 0 and not run.protocol_bound
        assert run.seconds is not None


def test_a_driver_without_the_capability_keeps_its_round_trips_and_its_mark():
    run = run_workload(shipped_workload("perf.http.getindirect.1mib"), without_local_callbacks())
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.callback_calls > 1 and run.protocol_bound


def test_the_score_counts_the_local_callback_driver_and_leaves_the_other_out():
    options = BenchOptions(pairs=1, warmup=0, ceiling=False)
    candidates = [resolve("reference-driver"), without_local_callbacks()]
    runs = run_session([shipped_workload("perf.http.postindirect.1mib")], resolve("reference"), candidates,
                       options)
    local, remote = (spec.name for spec in candidates)
    section = bench_section(runs, "reference", [local, remote], {})
    (figures,) = section["workloads"]
    assert figures["sides"][local]["verdict"] == figures["sides"][remote]["verdict"] == "PASS"
    assert not figures["sides"][local]["protocol_bound"] and figures["sides"][local]["callback_calls"] == 0
    assert figures["sides"][remote]["protocol_bound"] and figures["sides"][remote]["callback_calls"] > 1
    scores = section["scores"]
    assert scores[local]["count"] == 1 and scores[local]["excluded"] == []
    assert scores[remote]["count"] == 0
    assert scores[remote]["excluded"] == [
        {"id": "perf.http.postindirect.1mib", "why": f"{remote}: callbacks crossed the driver protocol"}]


LISTED_CALLS = """\
scenarios:
- id: perf.tiny.putindirect-calls
  title: ftp_putindirect from a send callback whose every call is checked
  manual: FTP / ftp_putindirect
  spec: "§12.2"
  tags: [perf]
  peers:
    srv:
      kind: ftp-server
      options:
        anonymous: {writable: true}
  callbacks:
    source: {kind: send, generate: {size: 100000, pattern: "0123456789abc", chunk: 65536}}
  steps:
  - call: ftp_putindirect
    args: [!fmt "ftp://{srv.host}:{srv.port}/up.bin", !callback source, "b"]
    deadline: 30
  - check-callback: source
    calls: [[], [], []]
  workload:
    size: 100000
    unit: bytes
    timed: {step: 1, repeat: 1}
    expect: {done: 1, returns: []}
"""


def test_a_callback_whose_every_call_is_checked_stays_with_the_harness(tmp_path):
    (scenario,) = load_perf(tmp_path, LISTED_CALLS)
    run = run_workload(scenario, resolve("reference-driver"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.callback_calls == 3 and run.protocol_bound
    (offered,) = load_perf(tmp_path, LISTED_CALLS.replace("calls: [[], [], []]", "count: 3"))
    run = run_workload(offered, resolve("reference-driver"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.callback_calls == 0 and not run.protocol_bound


def test_a_wrong_local_account_fails_the_run_and_gets_no_figure():
    command = [sys.executable, str(VARIANT), "local-digest-wrong", "--path", str(ROOT), "reference"]
    candidate = resolve("driver:" + shlex.join(command))
    run = run_workload(shipped_workload("perf.http.getindirect.1mib"), candidate)
    assert run.verdict is Verdict.FAIL and run.seconds is None
    assert run.result.reason.startswith("check-callback sink: digest:")
    notes = [entry.text for entry in run.result.transcript]
    assert any(text.startswith("sink ran inside the candidate (local callback): ") for text in notes), notes
