"""``lsconform bench`` end to end, and perf workloads kept out of ordinary runs."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from bench_support import TINY_PING_PONG, TINY_STREAM, shipped, write_perf

from harness.adapters.base import Adapter, CandidateSpec
from harness.bench import session
from harness.cli.bench import choose_reference, command_line, select_workloads
from harness.cli.main import build_parser, main

pytest_plugins = ["pytester"]

PLAIN_SCENARIO = """\
scenarios:
- id: dns.toip.plain
  title: toip of an address is that address
  manual: DNS / toip
  spec: "§9"
  steps:
  - call: toip
    args: ["127.0.0.1"]
    expect: {returns: ["127.0.0.1", !type table]}
"""


def _root(tmp_path: Path) -> Path:
    """Two quick workloads, one full-size one (the tiny stream again) and an ordinary scenario."""
    root = tmp_path / "scenarios"
    write_perf(root, TINY_STREAM, "stream.yaml")
    write_perf(root, TINY_PING_PONG, "ping-pong.yaml")
    full = TINY_STREAM.replace("id: perf.tiny.stream", "id: perf.tiny.full")
    write_perf(root, full.replace("[perf, quick]", "[perf]"), "full.yaml")
    (root / "dns").mkdir(exist_ok=True)
    (root / "dns" / "plain.yaml").write_text(PLAIN_SCENARIO, encoding="utf-8")
    return root


def _bench(tmp_path: Path, *args: str) -> int:
    return main(["bench", "--scenarios", str(_root(tmp_path)), "--out", str(tmp_path / "out"),
                 "--pairs", "1", "--warmup", "0", *args])


def test_a_run_writes_every_report_with_the_figures(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench(tmp_path, "--candidate", "python:reference", "--quick") == 0
    out = capsys.readouterr().out
    assert "perf.tiny.stream round 1/1: reference " in out
    assert "| perf.tiny.stream | MB/s |" in out and "python:reference: throughput score" in out
    assert "fewer than 5 measured rounds: figures for a smoke run only" in out
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {r["scenario"] for r in document["results"]} == {"perf.tiny.stream", "perf.tiny.ping-pong"}
    assert {r["candidate"] for r in document["results"]} == {"reference", "python:reference"}
    bench = document["bench"]
    assert bench["command"] == ("lsconform bench --candidate python:reference --quick --pairs 1 --warmup 0 "
                                f"--scenarios {tmp_path / 'scenarios'}")
    assert [w["id"] for w in bench["workloads"]] == ["perf.tiny.ping-pong", "perf.tiny.stream"]
    assert all(w["ceiling"]["median"] for w in bench["workloads"]), [w["ceiling"] for w in bench["workloads"]]
    assert "## Throughput" in (tmp_path / "out" / "summary.md").read_text()
    assert (tmp_path / "out" / "report.html").read_text().count("<svg") == 2
    assert (tmp_path / "out" / "junit.xml").is_file()


def test_a_wrong_candidate_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench(tmp_path, "--candidate", "python:bench_lossy", "--workload", "perf.tiny.stream",
                  "--no-ceiling") == 1
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    verdicts = {(r["scenario"], r["candidate"]): r["verdict"] for r in document["results"]}
    assert verdicts == {("perf.tiny.stream", "reference"): "PASS",
                        ("perf.tiny.stream", "python:bench_lossy"): "FAIL"}
    (workload,) = document["bench"]["workloads"]
    assert workload["ceiling"]["rates"] == [] and workload["ceiling"]["median"] is None
    assert workload["ratios"] == {"python:bench_lossy": None}
    out = capsys.readouterr().out
    assert "no throughput score" in out
    # Why, on the terminal: once in the progress, once after the table.
    why = "c:receive(4096) x8: 32760 bytes of value 1 in total, expected 32768"
    assert f"    python:bench_lossy FAIL: {why}\n" in out
    assert f"lsconform: perf.tiny.stream: python:bench_lossy FAIL: {why}\n" in out
    # The record reads like a run's: a relative step, and the account that was expected.
    failed = next(r for r in document["results"] if r["verdict"] == "FAIL")
    assert (failed["location"], failed["step"]) == ("perf/stream.yaml:2", "perf/stream.yaml:19")
    assert failed["expected"] == ["done 8, bytes 32768, last values only nils"]
    assert failed["actual"].startswith("done 8, bytes 32760, last values ")


def test_quick_or_not_selects_the_variants(tmp_path: Path) -> None:
    assert _bench(tmp_path, "--candidate", "python:reference", "--no-ceiling") == 0
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [w["id"] for w in document["bench"]["workloads"]] == ["perf.tiny.full"]
    assert _bench(tmp_path, "--candidate", "python:reference", "--quick", "--no-ceiling", "-k", "ping") == 0
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [w["id"] for w in document["bench"]["workloads"]] == ["perf.tiny.ping-pong"]


def test_no_workload_selected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench(tmp_path, "--candidate", "python:reference", "-k", "nothing-like-this") == 5
    assert "no workload selected" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--candidate", "no-such-candidate"], "unknown candidate 'no-such-candidate'"),
    (["--candidate", "reference"], "name at least one candidate other than the reference"),
    (["--candidate", "python:reference", "--workload", "perf.nothing"],
     "no scenario has the id perf.nothing"),
])
def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                      message: str) -> None:
    assert _bench(tmp_path, *args) == 2
    assert message in capsys.readouterr().err


def test_ctrl_c_keeps_the_workloads_measured_to_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    real = session._run_workload
    calls: list[str] = []

    def stopped_in_the_second(scenario, *rest):  # type: ignore[no-untyped-def]
        calls.append(scenario.id)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as Ctrl-C lands in the middle of a workload
        return real(scenario, *rest)

    monkeypatch.setattr(session, "_run_workload", stopped_in_the_second)
    assert _bench(tmp_path, "--candidate", "python:reference", "--quick") == 130
    out = capsys.readouterr().out
    assert "interrupted: writing the 1 of 2 workloads measured to the end" in out
    bench = json.loads((tmp_path / "out" / "results.json").read_text())["bench"]
    assert [workload["id"] for workload in bench["workloads"]] == calls[:1]
    assert bench["interrupted"] == {"after": 1, "of": 2}
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "Interrupted (Ctrl-C): 1 of the 2 workloads selected" in summary


def test_ctrl_c_in_the_first_workload_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "_run_workload", stopped)
    assert _bench(tmp_path, "--candidate", "python:reference", "--quick") == 130
    assert not (tmp_path / "out").exists()


def test_the_command_line_is_recorded_as_typed() -> None:
    args = build_parser().parse_args(["bench", "--candidate", "a", "--candidate", "b", "--quick",
                                      "--pairs", "7"])
    assert command_line(args, ["a", "b"]) == "lsconform bench --candidate a --candidate b --quick --pairs 7"
    # What changes the figures is in it too, or the command would run the shipped suite at another scale.
    args = build_parser().parse_args(["bench", "--candidate", "a", "--time-scale", "2.5", "--scenarios",
                                      "my suite/scenarios"])
    assert command_line(args, ["a"]) == "lsconform bench --candidate a --time-scale 2.5 " \
                                        "--scenarios 'my suite/scenarios'"


def _spec(name: str, *tags: str) -> CandidateSpec:
    def never() -> Adapter:
        raise AssertionError("choosing a reference must not start a candidate")

    return CandidateSpec(name, "test candidate", never, frozenset(tags))


@pytest.mark.parametrize(("requested", "candidates", "chosen"), [
    ("auto", [_spec("luasocket3-lua5.4", "driver"), _spec("driver:x", "driver")], "reference-driver"),
    ("auto", [_spec("python:mine", "in-process")], "reference"),
    ("auto", [_spec("reference-driver", "driver"), _spec("luasocket3-lua5.4", "driver")], "reference"),
    ("auto", [_spec("python:mine", "in-process"), _spec("driver:x", "driver")], "reference"),
    ("reference", [_spec("luasocket3-lua5.4", "driver")], "reference"),
])
def test_the_reference_is_placed_as_the_candidates_are(requested: str, candidates: list[CandidateSpec],
                                                       chosen: str) -> None:
    name, why = choose_reference(requested, candidates)
    assert name == chosen and why


def test_the_reason_for_the_in_process_reference_is_the_true_one() -> None:
    # Every candidate a driver, reference-driver among them: measured, so it cannot be the baseline.
    name, why = choose_reference("auto", [_spec("reference-driver", "driver"), _spec("driver:x", "driver")])
    assert name == "reference" and why.startswith("reference-driver is itself a candidate")


def test_a_driver_candidate_is_measured_against_the_reference_through_the_driver(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Path(__file__).resolve().parents[2]
    script = project / "drivers" / "python" / "driver.py"
    driver = f"driver:{shlex.quote(sys.executable)} {script} --path {project} reference"
    assert _bench(tmp_path, "--candidate", driver, "--quick", "--no-ceiling", "-k", "tiny.stream") == 0
    assert "reference reference-driver (the candidates are drivers" in capsys.readouterr().out
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    assert document["bench"]["reference"] == "reference-driver"
    assert {result["candidate"] for result in document["results"]} == {"reference-driver", driver}


def test_pytest_leaves_perf_workloads_out_unless_asked(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = _root(pytester.path)
    plugin = ("-p", "harness.pytest_plugin", "-p", "no:cacheprovider", "--lsc-scenarios", str(root),
              str(root))
    default = pytester.runpytest(*plugin, "--collect-only", "-q")
    collected = [line for line in default.outlines if "::" in line]
    assert collected == ["dns/plain.yaml::dns.toip.plain[reference]"]
    included = pytester.runpytest(*plugin, "--lsc-include-perf", "-q", "-k", "tiny.stream")
    included.assert_outcomes(passed=1)


def test_quick_keeps_the_small_variants_even_of_named_workloads() -> None:
    """``--workload perf.udp --quick`` is the quick UDP workload; naming alone runs every size."""
    udp = [scenario for scenario in shipped().by_id.values() if scenario.id.startswith("perf.udp.")]

    def ids(quick: bool, named: bool) -> list[str]:
        return sorted(scenario.id for scenario in select_workloads(udp, quick, named))

    assert ids(quick=True, named=True) == ["perf.udp.receive.5k"]
    assert ids(quick=True, named=False) == ["perf.udp.receive.5k"]
    assert ids(quick=False, named=True) == ["perf.udp.receive.100k", "perf.udp.receive.5k"]
    assert ids(quick=False, named=False) == ["perf.udp.receive.100k"]
