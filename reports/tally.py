"""Counting verdicts and scoring them, the same way in every report.

The score is the share of scenarios a candidate handled acceptably (PASS,
NON-STRICT or INFORMATIONAL) among those it could run: SKIP means a missing
capability of the test machine or candidate, so it counts neither for nor
against. UNIMPLEMENTED counts against: a missing function is a gap in the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VERDICT_ORDER = ("PASS", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAIL", "CRASH", "TIMEOUT", "SKIP")
ACCEPTABLE = frozenset({"PASS", "NON-STRICT", "INFORMATIONAL"})
FAILING = frozenset({"FAIL", "CRASH", "TIMEOUT"})


@dataclass(frozen=True)
class Score:
    acceptable: int
    scored: int  # every result except SKIP

    @property
    def ratio(self) -> float | None:
        return self.acceptable / self.scored if self.scored else None

    def __str__(self) -> str:
        ratio = self.ratio
        shown = "n/a" if ratio is None else f"{ratio * 100:.1f}%"
        return f"{shown} ({self.acceptable}/{self.scored})"


def count_verdicts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICT_ORDER, 0)
    for record in records:
        counts[record["verdict"]] += 1
    return counts


def score(counts: Mapping[str, int]) -> Score:
    acceptable = sum(counts.get(v, 0) for v in ACCEPTABLE)
    scored = sum(n for v, n in counts.items() if v != "SKIP")
    return Score(acceptable, scored)


def by_candidate(document: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Results grouped per candidate, in the document's candidate order (then any others)."""
    groups: dict[str, list[Mapping[str, Any]]] = {c["name"]: [] for c in document["candidates"]}
    for record in document["results"]:
        groups.setdefault(record["candidate"], []).append(record)
    return groups


def changed_verdicts(document: Mapping[str, Any]) -> dict[tuple[str, str], list[str]]:
    """The verdict of each repetition, by (scenario, candidate), for the results whose verdict changed
    between ``--repeat`` repetitions (none without ``--repeat``): each report marks them."""
    return {(c["scenario"], c["candidate"]): c["verdicts"]
            for c in (document.get("repeat") or {}).get("changed", [])}


def by_area(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["area"], []).append(record)
    return dict(sorted(groups.items()))
