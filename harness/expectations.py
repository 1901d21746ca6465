"""Expectations: a candidate's known non-passes, and how a run is judged against them.

A port of LuaSocket rarely passes everything, and a CI job that is red for
the same forty known reasons every day is a job nobody reads. An
expectations file (``expectations/<candidate>.yaml``, format and workflow in
``expectations/README.md``; reading and writing in
``harness.expectations_file``) lists each known non-pass with its verdict and
a one-line reason. With one, a run fails only when something *changed*.

Every result of a candidate that has an expectations set gets one status:

================  =========================================================  =============
status            meaning                                                    fails the run
================  =========================================================  =============
expected          the listed verdict, or a pass for an unlisted scenario     never
regression        FAIL, CRASH or TIMEOUT, and not the listed verdict         always
unexpected-pass   listed, but now PASS, NON-STRICT or INFORMATIONAL          with --strict
stale             listed, now another verdict that is neither a pass nor a   with --strict
                  failure (FAIL -> SKIP, UNIMPLEMENTED -> SKIP...)
unlisted          not listed, and SKIP or UNIMPLEMENTED                      with --strict
================  =========================================================  =============

So without ``--strict`` the gate is "no new or different failure"; with it,
"the file describes this run exactly". Candidates without an expectations
set keep the plain rule: any FAIL, CRASH or TIMEOUT fails the run.

In results.json the sets used are embedded under ``expectations`` (so that
merging shards and re-rendering reports need nothing but the document) and
each affected result carries ``expectation``: its status, plus the listed
verdict and reason when there is an entry. This module is pure: documents
and sets in, documents and lists out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.scenario.model import Verdict

LISTABLE = (Verdict.FAIL, Verdict.CRASH, Verdict.TIMEOUT, Verdict.UNIMPLEMENTED, Verdict.SKIP)
"""The verdicts an entry may name: every non-pass."""

PASSING = frozenset({Verdict.PASS, Verdict.NON_STRICT, Verdict.INFORMATIONAL})
DIRECTORY_NAME = "expectations"


class Status(enum.StrEnum):
    EXPECTED = "expected"
    REGRESSION = "regression"
    UNEXPECTED_PASS = "unexpected-pass"
    STALE = "stale"
    UNLISTED = "unlisted"

    def fails(self, strict: bool) -> bool:
        """Whether a result with this status fails the run."""
        if self is Status.REGRESSION:
            return True
        return strict and self is not Status.EXPECTED


# Order in which reports list them: what needs attention first.
STATUS_ORDER = (Status.REGRESSION, Status.UNEXPECTED_PASS, Status.STALE, Status.UNLISTED, Status.EXPECTED)


@dataclass(frozen=True)
class Expectation:
    """One entry: the verdict a scenario is known to get, and why."""

    verdict: Verdict
    reason: str
    line: int = 0  # the entry's line in its file; 0 when it did not come from one


@dataclass(frozen=True)
class ExpectationSet:
    """The entries of one file, for one candidate."""

    candidate: str
    entries: Mapping[str, Expectation]
    source: str  # the file: absolute when loaded for a run (load_for_run); shown in reports

    def to_json(self) -> dict[str, Any]:
        return {"file": self.source,
                "entries": {scenario: {"verdict": e.verdict.value, "reason": e.reason}
                            for scenario, e in sorted(self.entries.items())}}

    @classmethod
    def from_json(cls, candidate: str, data: Mapping[str, Any]) -> ExpectationSet:
        entries = {scenario: Expectation(Verdict(e["verdict"]), e["reason"])
                   for scenario, e in data["entries"].items()}
        return cls(candidate, entries, data["file"])


def classify(verdict: Verdict | str, expectation: Expectation | None) -> Status:
    """The status of one result, given its entry (None when the scenario is not listed)."""
    verdict = Verdict(verdict)
    if expectation is not None and verdict is expectation.verdict:
        return Status.EXPECTED
    if verdict.is_failure:
        return Status.REGRESSION
    if verdict in PASSING:
        return Status.EXPECTED if expectation is None else Status.UNEXPECTED_PASS
    return Status.UNLISTED if expectation is None else Status.STALE


# -- file names ------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def file_name(candidate: str) -> str:
    """``<candidate>.yaml``, with characters unsafe in file names (``python:mod``'s colon) as ``_``."""
    return _UNSAFE_IN_NAME.sub("_", candidate) + ".yaml"


def default_directory(scenario_root: Path) -> Path:
    """Expectations sit beside the scenarios they refer to: ``<root>/../expectations``.

    For the shipped suite that is the repository's ``expectations/``; a
    private suite under ``my/scenarios`` gets ``my/expectations``.
    """
    return Path(scenario_root).parent / DIRECTORY_NAME


def default_file(scenario_root: Path, candidate: str) -> Path:
    return default_directory(scenario_root) / file_name(candidate)


# -- results.json ----------------------------------------------------------------


def with_expectations(document: Mapping[str, Any], sets: Iterable[ExpectationSet], *,
                      strict: bool) -> dict[str, Any]:
    """The document with the sets embedded and every affected result annotated."""
    embedded = {s.candidate: s.to_json() for s in sorted(sets, key=lambda s: s.candidate)}
    return annotate({**document, "expectations": {"strict": strict, "candidates": embedded}})


def embedded_sets(document: Mapping[str, Any]) -> dict[str, ExpectationSet]:
    """The sets a document was judged against, by candidate (empty if none)."""
    section = document.get("expectations") or {}
    candidates = section.get("candidates", {})
    return {name: ExpectationSet.from_json(name, data) for name, data in candidates.items()}


def is_strict(document: Mapping[str, Any]) -> bool:
    return bool((document.get("expectations") or {}).get("strict", False))


def annotate(document: Mapping[str, Any]) -> dict[str, Any]:
    """(Re)compute every result's ``expectation`` from the embedded sets.

    Idempotent, and the only place statuses are derived, so a merged or
    re-rendered document can never disagree with the rule above.
    """
    sets = embedded_sets(document)
    results = []
    for record in document["results"]:
        record = {key: value for key, value in record.items() if key != "expectation"}
        chosen = sets.get(record["candidate"])
        if chosen is not None:
            entry = chosen.entries.get(record["scenario"])
            annotation: dict[str, Any] = {"status": classify(record["verdict"], entry).value}
            if entry is not None:
                annotation.update(verdict=entry.verdict.value, reason=entry.reason)
            record["expectation"] = annotation
        results.append(record)
    return {**document, "results": results}


def status_of(record: Mapping[str, Any]) -> Status | None:
    """A result's status, or None when its candidate had no expectations."""
    annotation = record.get("expectation")
    return Status(annotation["status"]) if annotation else None


def run_failures(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The results that make the run fail.

    For a candidate with expectations, those whose status fails (see the
    table above); for any other, every FAIL, CRASH and TIMEOUT.
    """
    strict = is_strict(document)
    failing = []
    for record in document["results"]:
        status = status_of(record)
        if status is None:
            if Verdict(record["verdict"]).is_failure:
                failing.append(record)
        elif status.fails(strict):
            failing.append(record)
    return failing


def status_counts(document: Mapping[str, Any]) -> dict[str, dict[Status, int]]:
    """Per candidate with expectations: how many results have each status (zeros included)."""
    counts = {name: dict.fromkeys(STATUS_ORDER, 0) for name in embedded_sets(document)}
    for record in document["results"]:
        status = status_of(record)
        if status is not None and record["candidate"] in counts:
            counts[record["candidate"]][status] += 1
    return counts


def not_run(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per candidate: listed scenarios the run has no result for (a narrowed run: -k, -m, a shard).

    Informational only: an entry for a scenario that no longer exists is a
    load error, so in a full run this list is empty.
    """
    ran = {(r["scenario"], r["candidate"]) for r in document["results"]}
    return {name: sorted(s for s in chosen.entries if (s, name) not in ran)
            for name, chosen in embedded_sets(document).items()}


_LABELS = {Status.REGRESSION: ("regression", "regressions"),
           Status.UNEXPECTED_PASS: ("unexpected pass", "unexpected passes"),
           Status.STALE: ("stale entry", "stale entries"),
           Status.UNLISTED: ("unlisted non-pass", "unlisted non-passes")}


def headline(document: Mapping[str, Any]) -> list[str]:
    """One line per candidate with expectations, for the terminal and the summary."""
    lines = []
    sets = embedded_sets(document)
    strict = " (strict)" if is_strict(document) else ""
    missing = not_run(document)
    known = {name: 0 for name in sets}
    for record in document["results"]:
        if status_of(record) is Status.EXPECTED and Verdict(record["verdict"]) not in PASSING:
            known[record["candidate"]] += 1
    for name, counts in status_counts(document).items():
        parts = [f"{n} {_LABELS[status][n != 1]}" for status, n in counts.items()
                 if status in _LABELS and (n or status is Status.REGRESSION)]
        parts.append(f"{known[name]} known non-pass{'es' if known[name] != 1 else ''}")
        if missing[name]:
            parts.append(f"{len(missing[name])} listed but not run")
        lines.append(f"{name} against {sets[name].source}{strict}: {', '.join(parts)}")
    return lines
