"""The data behind the HTML matrix: results.json regrouped as areas -> scenarios -> candidates.

The page's script only displays and filters; every number it shows (scores
per area and per candidate, which rows differ between candidates) is
computed here, with the same tally functions as the Markdown summary, so the
two reports can never disagree and the arithmetic is tested without a
browser.

Shape (all JSON)::

    {"title", "suite_version", "created", "wall_time", "time_scale",
     "shard": {"index", "count"} | null, "strict": bool, "headline": [str],
     "verdicts": [every verdict, in report order],
     "candidates": [{"name", "version", "capabilities", "score", "expectations": file | null}],
     "areas": [{"name", "scores": {candidate: score}, "scenarios": [
         {"id", "title", "manual", "spec", "tags", "location", "differs",
          "cells": {candidate: cell | null}}]}]}

A score is ``{"text": "97.1% (33/34)", "ratio": 0.971 | null}``; a cell is
the result record minus what the row already says (verdict, reason, step,
expected, actual, transcript, leaks, duration, expectation), plus, in a
``--repeat`` run, ``repetitions``: the verdict of each repetition, for a
result whose verdict changed between them (the cell's verdict is the last).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reports.markdown import headline
from reports.tally import VERDICT_ORDER, by_area, changed_verdicts, count_verdicts, score

ROW_KEYS = ("title", "manual", "spec", "tags", "location")
CELL_KEYS = ("verdict", "duration", "reason", "step", "expected", "actual", "transcript", "leaks",
             "expectation")
TITLE = "LuaSocket 1.3b conformance"


def view_model(document: Mapping[str, Any]) -> dict[str, Any]:
    names = _candidate_names(document)
    listed = (document.get("expectations") or {}).get("candidates", {})
    changed = changed_verdicts(document)
    return {
        "title": TITLE,
        "suite_version": document["suite_version"],
        "created": document["created"],
        "wall_time": document["wall_time"],
        "time_scale": document["time_scale"],
        "shard": document.get("shard"),
        "strict": bool((document.get("expectations") or {}).get("strict", False)),
        "headline": headline(document),
        "verdicts": list(VERDICT_ORDER),
        "candidates": [_candidate(document, name, listed.get(name)) for name in names],
        "areas": [_area(area, records, names, changed)
                  for area, records in by_area(document["results"]).items()],
    }


def _candidate_names(document: Mapping[str, Any]) -> list[str]:
    """The document's candidates in its order, then any that only appear in results."""
    names = [c["name"] for c in document["candidates"]]
    names += sorted({r["candidate"] for r in document["results"]} - set(names))
    return names


def _candidate(document: Mapping[str, Any], name: str, listed: Mapping[str, Any] | None) -> dict[str, Any]:
    described = next((c for c in document["candidates"] if c["name"] == name), {})
    return {
        "name": name,
        "version": described.get("version", ""),
        "capabilities": list(described.get("capabilities", [])),
        "score": _score(r for r in document["results"] if r["candidate"] == name),
        "expectations": listed["file"] if listed else None,
    }


def _area(area: str, records: list[Mapping[str, Any]], names: list[str],
          changed: Mapping[tuple[str, str], list[str]]) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: r["scenario"]):
        row = rows.get(record["scenario"])
        if row is None:
            row = {"id": record["scenario"], **{key: record.get(key, "") for key in ROW_KEYS},
                   "cells": dict.fromkeys(names)}
            rows[record["scenario"]] = row
        cell = {key: record[key] for key in CELL_KEYS if key in record}
        if (record["scenario"], record["candidate"]) in changed:
            cell["repetitions"] = changed[record["scenario"], record["candidate"]]
        row["cells"][record["candidate"]] = cell
    for row in rows.values():
        row["differs"] = differs(row["cells"].values())
    return {
        "name": area,
        "scores": {name: _score(r for r in records if r["candidate"] == name) for name in names},
        "scenarios": list(rows.values()),
    }


def differs(cells: Iterable[Mapping[str, Any] | None]) -> bool:
    """True when the candidates did not all get the same verdict (a missing result counts as one)."""
    return len({cell["verdict"] if cell else None for cell in cells}) > 1


def _score(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    result = score(count_verdicts(records))
    return {"text": str(result), "ratio": result.ratio}
