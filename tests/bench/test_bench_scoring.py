"""Figures from samples: rates, medians, ratios, the score and what it leaves out; the reports."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, load_perf

from harness.adapters.base import CandidateInfo
from harness.bench import machine
from harness.bench.document import bench_document
from harness.bench.scoring import NEAR_CEILING, PEER_BUSY, score, spread, workload_figures
from harness.bench.session import SideRuns, WorkloadRuns
from harness.results import SCHEMA_FILE, check_document
from harness.scenario.model import Scenario, ScenarioResult, Verdict
from reports import bench_svg, html, markdown
from reports.bench_text import score_line, show_ceiling, show_load, show_rate, show_ratio

SETTINGS = {"pairs": 3, "warmup": 1, "quick": True, "command": "lsconform bench --candidate lua --quick",
            "machine": {"cpu": "Test CPU", "cores": 2, "python": "3.11.7", "platform": "Linux",
                        "load_before": [0.5, 0.4, 0.3]}}


def _side(scenario: Scenario, name: str, seconds: list[float], verdict: Verdict = Verdict.PASS,
          protocol_bound: bool = False, callbacks: int = 0,
          peer_loads: list[float] | None = None, candidate_loads: list[float] | None = None,
          peer_waits: list[float] | None = None) -> SideRuns:
    result = ScenarioResult(scenario.id, name, verdict, 0.1, reason="" if verdict is Verdict.PASS else "bad",
                            step="x:1", actual="", transcript=())
    info = CandidateInfo(name, f"{name} 1.0")
    return SideRuns(name, list(seconds), result, protocol_bound, callbacks, info, peer_loads=peer_loads or [],
                    candidate_loads=candidate_loads or [], peer_waits=peer_waits or [])


def _runs(scenario: Scenario, reference: list[float], candidate: list[float],
          ceiling: list[float] | None = None, reference_loads: list[float] | None = None,
          **candidate_options: Any) -> WorkloadRuns:
    return WorkloadRuns(scenario, {"reference": _side(scenario, "reference", reference,
                                                      peer_loads=reference_loads),
                                   "lua": _side(scenario, "lua", candidate, **candidate_options)},
                        ceiling_seconds=ceiling or [])


@pytest.fixture
def stream(tmp_path: Path) -> Scenario:
    return load_perf(tmp_path, TINY_STREAM)[0]


@pytest.fixture
def ping_pong(tmp_path: Path) -> Scenario:
    return load_perf(tmp_path / "pp", TINY_PING_PONG)[0]


def test_spread_is_median_min_and_max() -> None:
    assert spread([3.0, 1.0, 2.0, 10.0]) == {"median": 2.5, "min": 1.0, "max": 10.0}
    assert spread([]) == {"median": None, "min": None, "max": None}


def test_rates_medians_and_the_ratio(stream: Scenario) -> None:
    figures = workload_figures(_runs(stream, [1.0, 2.0, 4.0], [4.0, 8.0, 16.0], ceiling=[0.5]), "reference")
    reference, lua = figures["sides"]["reference"], figures["sides"]["lua"]
    assert reference["rates"] == [32768.0, 16384.0, 8192.0]
    assert (reference["median"], reference["min"], reference["max"]) == (16384.0, 8192.0, 32768.0)
    assert lua["median"] == 4096.0
    assert figures["ratios"] == {"lua": 0.25}
    assert figures["ceiling"]["median"] == 65536.0 and figures["ceiling"]["client"] == "tcp-drain"
    assert (figures["id"], figures["unit"], figures["timing"]) == ("perf.tiny.stream", "bytes", "candidate")


def test_a_side_near_the_ceiling_is_marked(stream: Scenario) -> None:
    ceiling = 1.0  # 32768 units/s
    close = 1.0 / NEAR_CEILING
    figures = workload_figures(_runs(stream, [close * 0.99], [close * 1.5], ceiling=[ceiling]), "reference")
    assert figures["sides"]["reference"]["near_ceiling"] is True
    assert figures["sides"]["lua"]["near_ceiling"] is False
    result = score([figures], "lua", "reference")
    assert result["count"] == 1 and result["near_ceiling"] == ["perf.tiny.stream"]
    line = score_line("lua", result, 1)
    assert "1 of them near a peer's ceiling, where the ceiling cannot tell" in line
    assert "understating" not in line  # near the ceiling alone is not a peer limit


def test_a_side_whose_peers_were_busy_is_marked(stream: Scenario) -> None:
    busy = [PEER_BUSY + 0.15, PEER_BUSY - 0.05, PEER_BUSY + 0.01]  # median just at or above the mark
    idle = [0.2, 0.9, 0.3]  # one busy run does not make the side busy: the median decides
    figures = workload_figures(_runs(stream, [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], reference_loads=idle,
                                     peer_loads=busy), "reference")
    reference, lua = figures["sides"]["reference"], figures["sides"]["lua"]
    assert (reference["peer_load"], reference["peer_busy"], reference["peer_loads"]) == (0.3, False, idle)
    assert math.isclose(lua["peer_load"], PEER_BUSY + 0.01) and lua["peer_busy"] is True
    result = score([figures], "lua", "reference")
    assert result["count"] == 1 and result["near_ceiling"] == []
    assert result["peer_busy"] == ["perf.tiny.stream"]
    unmeasured = workload_figures(_runs(stream, [1.0], [2.0]), "reference")["sides"]["lua"]
    assert (unmeasured["peer_load"], unmeasured["peer_busy"], unmeasured["peer_loads"]) == (None, False, [])
    assert result["peer_bound"] == [] and lua["peer_bound"] is False  # busy, but far from the ceiling


def test_the_peers_wait_for_a_core_counts_towards_busy(stream: Scenario) -> None:
    """Peers that were ready to work but had no core were not idle either: load plus wait decides."""
    loads, waits = [PEER_BUSY - 0.1] * 3, [0.05, 0.15, 0.12]
    figures = workload_figures(_runs(stream, [1.0] * 3, [2.0] * 3, reference_loads=loads,
                                     peer_loads=loads, peer_waits=waits), "reference")
    reference, lua = figures["sides"]["reference"], figures["sides"]["lua"]
    assert (reference["peer_wait"], reference["peer_waits"], reference["peer_busy"]) == (None, [], False)
    assert math.isclose(lua["peer_wait"], 0.12) and lua["peer_waits"] == waits and lua["peer_busy"] is True
    assert (show_load(reference), show_load(lua)) == ("0.70", "0.70+0.12")
    assert show_load(lua, "candidate") == "-"  # the wait belongs to the peers only
    assert score([figures], "lua", "reference")["peer_busy"] == ["perf.tiny.stream"]


def test_the_candidates_own_load_is_its_median_and_changes_no_mark(stream: Scenario) -> None:
    waited = [0.5, 0.95, 0.6]
    figures = workload_figures(_runs(stream, [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], candidate_loads=waited),
                               "reference")
    reference, lua = figures["sides"]["reference"], figures["sides"]["lua"]
    assert (lua["candidate_load"], lua["candidate_loads"]) == (0.6, waited)
    assert (reference["candidate_load"], reference["candidate_loads"]) == (None, [])  # not reported
    assert (lua["peer_busy"], lua["near_ceiling"], lua["peer_bound"]) == (False, False, False)


def test_a_side_both_busy_and_near_the_ceiling_is_peer_bound(stream: Scenario) -> None:
    close = 1.0 / NEAR_CEILING  # seconds that put a side just at the ceiling's mark (ceiling: 1 s)
    busy, idle = [PEER_BUSY + 0.1], [0.2]
    figures = workload_figures(_runs(stream, [close * 0.99], [close * 0.99], ceiling=[1.0],
                                     reference_loads=idle, peer_loads=busy), "reference")
    reference, lua = figures["sides"]["reference"], figures["sides"]["lua"]
    marks = ("near_ceiling", "peer_busy", "peer_bound")
    assert [reference[mark] for mark in marks] == [True, False, False]
    assert [lua[mark] for mark in marks] == [True, True, True]
    result = score([figures], "lua", "reference")
    assert result["peer_bound"] == ["perf.tiny.stream"] == result["peer_busy"] == result["near_ceiling"]
    line = score_line("lua", result, 1)
    assert "1 where by both measures the peers set the pace, understating the faster side: perf.tiny.stream" \
        in line


def test_the_score_is_a_geometric_mean_over_what_measures_the_candidate(stream: Scenario, ping_pong: Scenario,
                                                                         tmp_path: Path) -> None:
    other = replace(stream, id="perf.tiny.other")
    failed = replace(stream, id="perf.tiny.failed")
    workloads = [
        workload_figures(_runs(stream, [1.0], [2.0]), "reference"),  # ratio 0.5
        workload_figures(_runs(other, [2.0], [1.0]), "reference"),  # ratio 2
        workload_figures(_runs(ping_pong, [1.0], [4.0], protocol_bound=True), "reference"),
        workload_figures(_runs(failed, [1.0], [], verdict=Verdict.FAIL), "reference"),
    ]
    result = score(workloads, "lua", "reference")
    assert result["count"] == 2 and math.isclose(result["geomean"], 1.0) and result["near_ceiling"] == []
    assert result["excluded"] == [
        {"id": "perf.tiny.ping-pong", "why": "lua: one protocol round trip per call of every exchange"},
        {"id": "perf.tiny.failed", "why": "lua: FAIL"},
    ]
    assert workloads[3]["ratios"] == {"lua": None} and workloads[3]["sides"]["lua"]["reason"] == "bad"
    assert score(workloads[2:], "lua", "reference")["geomean"] is None


def _document(stream: Scenario, ping_pong: Scenario, tmp_path: Path) -> dict[str, Any]:
    runs = [_runs(stream, [1.0, 1.1], [2.0, 2.2], ceiling=[0.1], reference_loads=[0.25, 0.35],
                  peer_loads=[0.9, 0.95], candidate_loads=[0.5, 0.7], peer_waits=[0.01, 0.03]),
            _runs(ping_pong, [1.0], [3.0], protocol_bound=True)]
    return bench_document(runs, "reference", ["lua"], root=tmp_path, wall_time=12.5, time_scale=1.0,
                          settings=SETTINGS)


def test_the_document_is_a_valid_results_file(stream: Scenario, ping_pong: Scenario, tmp_path: Path) -> None:
    document = _document(stream, ping_pong, tmp_path)
    check_document(document)
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(document)))
    assert {(r["scenario"], r["candidate"], r["verdict"], r["area"]) for r in document["results"]} == {
        ("perf.tiny.stream", "reference", "PASS", "perf"), ("perf.tiny.stream", "lua", "PASS", "perf"),
        ("perf.tiny.ping-pong", "reference", "PASS", "perf"), ("perf.tiny.ping-pong", "lua", "PASS", "perf")}
    assert [c["version"] for c in document["candidates"]] == ["reference 1.0", "lua 1.0"]
    bench = document["bench"]
    assert bench["machine"]["load_after"] is not None and bench["machine"]["cpu"] == "Test CPU"
    assert bench["scores"]["lua"]["count"] == 1


def test_the_schema_refuses_a_malformed_bench_section(stream: Scenario, ping_pong: Scenario,
                                                      tmp_path: Path) -> None:
    document = json.loads(json.dumps(_document(stream, ping_pong, tmp_path)))
    document["bench"]["workloads"][0]["unit"] = "parsecs"
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)


def test_the_markdown_summary_has_the_figures(stream: Scenario, ping_pong: Scenario, tmp_path: Path) -> None:
    text = markdown.render(_document(stream, ping_pong, tmp_path))
    assert "## Throughput" in text
    assert ("| workload | unit | reference | lua | lua / reference | peer ceiling | peer load+wait "
            "| candidate load |") in text
    rows = [line for line in text.splitlines() if line.startswith("| perf.tiny")]
    assert rows == [
        "| perf.tiny.stream | MB/s | 0.0313 (0.0298–0.0328) | 0.0156 (0.0149–0.0164)! | 0.50 | 0.328 "
        "| 0.30 / 0.93+0.02 | - / 0.60 |",
        "| perf.tiny.ping-pong | k exchanges/s | 0.02 (0.02–0.02) | 0.00667 (0.00667–0.00667)† | 0.33 | - "
        "| - / - | - / - |",
    ]
    assert "1 with the harness's peers busy at least 80% of the time: perf.tiny.stream" in text
    assert "by both measures" not in text  # busy, but far below the ceiling: not peer-bound
    assert "lua: throughput score 0.50 (geometric mean of the candidate/reference ratios over 1 of 2" in text
    assert "not scored: perf.tiny.ping-pong: lua: one protocol round trip" in text
    assert "near a peer's ceiling" not in text  # both sides far below the plain client's rate


def test_the_html_report_has_one_inline_chart_per_workload(stream: Scenario, ping_pong: Scenario,
                                                            tmp_path: Path) -> None:
    document = _document(stream, ping_pong, tmp_path)
    document["bench"]["workloads"][0]["title"] = '</svg><script>alert("x")</script>'
    page = html.render(document)
    assert page.count("<svg") == 2 and page.count("</svg>") == 2
    assert "<script>alert" not in page and "&lt;/svg&gt;&lt;script&gt;" in page
    assert not re.search(r"(?:https?|ftp)://", page)
    assert "@BENCH@" not in page and 'id="bench"' in page
    assert bench_svg.section({"results": []}) == ""
    without = dict(document)
    del without["bench"]
    assert 'id="bench"' not in html.render(without)


def test_figures_keep_their_size_at_both_ends() -> None:
    # A candidate 500 times slower is not "0.00"; a rate just under 1000 is not "1e+03".
    assert [show_ratio(ratio) for ratio in (0.00202, 0.0456, 0.0951, 0.5, 1.234, None)] == [
        "0.002", "0.046", "0.10", "0.50", "1.23", "-"]
    assert [show_rate(rate, "bytes") for rate in (999.6e6, 999.4e6, 1234.5e6, 12.345e6)] == [
        "1000", "999", "1234", "12.3"]


def test_a_ceiling_that_failed_after_some_rounds_says_both_in_every_view(
        stream: Scenario, ping_pong: Scenario, tmp_path: Path) -> None:
    document = _document(stream, ping_pong, tmp_path)
    ceiling = document["bench"]["workloads"][0]["ceiling"]
    ceiling["error"] = "harness error:\nTraceback (most recent call last):\n  ..."
    expected = "0.328 (then an error: harness error:)"
    assert show_ceiling(ceiling, "bytes") == expected
    lines = markdown.render(document).splitlines()
    row = next(line for line in lines if line.startswith("| perf.tiny.stream"))
    assert f"| {expected} |" in row, "one table row, not broken by the error's lines"
    assert f"peer ceiling {expected}" in html.render(document)
    assert show_ceiling({"median": None, "error": "refused\nmore"}, "bytes") == "not measured: refused"


@pytest.mark.parametrize("force", [True, False])
def test_the_summary_warns_when_upload_buffers_were_left_to_autotuning(
        stream: Scenario, ping_pong: Scenario, tmp_path: Path, force: bool) -> None:
    unfixed = machine.unfixed_receive_buffers([_with_rcvbuf(stream, 4 << 20), ping_pong], force, 212992)
    assert unfixed == ([] if force else [stream.id])
    settings = {**SETTINGS, "machine": {**SETTINGS["machine"], "rcvbuf_force": force, "rmem_max": 212992,
                                        "rcvbuf_autotuned": unfixed}}
    runs = [_runs(stream, [1.0], [2.0])]
    document = bench_document(runs, "reference", ["lua"], root=tmp_path, wall_time=1.0, time_scale=1.0,
                              settings=settings)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(
        json.loads(json.dumps(document)))
    warned = f"net.core.rmem_max, 212992 bytes): {stream.id};" in markdown.render(document)
    assert warned is not force


def test_a_buffer_within_the_limit_is_fixed_without_the_privilege(stream: Scenario) -> None:
    assert machine.unfixed_receive_buffers([_with_rcvbuf(stream, 212992)], False, 212992) == []


def _with_rcvbuf(scenario: Scenario, size: int) -> Scenario:
    peers = tuple(dataclasses.replace(peer, options={**peer.options, "rcvbuf": size})
                  for peer in scenario.peers)
    return dataclasses.replace(scenario, peers=peers)


def test_the_machine_says_whether_receive_buffers_can_be_forced() -> None:
    described = machine.describe()
    assert isinstance(described["rcvbuf_force"], bool) and described["rcvbuf_autotuned"] == []
    assert described["rmem_max"] == int(Path("/proc/sys/net/core/rmem_max").read_text())
