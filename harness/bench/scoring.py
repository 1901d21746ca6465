"""From samples to figures: rates, medians, ratios to the reference, and one score per candidate.

Pure functions over a session's runs, giving the JSON-ready ``bench``
section of results.json (its shape is in ``harness/results.py``):

* a **rate** is units of work per second (``workload.size`` over a run's
  seconds); a side's figure is the **median** of its measured runs, with
  the min and max beside it;
* the **ratio** is the candidate's median rate over the reference's: above
  1 the candidate is faster;
* the **score** is the geometric mean of a candidate's ratios, over the
  workloads where both it and the reference gave correct, measured runs and
  where the figure measured the candidate rather than the driver protocol
  (``protocol_bound``: callbacks that carried the payload across it, or a
  protocol round trip per unit of work), and where the answer was checked
  in full (``length_only``: the workload states value 1's SHA-256 but the
  candidate cannot hash it, so only its length was checked: a figure for
  an answer that may be wrong is not ranked). Every workload left out is
  listed with the reason, so the score says what it covers;
* a side within ``NEAR_CEILING`` of the peer's ceiling is marked: its
  figure may be the peer's limit rather than its own, and the score lists
  the ratios concerned;
* a side's **peer load** is the median, over its measured runs, of the CPU
  seconds the harness's peers spent per second of the candidate's timed
  part (``harness.bench.peerload``), and its **peer wait** the median of
  the seconds their threads spent ready to run but without a core; where
  load plus wait reaches ``PEER_BUSY`` the peers had next to no idle time
  (were never left waiting for the candidate): the side is marked
  ``peer_busy``. The ceiling
  is an estimate made with another client; the load is what the peers did
  in the run itself. Each alone can mislead: a ping-pong comes near the
  ceiling with any client while its echo peer idles, and a UDP sender
  pacing itself by a fast receiver's queue is busy however much faster it
  could go (its ceiling says how much). A side marked both ways is
  ``peer_bound``: by both measures the peers, not the candidate, set the
  pace. The score lists the ratios concerned under each mark;
* a side's **candidate load** is the median, over its measured runs, of
  the CPU seconds the candidate itself reported for its timed loop
  (hashing excluded; PROTOCOL.md, ``cpu``) per second of that loop. Near 1
  it worked throughout and set its own pace; the shortfall below 1 is time
  it waited, for its peers or for a core they held. It is shown, and
  changes no mark: waiting is also what a latency-bound workload does.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from harness.bench.session import SideRuns, WorkloadRuns
from harness.scenario.model import Verdict

LENGTH_ONLY = "checked by length only: the candidate has no digest capability"
"""Why a ``length_only`` figure is not scored."""
NEAR_CEILING = 0.8
"""A side whose median rate reaches this share of the peer's ceiling is marked ``near_ceiling``."""
PEER_BUSY = 0.8
"""A side whose peers' median load plus median wait (per timed second) reaching this is ``peer_busy``."""
_CORRECT = (Verdict.PASS.value, Verdict.NON_STRICT.value, Verdict.INFORMATIONAL.value)


def spread(rates: Sequence[float]) -> dict[str, float | None]:
    """Median, min and max of some rates (all None when there are none)."""
    if not rates:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def _rates(size: int, seconds: Sequence[float]) -> list[float]:
    return [size / value for value in seconds if value > 0]


def side_figures(size: int, side: SideRuns, ceiling: float | None) -> dict[str, Any]:
    rates = _rates(size, side.seconds)
    figures: dict[str, Any] = {"verdict": side.verdict.value, "seconds": list(side.seconds), "rates": rates,
                               **spread(rates), "protocol_bound": side.protocol_bound,
                               "callback_calls": side.callback_calls, "length_only": side.length_only}
    median = figures["median"]
    figures["near_ceiling"] = bool(ceiling and median and median >= NEAR_CEILING * ceiling)
    figures["peer_loads"] = list(side.peer_loads)
    figures["peer_load"] = statistics.median(side.peer_loads) if side.peer_loads else None
    figures["peer_waits"] = list(side.peer_waits)
    figures["peer_wait"] = statistics.median(side.peer_waits) if side.peer_waits else None
    figures["peer_busy"] = (figures["peer_load"] is not None
                            and figures["peer_load"] + (figures["peer_wait"] or 0.0) >= PEER_BUSY)
    figures["peer_bound"] = figures["near_ceiling"] and figures["peer_busy"]
    figures["candidate_loads"] = list(side.candidate_loads)
    figures["candidate_load"] = statistics.median(side.candidate_loads) if side.candidate_loads else None
    if side.result is not None and side.verdict.value not in _CORRECT:
        figures["reason"] = side.result.reason.splitlines()[0] if side.result.reason else ""
    return figures


