"""Reading and writing expectations files: valid files load, every problem names file:line: field."""

from __future__ import annotations

from pathlib import Path

import pytest
from expectations_support import FAKE, IDS, expectations_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.expectations import Expectation
from harness.expectations_file import ExpectationsError, load_expectations, load_for_run, render
from harness.scenario.model import Verdict


def write(tmp_path: Path, text: str, name: str = "fake.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ExpectationsError) as caught:
        load_expectations(path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_loads_with_entry_lines(tmp_path: Path) -> None:
    path = write(tmp_path, expectations_yaml({"dns.toip.wrong": ("FAIL", "answers one.test with 10.0.0.1"),
                                              "dns.tohostname.missing": ("UNIMPLEMENTED", "no reverse DNS")}))
    loaded = load_expectations(path, known_ids=IDS)
    assert loaded.candidate == FAKE
    assert loaded.source == str(path)
    assert loaded.entries == {
        "dns.toip.wrong": Expectation(Verdict.FAIL, "answers one.test with 10.0.0.1", 3),
        "dns.tohostname.missing": Expectation(Verdict.UNIMPLEMENTED, "no reverse DNS", 6),
    }


def test_empty_expectations_are_allowed(tmp_path: Path) -> None:
    assert load_expectations(write(tmp_path, expectations_yaml({}))).entries == {}
    assert load_expectations(write(tmp_path, f'candidate: "{FAKE}"\nexpectations:\n')).entries == {}


@pytest.mark.parametrize(("entry", "line", "field", "message"), [
    ("    verdict: FAIL\n", 3, "expectations[dns.toip.wrong].reason", "required: one line saying why"),
    ("    verdict: FAIL\n    reason: ''\n", 5, "expectations[dns.toip.wrong].reason", "required"),
    ("    verdict: FAIL\n    reason: TODO explain\n", 5, "expectations[dns.toip.wrong].reason", "still TODO"),
    ("    verdict: FAIL\n    reason: 42\n", 5, "expectations[dns.toip.wrong].reason",
     "expected one line of text, not 42"),
    ("    verdict: FAIL\n    reason: |\n      two\n      lines\n", 5, "expectations[dns.toip.wrong].reason",
     "a reason is one line"),
    ("    verdict: BROKEN\n    reason: x\n", 4, "expectations[dns.toip.wrong].verdict",
     "unknown verdict 'BROKEN'"),
    ("    verdict: PASS\n    reason: x\n", 4, "expectations[dns.toip.wrong].verdict", "PASS is a pass"),
    ("    verdict: NON-STRICT\n    reason: x\n", 4, "expectations[dns.toip.wrong].verdict",
     "NON-STRICT is a pass"),
    ("    verdict: INFORMATIONAL\n    reason: x\n", 4, "expectations[dns.toip.wrong].verdict",
     "INFORMATIONAL is a pass"),
    ("    reason: x\n", 3, "expectations[dns.toip.wrong].verdict", "required: one of FAIL | CRASH"),
    ("    verdict: FAIL\n    reason: x\n    since: 2024\n", 6, "expectations[dns.toip.wrong].since",
     "unknown key"),
    ("    verdict: FAIL\n    verdict: CRASH\n    reason: x\n", 5, "expectations[dns.toip.wrong].verdict",
     "duplicate key (first at line 4)"),
])
def test_a_bad_entry_is_reported_at_its_line(tmp_path: Path, entry: str, line: int, field: str,
                                             message: str) -> None:
    path = write(tmp_path, f'candidate: "{FAKE}"\nexpectations:\n  dns.toip.wrong:\n{entry}')
    found = problems(path, known_ids=IDS)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:{line}: {field}: {message}")


def test_an_unknown_scenario_id_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, expectations_yaml({"dns.toip.wrongg": ("FAIL", "typo in the id")}))
    assert problems(path, known_ids=IDS) == [
        f"{path}:3: expectations[dns.toip.wrongg]: unknown scenario id; did you mean dns.toip.wrong?"]
    # Without the suite's ids (the updater reading an old file) the same file loads.
    assert list(load_expectations(path).entries) == ["dns.toip.wrongg"]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path,
                 "candidat: x\nexpectations:\n  a.b:\n    verdict: FAIL\n  dns.toip.wrong: [FAIL]\n")
    assert problems(path, known_ids=IDS) == [
        f"{path}:1: candidat: unknown key (the keys are candidate, expectations)",
        f"{path}:1: candidate: required: the candidate's name, as `lsconform run --candidate` takes it",
        f"{path}:3: expectations[a.b]: unknown scenario id; `lsconform list` prints every id",
        f"{path}:5: expectations[dns.toip.wrong]: expected a mapping {{verdict: ..., reason: ...}}",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ":1: file: expected a mapping"),
    ("- a\n- b\n", ":1: file: expected a mapping"),
    ("candidate: x\n", ":1: expectations: required"),
    ("candidate: x\nexpectations: [a]\n", ":2: expectations: expected a mapping"),
    ("candidate: x\nexpectations: {a: b\n", ":3: yaml: "),
    ("candidate: x\nexpectations:\n  dns.toip.wrong: !bogus c\n", ":3: !bogus: unknown tag !bogus"),
    ("candidate: x\nexpectations:\n  dns.toip.wrong: !ref c\n",
     ":3: expectations[dns.toip.wrong]: expected a"),
])
def test_a_file_of_the_wrong_shape_is_reported(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}{expected}")


