"""``lsconform merge``: the checks that shards belong to one run, and merged == unsharded."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli.run import conclude
from harness.expectations import Expectation, ExpectationSet, run_failures, with_expectations
from harness.merging import MergeError, merge
from harness.results import build_document, candidate_entry, load_document, with_repetitions
from harness.scenario.model import Verdict
from harness.shards import Shard


def _record(scenario: str, candidate: str, verdict: str) -> dict[str, Any]:
    record: dict[str, Any] = {"scenario": scenario, "candidate": candidate, "verdict": verdict,
                              "duration": 0.1, "title": "t", "area": scenario.split(".")[0], "manual": "m",
                              "spec": "§1", "tags": []}
    if verdict not in ("PASS", "NON-STRICT", "INFORMATIONAL"):
        record.update(reason="r", step="s:1", expected=[], actual="", transcript=[])
    return record


PLAN = {"tcp.a": "PASS", "tcp.b": "FAIL", "tcp.c": "PASS", "udp.d": "SKIP", "udp.e": "PASS"}


def _shard_document(index: int, count: int, *, hour: int = 1, wall: float = 1.0,
                    ids: list[str] | None = None, suite: str = "v1") -> dict[str, Any]:
    chosen = ids if ids is not None else sorted(Shard(index, count).select(PLAN))
    records = [_record(s, c, PLAN[s]) for s in chosen for c in ("port", "reference")]
    candidates = [candidate_entry("port", "2", []), candidate_entry("reference", "1", [])]
    document = build_document(records, candidates, suite_version=suite, wall_time=wall, time_scale=1.0,
                              created=dt.datetime(2026, 1, 1, hour, tzinfo=dt.UTC))
    document["shard"] = {"index": index, "count": count}
    return document


def test_merge_is_the_unsharded_document_apart_from_times() -> None:
    pieces = [(f"s{i}.json", _shard_document(i, 3, hour=i, wall=float(i))) for i in (2, 3, 1)]
    merged = merge(pieces)
    whole = _shard_document(1, 1, ids=sorted(PLAN))
    del whole["shard"]
    assert merged["results"] == whole["results"]
    assert merged["summary"] == whole["summary"]
    assert (merged["created"], merged["wall_time"]) == ("2026-01-01T03:00:00+00:00", 3.0)
    assert set(merged) == set(whole)


def test_merge_rejudges_against_the_embedded_expectations() -> None:
    listed = ExpectationSet("port", {"tcp.b": Expectation(Verdict.FAIL, "known"),
                                     "udp.e": Expectation(Verdict.FAIL, "was failing")}, "port.yaml")
    pieces = [(f"s{i}.json", with_expectations(_shard_document(i, 2), [listed], strict=False))
              for i in (1, 2)]
    merged = merge(pieces)
    statuses = {r["scenario"]: r["expectation"]["status"]
                for r in merged["results"] if r["candidate"] == "port"}
    assert statuses == {"tcp.a": "expected", "tcp.b": "expected", "tcp.c": "expected", "udp.d": "unlisted",
                        "udp.e": "unexpected-pass"}


def test_shards_from_checkouts_at_different_paths_merge_and_keep_the_first_file() -> None:
    """The recorded file is absolute, so two CI checkouts record different paths for the same file."""
    entries = {"tcp.b": Expectation(Verdict.FAIL, "known")}
    pieces = [(f"s{i}.json", with_expectations(_shard_document(i, 2),
                                               [ExpectationSet("port", entries, f"/ci/job-{i}/port.yaml")],
                                               strict=True))
              for i in (2, 1)]
    merged = merge(pieces)
    assert merged["expectations"]["candidates"]["port"]["file"] == "/ci/job-2/port.yaml"
    assert merged["expectations"]["strict"] is True


@pytest.mark.parametrize("change", ["entries", "strict"])
def test_shards_judged_against_different_expectations_do_not_merge(change: str) -> None:
    known = {"tcp.b": Expectation(Verdict.FAIL, "known")}
    other = {**known, "tcp.a": Expectation(Verdict.FAIL, "other")} if change == "entries" else known
    first = with_expectations(_shard_document(1, 2), [ExpectationSet("port", known, "port.yaml")],
                              strict=False)
    second = with_expectations(_shard_document(2, 2), [ExpectationSet("port", other, "port.yaml")],
                               strict=change == "strict")
    with pytest.raises(MergeError, match="b and a differ in expectations"):
        merge([("a", first), ("b", second)])


@pytest.mark.parametrize(("pieces", "message"), [
    ([], "no results files to merge"),
    ([("a", _shard_document(1, 2))], "missing shard 2/2"),
    ([("a", _shard_document(1, 3))], "missing shards 2/3, 3/3"),
    ([("a", _shard_document(1, 2)), ("b", _shard_document(1, 2))], "shard 1/2 is given twice: a and b"),
    ([("a", _shard_document(1, 2)), ("b", _shard_document(2, 3))],
     r"different numbers of shards \(a: 1/2, b: 2/3\)"),
    ([("a", _shard_document(1, 3)), ("b", _shard_document(1, 2))],  # not "shard 1 given twice"
     r"different numbers of shards \(a: 1/3, b: 1/2\)"),
    ([("a", {k: v for k, v in _shard_document(1, 1).items() if k != "shard"})], "a has no shard mark"),
    ([("a", _shard_document(1, 2)), ("b", _shard_document(2, 2, suite="v2"))],
     "b and a differ in suite version"),
    ([("a", _shard_document(1, 2)), ("b", _shard_document(2, 2, ids=["tcp.a", "tcp.b"]))],
     r"tcp.a \[port\] is in both a and b: the shards overlap"),
    ([("a", _shard_document(1, 2, ids=[])), ("b", _shard_document(2, 2, ids=[]))], "hold no results at all"),
])
def test_merge_refuses_what_is_not_one_run(pieces: list[tuple[str, dict[str, Any]]], message: str) -> None:
    with pytest.raises(MergeError, match=message):
        merge(pieces)


def test_merge_refuses_different_candidates_or_repetitions() -> None:
    other = _shard_document(2, 2)
    other["candidates"] = [candidate_entry("port", "3", []), candidate_entry("reference", "1", [])]
    with pytest.raises(MergeError, match="differ in candidates"):
        merge([("a", _shard_document(1, 2)), ("b", other)])
    repeated = {**_shard_document(2, 2), "repeat": {"count": 3, "changed": []}}
    with pytest.raises(MergeError, match=r"different numbers of repetitions \(a: 1, b: 3\)"):
        merge([("a", _shard_document(1, 2)), ("b", repeated)])


def test_merge_keeps_the_changed_verdicts_of_every_shard(capsys: pytest.CaptureFixture[str]) -> None:
    # Only the second shard saw a verdict change between repetitions; its last one passed.
    steady = with_repetitions([_shard_document(1, 2, ids=["tcp.a"])] * 2, wall_time=2.0)
    flaky = [_shard_document(2, 2, ids=["tcp.c"]) for _ in range(2)]
    first_port = next(r for r in flaky[0]["results"] if r["candidate"] == "port")
    first_port["verdict"] = "TIMEOUT"
    merged = merge([("a", steady), ("b", with_repetitions(flaky, wall_time=2.0))])
    changed = [{"scenario": "tcp.c", "candidate": "port", "verdicts": ["TIMEOUT", "PASS"]}]
    assert merged["repeat"] == {"count": 2, "changed": changed}
    assert run_failures(merged) == []
    assert conclude(merged, []) == 1, "a changed verdict fails the merged run as it failed the shard"
    assert "verdict changed between repetitions: tcp.c [port]: TIMEOUT -> PASS" in capsys.readouterr().out


def lsconform(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


SELECTION = ("-k", "tcp.receive.line or dns.toip", "-m", "not timing")
WORKERS = {1: ("-n", "2"), 2: ("-n", "0"), 3: ("-n", "0")}
"""One shard under xdist, the others (and the whole run) serial: pieces run either way make one run,
and starting xdist costs about 10 s a run here."""


def test_three_shards_merged_equal_the_unsharded_run(tmp_path: Path, fake_candidate: str) -> None:
    """The real suite, the reference and a second candidate: split in three, merged, compared."""
    candidates = ("--candidate", "reference", "--candidate", fake_candidate)
    whole = lsconform(tmp_path, "run", *candidates, *SELECTION, "-n", "0", "--out", str(tmp_path / "whole"))
    assert whole.returncode in (0, 1), whole.stdout + whole.stderr
    shards = []
    for index in (1, 2, 3):
        out = tmp_path / f"shard-{index}"
        done = lsconform(tmp_path, "run", *candidates, *SELECTION, *WORKERS[index], "--shard", f"{index}/3",
                         "--out", str(out))
        assert done.returncode in (0, 1), done.stdout + done.stderr
        shards.append(str(out / "results.json"))
    merged = lsconform(tmp_path, "merge", str(tmp_path / "merged"), *reversed(shards))
    assert merged.returncode == whole.returncode, merged.stdout + merged.stderr

    expected = load_document(tmp_path / "whole" / "results.json")
    actual = load_document(tmp_path / "merged" / "results.json")
    verdicts = {(r["scenario"], r["candidate"]): r["verdict"] for r in expected["results"]}
    assert len({s for s, _ in verdicts}) > 20  # a real selection, both candidates
    assert {(r["scenario"], r["candidate"]): r["verdict"] for r in actual["results"]} == verdicts
    for key in ("suite_version", "candidates", "time_scale", "summary"):
        assert actual[key] == expected[key], key
    assert "shard" not in actual
    assert sorted(p.name for p in (tmp_path / "merged").iterdir()) == [
        "junit.xml", "report.html", "results.json", "summary.md"]
    sizes = [len(load_document(Path(path))["results"]) for path in shards]
    assert max(sizes) - min(sizes) <= 2  # whole rows: one per candidate


def test_merge_reports_unreadable_input_as_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    done = lsconform(tmp_path, "merge", str(tmp_path / "out"), str(tmp_path / "bad.json"))
    assert done.returncode == 2
    assert "bad.json: not JSON" in done.stderr
    assert not (tmp_path / "out").exists()
    from harness.results import write_document

    write_document(tmp_path / "one.json", _shard_document(1, 2))
    done = lsconform(tmp_path, "merge", str(tmp_path / "out"), str(tmp_path / "one.json"))
    assert done.returncode == 2
    assert "cannot merge: missing shard 2/2" in done.stderr


def test_merge_will_not_overwrite_a_shard_it_reads(tmp_path: Path) -> None:
    from harness.results import write_document

    (tmp_path / "s1").mkdir()
    write_document(tmp_path / "s1" / "results.json", _shard_document(1, 2))
    write_document(tmp_path / "two.json", _shard_document(2, 2))
    before = (tmp_path / "s1" / "results.json").read_text(encoding="utf-8")
    done = lsconform(tmp_path, "merge", str(tmp_path / "s1"), str(tmp_path / "s1" / "results.json"),
                     str(tmp_path / "two.json"))
    assert done.returncode == 2
    assert "would be overwritten by the merged results.json" in done.stderr
    assert (tmp_path / "s1" / "results.json").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(candidates=[1]), "candidates[0]: expected object, got int"),
    (lambda d: d.update(candidates=[{"name": "reference"}]), "candidates[0]: missing version, capabilities"),
    (lambda d: d.update(shard={"index": 3, "count": 2}), "1 <= index <= count"),
    (lambda d: d.update(shard={"index": 1}), "shard: missing count"),
    (lambda d: d.update(shard="1/2"), "shard: expected object, got str"),
])
def test_a_malformed_shard_is_a_clear_error_not_a_traceback(tmp_path: Path, change: Any,
                                                            message: str) -> None:
    import json

    document = _shard_document(1, 2)
    change(document)
    (tmp_path / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    done = lsconform(tmp_path, "merge", str(tmp_path / "out"), str(tmp_path / "bad.json"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_merge_refuses_shards_selected_with_different_expressions() -> None:
    # Shard 1 of `-k tcp.receive` and shard 2 of `-k tcp.receive.line` merged "complete", 27 scenarios short.
    one, two = _shard_document(1, 2), _shard_document(2, 2)
    one["shard"]["selection"] = {"keyword": "tcp.receive", "markexpr": ""}
    two["shard"]["selection"] = {"keyword": "tcp.receive.line", "markexpr": ""}
    with pytest.raises(MergeError, match=r"selected differently.*'tcp\.receive'.*'tcp\.receive\.line'"):
        merge([("one.json", one), ("two.json", two)])
    two["shard"]["selection"] = {"keyword": "tcp.receive", "markexpr": ""}
    assert "shard" not in merge([("one.json", one), ("two.json", two)])
    del one["shard"]["selection"], two["shard"]["selection"]  # marks written before selections were kept
    merge([("one.json", one), ("two.json", two)])
