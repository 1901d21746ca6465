"""results.json: the schema, the quick checks, atomic writing and repetition merging."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness import results
from harness.results import ResultsError


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(results.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_built_document_is_valid_against_the_schema(document: dict[str, Any], validator: Any) -> None:
    validator.validate(document)
    results.check_document(document)


def test_schema_rejects_a_failure_without_its_details(document: dict[str, Any], validator: Any) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    del failing["transcript"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)
    with pytest.raises(ResultsError, match=r"results\[\d+\] \(FAIL\): missing transcript"):
        results.check_document(document)


def test_the_schema_knows_every_verdict() -> None:
    schema = json.loads(results.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(schema["$defs"]["verdict"]["enum"]) == {v.value for v in results.Verdict}


def test_passes_carry_no_details_and_non_passes_do(document: dict[str, Any]) -> None:
    by_key = {(r["scenario"], r["candidate"]): r for r in document["results"]}
    passed = by_key[("tcp.receive.line.crlf-stripped", "reference")]
    failed = by_key[("tcp.receive.line.crlf-stripped", "port")]
    assert "transcript" not in passed and "expected" not in passed
    assert failed["expected"] == ['"hello world"', 'nil, "closed"']
    assert failed["actual"] == '"hello world\\r"'
    first_entry = {"at": 0.001, "source": "peer:srv", "text": 'send "hello world\\r\\r\\n"'}
    assert failed["transcript"][0] == first_entry
    assert failed["step"] == "tcp/receive.yaml:17"


def test_non_strict_keeps_its_note_step_and_actual_but_no_transcript(document: dict[str, Any],
                                                                     validator: Any) -> None:
    record = next(r for r in document["results"] if r["verdict"] == "NON-STRICT")
    assert record["reason"] == 'c:receive("*a"): the 2001 release returns what came before the timeout'
    assert record["step"] == "tcp/receive.yaml:30"
    assert record["actual"] == 'returned "partial", "timeout" in 0.100s'
    assert "transcript" not in record and "expected" not in record
    validator.validate(document)


def test_results_are_sorted_and_summarized_per_candidate(document: dict[str, Any]) -> None:
    keys = [(r["scenario"], r["candidate"]) for r in document["results"]]
    assert keys == sorted(keys)
    assert document["summary"]["reference"]["PASS"] == 3
    assert document["summary"]["reference"]["SKIP"] == 1
    assert document["summary"]["port"] == {"PASS": 0, "NON-STRICT": 1, "INFORMATIONAL": 0, "UNIMPLEMENTED": 1,
                                           "FAIL": 1, "CRASH": 0, "TIMEOUT": 1, "SKIP": 0}
    assert [r["scenario"] for r in results.failures(document)] == ["tcp.receive.line.crlf-stripped",
                                                                  "udp.receive.truncate"]


def test_write_then_load_round_trips(document: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.json"
    results.write_document(path, document)
    assert results.load_document(path) == document
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="something-else"), "not an lsconform results document"),
        (lambda d: d.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda d: d.pop("suite_version"), "document: missing suite_version"),
        (lambda d: d["results"][0].pop("verdict"), r"results\[0\]: missing verdict"),
        (lambda d: d["results"][0].update(verdict="GREAT"), "unknown verdict 'GREAT'"),
        (lambda d: d.update(candidates="oops"), "candidates: expected array, got str"),
        (lambda d: d.update(wall_time=True), "wall_time: expected number, got bool"),
        (lambda d: d["results"][0].update(duration="slow"),
         r"results\[0\].duration: expected number, got str"),
        (lambda d: d["results"][0].update(tags="tcp"), r"results\[0\].tags: expected array, got str"),
    ],
)
def test_load_rejects_malformed_documents(document: dict[str, Any], tmp_path: Path, mutate: Any,
                                          message: str) -> None:
    path = _written_broken(document, mutate, tmp_path)
    with pytest.raises(ResultsError, match=message):
        results.load_document(path)


def _written_broken(document: dict[str, Any], mutate: Any, tmp_path: Path) -> Path:
    """A copy of ``document`` changed by ``mutate``, written as results.json."""
    broken = copy.deepcopy(document)
    mutate(broken)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    return path


def _failing(document: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in document["results"] if r["verdict"] == "FAIL")


def _expectations(entries: Any) -> dict[str, Any]:
    return {"strict": False, "candidates": {"port": {"file": "/p.yaml", "entries": entries}}}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _failing(d).update(transcript=["x"]), r"results\[\d+\]\.transcript\[0\]: expected object"),
        (lambda d: _failing(d).update(transcript=[{"at": 1}]),
         r"results\[\d+\]\.transcript\[0\]: missing source, text"),
        (lambda d: _failing(d).update(expected=[1, 2]), r"results\[\d+\]\.expected\[0\]: expected string"),
        (lambda d: _failing(d).update(expectation={"status": "weird"}),
         r"results\[\d+\]\.expectation\.status: unknown value 'weird' \(one of expected, regression"),
        (lambda d: d.update(expectations=_expectations([])),
         r"expectations\.candidates\[port\]\.entries: expected object, got list"),
        (lambda d: d.update(expectations=_expectations(
            {"tcp.receive.line.crlf-stripped": {"verdict": "PASS", "reason": "known"}})),
         r"expectations\.candidates\[port\]\.entries\[tcp\.receive\.line\.crlf-stripped\]\.verdict: "
         "unknown value 'PASS'"),
        (lambda d: d.update(repeat={"count": 2, "changed": [{"scenario": "a"}]}),
         r"repeat\.changed\[0\]: missing candidate, verdicts"),
        (lambda d: d.update(bench={"reference": "reference"}), "bench: missing candidates, pairs"),
        (lambda d: d["results"].append(copy.deepcopy(d["results"][0])),
         r"results\[\d+\]: a second result for .* \(the first is results\[0\]\)"),
        (lambda d: d.update(wall_time=float("nan")), "wall_time: expected a finite number, got nan"),
        (lambda d: d.update(created="yesterday"), "created: expected an ISO 8601 date and time"),
        (lambda d: d.update(zzz=1), "document: unknown field 'zzz'"),
        (lambda d: d["summary"]["port"].update(BOGUS=1),
         r"summary\[port\]\[BOGUS\]: unknown verdict 'BOGUS'"),
    ],
)
def test_load_rejects_malformed_nested_items(document: dict[str, Any], tmp_path: Path, mutate: Any,
                                             message: str) -> None:
    """What the renderers index into without looking: each used to be a traceback, exit 1."""
    path = _written_broken(document, mutate, tmp_path)
    with pytest.raises(ResultsError, match=f"^{path}: {message}"):
        results.load_document(path)


def test_the_checker_knows_every_keyword_the_schema_uses() -> None:
    """A rule added to the schema that the checker does not know must not go silently unchecked."""
    from harness.schema_check import _KNOWN

    def keywords(schema: Any) -> set[str]:
        found = set(schema)
        for key in ("properties", "$defs"):
            for inner in schema.get(key, {}).values():
                found |= keywords(inner)
        for key in ("items", "additionalProperties", "propertyNames", "if", "then", "else"):
            if isinstance(schema.get(key), dict):
                found |= keywords(schema[key])
        for inner in schema.get("anyOf", ()):
            found |= keywords(inner)
        return found

    assert keywords(json.loads(results.SCHEMA_FILE.read_text(encoding="utf-8"))) <= _KNOWN


def test_load_rejects_non_json(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("{truncated", encoding="utf-8")
    with pytest.raises(ResultsError, match="not JSON"):
        results.load_document(path)


def test_load_rejects_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(b'{"schema": "\xff"}')
    with pytest.raises(ResultsError, match=r"not UTF-8 text \(byte 12\)"):
        results.load_document(path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "summary.md"
    path.write_text("old", encoding="utf-8")

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        results.write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_a_lone_surrogate_in_a_message_does_not_lose_the_report(tmp_path: Path,
                                                                 document: dict[str, Any]) -> None:
    # A candidate's error text decoded with surrogateescape (bytes that are not UTF-8) reached the
    # writer as-is and ended the whole run in a UnicodeEncodeError, with no report at all.
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = b"host \xff\xfe".decode("utf-8", "surrogateescape")
    path = tmp_path / "results.json"
    results.write_document(path, document)
    again = results.load_document(path)
    assert next(r for r in again["results"] if r["verdict"] == "FAIL")["reason"] == failing["reason"]
    results.write_text_atomic(tmp_path / "summary.md", f"| {failing['reason']} |")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "| host \\udcff\\udcfe |"


def test_written_files_get_the_umask_permissions_not_private_ones(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        results.write_text_atomic(tmp_path / "summary.md", "text")
    finally:
        os.umask(mask)
    assert (tmp_path / "summary.md").stat().st_mode & 0o777 == 0o644


def test_scenario_digest_follows_the_yaml_files_only(tmp_path: Path) -> None:
    (tmp_path / "tcp").mkdir()
    scenario_file = tmp_path / "tcp" / "a.yaml"
    scenario_file.write_text("scenarios: []\n", encoding="utf-8")
    first = results.scenario_digest(tmp_path)
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    assert results.scenario_digest(tmp_path) == first
    scenario_file.write_text("scenarios: [] # changed\n", encoding="utf-8")
    assert results.scenario_digest(tmp_path) != first
    assert results.suite_version(tmp_path).endswith("+scenarios." + results.scenario_digest(tmp_path))


def test_scenario_digest_passes_over_a_folder_named_like_a_scenario_file(tmp_path: Path) -> None:
    """It read every *.yaml match, and a folder there (a report directory) crashed the run at its end."""
    (tmp_path / "tcp").mkdir()
    (tmp_path / "tcp" / "a.yaml").write_text("scenarios: []\n", encoding="utf-8")
    first = results.scenario_digest(tmp_path)
    (tmp_path / "tcp" / "old.yaml").mkdir()
    assert results.scenario_digest(tmp_path) == first


def test_changed_verdicts_names_flaky_and_vanished_pairs(document: dict[str, Any], validator: Any) -> None:
    second = copy.deepcopy(document)
    flaky = next(r for r in second["results"] if r["verdict"] == "NON-STRICT")
    flaky["verdict"] = "PASS"
    second["results"] = [r for r in second["results"] if r["scenario"] != "udp.ipv6.bind"
                         or r["candidate"] != "port"]
    merged = results.with_repetitions([document, second], wall_time=9.5)
    assert merged["repeat"] == {"count": 2, "changed": [
        {"scenario": "tcp.receive.all", "candidate": "port", "verdicts": ["NON-STRICT", "PASS"]},
        {"scenario": "udp.ipv6.bind", "candidate": "port", "verdicts": ["UNIMPLEMENTED", "MISSING"]},
    ]}
    assert merged["wall_time"] == 9.5
    validator.validate(merged)


def test_identical_repetitions_change_nothing(document: dict[str, Any]) -> None:
    assert results.changed_verdicts([document, copy.deepcopy(document), copy.deepcopy(document)]) == []