def test_a_todo_reason_loads_only_for_the_updater(tmp_path: Path) -> None:
    path = write(tmp_path, expectations_yaml({"dns.toip.wrong": ("FAIL", "TODO: explain this FAIL")}))
    assert "still TODO" in problems(path)[0]
    entry = load_expectations(path, allow_todo=True).entries["dns.toip.wrong"]
    assert entry.reason == "TODO: explain this FAIL"


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    absent = tmp_path / "absent.yaml"
    assert problems(absent)[0].startswith(f"{absent}:1: file: cannot read")


def test_a_run_takes_one_file_per_candidate_of_the_run(tmp_path: Path) -> None:
    first = write(tmp_path, expectations_yaml({}), "a.yaml")
    second = write(tmp_path, expectations_yaml({}), "b.yaml")
    other = write(tmp_path, expectations_yaml({}, candidate="elsewhere"), "c.yaml")
    assert list(load_for_run([first], [FAKE, "reference"], IDS)) == [FAKE]
    with pytest.raises(ExpectationsError) as caught:
        load_for_run([first, second, other], [FAKE], IDS)
    assert [str(p) for p in caught.value.problems] == [
        f"{second}:1: candidate: a second file for '{FAKE}' (the first is {first})",
        f"{other}:1: candidate: this file is for 'elsewhere', which this run does not include "
        f"(candidates: {FAKE})",
    ]


def test_render_writes_sorted_entries_that_load_back(tmp_path: Path) -> None:
    entries = {"dns.toip.wrong": Expectation(Verdict.FAIL, "answers: wrongly # not a comment"),
               "dns.toip.crash": Expectation(Verdict.CRASH, 'raises "RuntimeError" \\ always')}
    text = render(FAKE, entries)
    assert text.index("dns.toip.crash:") < text.index("dns.toip.wrong:")
    assert "\ncandidate: python:lsc_fake_dns\n" in text
    loaded = load_expectations(write(tmp_path, text), known_ids=IDS)
    assert {k: (v.verdict, v.reason) for k, v in loaded.entries.items()} == {
        k: (v.verdict, v.reason) for k, v in entries.items()}
    assert load_expectations(write(tmp_path, render(FAKE, {}))).entries == {}


_REASON = st.text(min_size=1, max_size=40).map(lambda s: " ".join(s.split())).filter(
    lambda s: s and not s.upper().startswith("TODO"))


@settings(max_examples=60, deadline=None)
@given(reason=_REASON, candidate=st.sampled_from([FAKE, "true", "a: b", "luasocket3-lua5.4", "x#y", "1.5"]))
def test_any_one_line_reason_and_candidate_round_trip(tmp_path_factory: pytest.TempPathFactory, reason: str,
                                                      candidate: str) -> None:
    path = tmp_path_factory.mktemp("roundtrip") / "e.yaml"
    text = render(candidate, {"dns.toip.wrong": Expectation(Verdict.TIMEOUT, reason)})
    path.write_text(text, encoding="utf-8")
    loaded = load_expectations(path)
    assert loaded.candidate == candidate
    assert loaded.entries["dns.toip.wrong"].reason == reason
