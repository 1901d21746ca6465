"""Judging results against expectations: statuses, the run's gate, annotations in results.json."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import pytest

from harness.expectations import (
    Expectation,
    ExpectationSet,
    Status,
    annotate,
    classify,
    default_file,
    embedded_sets,
    file_name,
    headline,
    not_run,
    run_failures,
    status_counts,
    with_expectations,
)
from harness.results import SCHEMA_FILE, build_document, candidate_entry
from harness.scenario.model import Verdict

V = Verdict


@pytest.mark.parametrize(("verdict", "listed", "status"), [
    (V.PASS, None, Status.EXPECTED),
    (V.NON_STRICT, None, Status.EXPECTED),
    (V.INFORMATIONAL, None, Status.EXPECTED),
    (V.FAIL, None, Status.REGRESSION),
    (V.CRASH, None, Status.REGRESSION),
    (V.TIMEOUT, None, Status.REGRESSION),
    (V.SKIP, None, Status.UNLISTED),
    (V.UNIMPLEMENTED, None, Status.UNLISTED),
    (V.FAIL, V.FAIL, Status.EXPECTED),
    (V.SKIP, V.SKIP, Status.EXPECTED),
    (V.CRASH, V.FAIL, Status.REGRESSION),  # a listed scenario that now fails differently
    (V.FAIL, V.UNIMPLEMENTED, Status.REGRESSION),
    (V.PASS, V.FAIL, Status.UNEXPECTED_PASS),
    (V.INFORMATIONAL, V.TIMEOUT, Status.UNEXPECTED_PASS),
    (V.SKIP, V.FAIL, Status.STALE),
    (V.UNIMPLEMENTED, V.SKIP, Status.STALE),
])
def test_classify(verdict: Verdict, listed: Verdict | None, status: Status) -> None:
    entry = None if listed is None else Expectation(listed, "why")
    assert classify(verdict, entry) is status
    assert classify(verdict.value, entry) is status


def test_only_regressions_fail_unless_strict() -> None:
    assert [s for s in Status if s.fails(strict=False)] == [Status.REGRESSION]
    assert [s for s in Status if s.fails(strict=True)] == [s for s in Status if s is not Status.EXPECTED]


def test_file_names_are_safe_and_sit_beside_the_scenarios(tmp_path: Any) -> None:
    assert file_name("luasocket3-lua5.4") == "luasocket3-lua5.4.yaml"
    assert file_name("python:pkg.mod/x") == "python_pkg.mod_x.yaml"
    assert default_file(tmp_path / "scenarios", "port") == tmp_path / "expectations" / "port.yaml"


def _document(plan: list[tuple[str, str, Verdict]]) -> dict[str, Any]:
    records = []
    for scenario, candidate, verdict in plan:
        record: dict[str, Any] = {"scenario": scenario, "candidate": candidate, "verdict": verdict.value,
                                  "duration": 0.1, "title": "t", "area": scenario.split(".")[0],
                                  "manual": "m", "spec": "§1", "tags": []}
        if not verdict.is_failure and verdict not in (V.PASS, V.NON_STRICT, V.INFORMATIONAL):
            record.update(reason="r", step="s:1", expected=[], actual="", transcript=[])
        elif verdict.is_failure:
            record.update(reason="run reason", step="s:1", expected=["1"], actual="2", transcript=[])
        records.append(record)
    return build_document(records, [candidate_entry("port", "1", []), candidate_entry("other", "1", [])],
                          suite_version="v", wall_time=1.0, time_scale=1.0,
                          created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


PORT = ExpectationSet("port", {
    "tcp.a": Expectation(V.FAIL, "known wrong answer"),
    "tcp.b": Expectation(V.FAIL, "was failing, now fixed"),
    "tcp.c": Expectation(V.FAIL, "now skipped on this machine"),
    "tcp.d": Expectation(V.UNIMPLEMENTED, "not run in this selection"),
}, "expectations/port.yaml")

PLAN = [
    ("tcp.a", "port", V.FAIL), ("tcp.a", "other", V.FAIL),
    ("tcp.b", "port", V.PASS), ("tcp.b", "other", V.PASS),
    ("tcp.c", "port", V.SKIP), ("tcp.c", "other", V.PASS),
    ("tcp.e", "port", V.CRASH), ("tcp.e", "other", V.PASS),
    ("tcp.f", "port", V.UNIMPLEMENTED), ("tcp.f", "other", V.PASS),
]


def test_annotations_say_how_each_result_compares_to_the_file() -> None:
    document = with_expectations(_document(PLAN), [PORT], strict=False)
    annotations = {(r["scenario"], r["candidate"]): r.get("expectation") for r in document["results"]}
    assert annotations == {
        ("tcp.a", "port"): {"status": "expected", "verdict": "FAIL", "reason": "known wrong answer"},
        ("tcp.b", "port"): {"status": "unexpected-pass", "verdict": "FAIL",
                            "reason": "was failing, now fixed"},
        ("tcp.c", "port"): {"status": "stale", "verdict": "FAIL", "reason": "now skipped on this machine"},
        ("tcp.e", "port"): {"status": "regression"},
        ("tcp.f", "port"): {"status": "unlisted"},
        # "other" has no expectations file: its results carry no annotation.
        ("tcp.a", "other"): None, ("tcp.b", "other"): None, ("tcp.c", "other"): None,
        ("tcp.e", "other"): None, ("tcp.f", "other"): None,
    }
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert embedded_sets(document)["port"].entries["tcp.a"].reason == "known wrong answer"


def test_the_gate_fails_on_regressions_and_on_unlisted_candidates_failures() -> None:
    document = with_expectations(_document(PLAN), [PORT], strict=False)
    assert [(r["scenario"], r["candidate"]) for r in run_failures(document)] == [
        ("tcp.a", "other"), ("tcp.e", "port")]


def test_the_strict_gate_also_fails_on_every_difference_from_the_file() -> None:
    document = with_expectations(_document(PLAN), [PORT], strict=True)
    assert [(r["scenario"], r["candidate"]) for r in run_failures(document)] == [
        ("tcp.a", "other"), ("tcp.b", "port"), ("tcp.c", "port"), ("tcp.e", "port"), ("tcp.f", "port")]


def test_a_run_without_expectations_fails_on_every_failure() -> None:
    document = _document(PLAN)
    assert [(r["scenario"], r["candidate"]) for r in run_failures(document)] == [
        ("tcp.a", "other"), ("tcp.a", "port"), ("tcp.e", "port")]
    assert headline(document) == [] and not_run(document) == {}


def test_counts_entries_not_run_and_headline() -> None:
    document = with_expectations(_document(PLAN), [PORT], strict=True)
    assert status_counts(document) == {"port": {Status.REGRESSION: 1, Status.UNEXPECTED_PASS: 1,
                                                 Status.STALE: 1, Status.UNLISTED: 1, Status.EXPECTED: 1}}
    assert not_run(document) == {"port": ["tcp.d"]}
    assert headline(document) == [
        "port against expectations/port.yaml (strict): 1 regression, 1 unexpected pass, 1 stale entry, "
        "1 unlisted non-pass, 1 known non-pass, 1 listed but not run"]


def test_annotate_is_idempotent_and_follows_the_embedded_sets() -> None:
    document = with_expectations(_document(PLAN), [PORT], strict=False)
    assert annotate(document) == document
    # A document whose embedded entries change is re-judged from them alone.
    document["expectations"]["candidates"]["port"]["entries"].pop("tcp.a")
    again = annotate(document)
    assert next(r for r in again["results"] if (r["scenario"], r["candidate"]) == ("tcp.a", "port"))[
        "expectation"] == {"status": "regression"}