def workload_figures(runs: WorkloadRuns, reference: str) -> dict[str, Any]:
    workload = runs.scenario.workload
    ceiling_rates = _rates(workload.size, runs.ceiling_seconds)
    ceiling: dict[str, Any] | None = None
    if workload.ceiling is not None:
        ceiling = {"client": workload.ceiling.client, "rates": ceiling_rates, **spread(ceiling_rates)}
        if runs.ceiling_error:
            ceiling["error"] = runs.ceiling_error
    ceiling_median = ceiling["median"] if ceiling else None
    sides = {name: side_figures(workload.size, side, ceiling_median) for name, side in runs.sides.items()}
    base = sides[reference]["median"]
    ratios = {name: (figures["median"] / base if figures["median"] and base else None)
              for name, figures in sides.items() if name != reference}
    return {"id": runs.scenario.id, "title": runs.scenario.title, "size": workload.size,
            "unit": workload.unit, "timing": workload.timing, "ceiling": ceiling, "sides": sides,
            "ratios": ratios}


def exclusion(figures: dict[str, Any], candidate: str, reference: str) -> str:
    """Why this workload is not in ``candidate``'s score ("" when it is)."""
    for name in (candidate, reference):
        side = figures["sides"][name]
        if side["verdict"] not in _CORRECT:
            return f"{name}: {side['verdict']}"
        if side["median"] is None:
            return f"{name}: no measured run"
        if side["protocol_bound"]:
            why = "callbacks crossed the driver protocol" if side["callback_calls"] else \
                "one protocol round trip per call of every exchange"
            return f"{name}: {why}"
        if side.get("length_only"):
            return f"{name}: {LENGTH_ONLY}"
    return ""


def score(workloads: Sequence[dict[str, Any]], candidate: str, reference: str) -> dict[str, Any]:
    """The geometric mean of the candidate's ratios where they measure the candidate, and what it left out.

    A ratio where either side came near the peer's ceiling stays in (leaving
    it out would penalise exactly the candidates fast enough to reach it),
    but it is listed under ``near_ceiling``: it understates the faster side.
    So is one where either side kept the peers busy, under ``peer_busy``,
    and one where a side was both, under ``peer_bound``.
    """
    ratios, excluded, near, busy, bound = [], [], [], [], []
    for figures in workloads:
        why = exclusion(figures, candidate, reference)
        if why:
            excluded.append({"id": figures["id"], "why": why})
            continue
        ratios.append(figures["ratios"][candidate])
        if any(figures["sides"][name]["near_ceiling"] for name in (candidate, reference)):
            near.append(figures["id"])
        if any(figures["sides"][name].get("peer_busy") for name in (candidate, reference)):
            busy.append(figures["id"])
        if any(figures["sides"][name].get("peer_bound") for name in (candidate, reference)):
            bound.append(figures["id"])
    geomean = math.exp(sum(math.log(ratio) for ratio in ratios) / len(ratios)) if ratios else None
    return {"geomean": geomean, "count": len(ratios), "excluded": excluded, "near_ceiling": near,
            "peer_busy": busy, "peer_bound": bound}


def bench_section(runs: Sequence[WorkloadRuns], reference: str, candidates: Sequence[str],
                  settings: dict[str, Any]) -> dict[str, Any]:
    """The whole ``bench`` section: settings (pairs, machine, command...), workloads and scores."""
    workloads = [workload_figures(item, reference) for item in runs]
    return {**settings, "reference": reference, "candidates": list(candidates), "workloads": workloads,
            "scores": {name: score(workloads, name, reference) for name in candidates}}
