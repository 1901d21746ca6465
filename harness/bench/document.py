"""A bench session as a results.json document: the usual verdict records plus the ``bench`` section.

Every (workload, side) pair gets one ordinary result record, so the JUnit,
Markdown and HTML reports and the CI gates read a bench run like any other:
PASS when every run was correct, else the first wrong run's verdict with
its reason and transcript. The figures go into ``bench``
(``scoring.bench_section``; the shape is described in ``harness/results.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.bench import machine
from harness.bench.scoring import bench_section
from harness.bench.session import WorkloadRuns
from harness.bench.workload import PERF_AREA
from harness.results import build_document, candidate_entry, localize, result_record, suite_version


def bench_document(runs: Sequence[WorkloadRuns], reference: str, candidates: Sequence[str], *, root: Path,
                   wall_time: float, time_scale: float, settings: dict[str, Any]) -> dict[str, Any]:
    records = [localize(result_record(side.result, item.scenario, PERF_AREA), root)
               for item in runs for side in item.sides.values() if side.result is not None]
    described: dict[str, dict[str, Any]] = {}
    for item in runs:
        for name, side in item.sides.items():
            if side.info is not None and name not in described:
                described[name] = candidate_entry(name, side.info.version, side.info.capabilities)
    entries = [described.get(name, candidate_entry(name, "unknown", ())) for name in [reference, *candidates]]
    document = build_document(records, entries, suite_version=suite_version(root), wall_time=wall_time,
                              time_scale=time_scale)
    document["bench"] = bench_section(runs, reference, candidates,
                                      {**settings, "machine": {**settings.get("machine", {}),
                                                               "load_after": machine.load_average()}})
    return document
