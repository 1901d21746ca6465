"""Workloads that state value 1's SHA-256: checked by digest where the candidate can hash, else by length.

A candidate that can hash (in process, or a driver claiming ``digest``) is
asked for ``discard: "digest"`` and FAILs on a wrong digest even when every
count is right; one that cannot is checked by length, and its figure is
flagged ``length_only``: shown with its mark, never scored.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
from bench_support import TINY_STREAM, load_perf

from harness.adapters.base import CandidateSpec
from harness.adapters.driver import DriverAdapter
from harness.bench.document import bench_document
from harness.bench.execution import run_workload
from harness.bench.scoring import LENGTH_ONLY, score, workload_figures
from harness.bench.session import BenchOptions, run_session
from harness.candidates.luasocket3 import runtime_problem
from harness.candidates.registry import resolve
from harness.results import SCHEMA_FILE, check_document
from harness.scenario.model import Scenario, Verdict
from reports import bench_text, html, markdown

ROOT = Path(__file__).resolve().parents[2]
VARIANT_DRIVER = ROOT / "tests" / "drivers" / "broken" / "variant_driver.py"
STREAM_SHA256 = hashlib.sha256(b"abcd" * 8192).hexdigest()
WITH_DIGEST = TINY_STREAM.replace("expect: {done: 8, bytes: 32768, returns: []}",
                                  f"expect: {{done: 8, bytes: 32768, sha256: {STREAM_SHA256}, returns: []}}")


def _variant(mode: str) -> CandidateSpec:
    """The Python driver over the reference, with one deliberate change (tests/drivers/broken)."""
    command = [sys.executable, str(VARIANT_DRIVER), mode, "--path", str(ROOT), "reference"]
    return CandidateSpec(f"reference-{mode}", mode, lambda: DriverAdapter(command, name_hint=mode))


@pytest.fixture
def stream(tmp_path: Path) -> Scenario:
    assert WITH_DIGEST != TINY_STREAM
    (scenario,) = load_perf(tmp_path, WITH_DIGEST)
    assert scenario.workload.expect.sha256 == STREAM_SHA256
    return scenario


@pytest.mark.parametrize("candidate", ["reference", "reference-driver"])
def test_a_candidate_that_can_hash_is_checked_by_digest(stream: Scenario, candidate: str) -> None:
    run = run_workload(stream, resolve(candidate))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.correct and not run.length_only and not run.protocol_bound


def test_a_wrong_byte_of_the_right_length_fails_naming_both_digests(stream: Scenario) -> None:
    run = run_workload(stream, resolve("python:bench_corrupt"))
    assert run.verdict is Verdict.FAIL and run.seconds is None and not run.correct
    received = hashlib.sha256(b"`bcd" + b"abcd" * 8191).hexdigest()  # "a" ^ 1 is "`"
    assert f"has SHA-256 {received}, expected {STREAM_SHA256}" in run.result.reason
    assert "the length is right" in run.result.reason
    assert re.search(rf"done 8, bytes 32768, sha256 {received}", run.result.actual), run.result.actual


def test_the_same_wrong_byte_passes_a_workload_that_states_no_digest(tmp_path: Path) -> None:
    """What the digest adds: by counts alone the corrupted stream looks right."""
    (scenario,) = load_perf(tmp_path, TINY_STREAM)
    assert run_workload(scenario, resolve("python:bench_corrupt")).verdict is Verdict.PASS


def test_a_driver_without_digest_is_checked_by_length_and_flagged(stream: Scenario) -> None:
    run = run_workload(stream, _variant("digest-refused"))
    assert run.verdict is Verdict.PASS, run.result.reason
    assert run.correct and run.length_only and run.seconds is not None
    assert not run.protocol_bound


def test_a_length_only_figure_is_shown_marked_and_not_scored(stream: Scenario, tmp_path: Path) -> None:
    candidates = [_variant("digest-refused"), resolve("reference-driver")]
    options = BenchOptions(pairs=1, warmup=0, ceiling=False)
    runs = run_session([stream], resolve("reference"), candidates, options)
    figures = workload_figures(runs[0], "reference")
    unhashed, hashed = figures["sides"]["reference-digest-refused"], figures["sides"]["reference-driver"]
    assert unhashed["length_only"] is True and unhashed["median"] is not None
    assert hashed["length_only"] is False and figures["sides"]["reference"]["length_only"] is False
    left_out = score([figures], "reference-digest-refused", "reference")
    assert left_out["count"] == 0 and left_out["excluded"] == [
        {"id": stream.id, "why": f"reference-digest-refused: {LENGTH_ONLY}"}]
    scored = score([figures], "reference-driver", "reference")
    assert scored["count"] == 1, (scored, figures["sides"]["reference-driver"])
    # The peer-busy mark may follow (a loaded machine): the length mark is among the figure's marks.
    assert bench_text.LENGTH_MARK in bench_text.marks(unhashed)
    assert bench_text.show_side(unhashed, "bytes").endswith(bench_text.marks(unhashed))
    assert bench_text.LENGTH_MARK not in bench_text.show_side(hashed, "bytes")
    assert f"{bench_text.LENGTH_MARK} checked by length only" in " ".join(bench_text.notes())
    document = bench_document(runs, "reference", [spec.name for spec in candidates], root=tmp_path,
                              wall_time=1.0, time_scale=1.0,
                              settings={"pairs": 1, "warmup": 0, "quick": True, "command": "lsconform bench",
                                        "machine": {"cpu": "Test CPU", "cores": 2, "python": "3.11.7",
                                                    "platform": "Linux", "load_before": [0.1, 0.1, 0.1]}})
    check_document(document)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(
        json.loads(json.dumps(document)))
    summary = markdown.render(document)
    assert f"not scored: {stream.id}: reference-digest-refused: {LENGTH_ONLY}" in summary
    row = next(line for line in summary.splitlines() if line.startswith(f"| {stream.id}"))
    assert row.count(bench_text.LENGTH_MARK) == 1
    assert bench_text.LENGTH_MARK in html.render(document)


def test_the_lua_driver_hashes_what_it_received(tmp_path: Path) -> None:
    problem = runtime_problem("lua5.4")
    if problem:
        pytest.skip(f"the Lua 5.4 candidate cannot run here: {problem}")
    candidate = resolve("luasocket3-lua5.4")
    adapter = candidate.make_adapter()
    try:
        if not adapter.claims("digest"):
            pytest.skip("the Lua driver has no SHA-256 module here (apt-get install lua-luaossl)")
    finally:
        adapter.close()
    (right,) = load_perf(tmp_path, WITH_DIGEST)
    run = run_workload(right, candidate)
    assert run.verdict is Verdict.PASS and not run.length_only, run.result.reason
    (wrong,) = load_perf(tmp_path / "wrong", WITH_DIGEST.replace(STREAM_SHA256, "0" * 64))
    run = run_workload(wrong, candidate)
    assert run.verdict is Verdict.FAIL
    assert f"has SHA-256 {STREAM_SHA256}, expected {'0' * 64}" in run.result.reason
