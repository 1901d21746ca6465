"""Throughput figures as text: rate units, the Markdown table and the score lines.

Shared by the Markdown summary, the HTML charts' labels and ``lsconform
bench``'s own output, so that every view shows the same numbers the same
way. Pure functions over the ``bench`` section of results.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.bench.scoring import NEAR_CEILING, PEER_BUSY
from harness.bench.session import reason_line
from reports.tally import ACCEPTABLE

# unit of work -> (divisor, label) for showing a rate (units per second)
RATE_UNITS: dict[str, tuple[float, str]] = {
    "bytes": (1e6, "MB/s"),
    "lines": (1e6, "M lines/s"),
    "datagrams": (1e3, "k datagrams/s"),
    "exchanges": (1e3, "k exchanges/s"),
    "messages": (1.0, "messages/s"),
}
PROTOCOL_MARK = "†"
LENGTH_MARK = "‡"
CEILING_MARK = "*"
PEER_MARK = "!"


def rate_label(unit: str) -> str:
    return RATE_UNITS.get(unit, (1.0, f"{unit}/s"))[1]


def show_rate(rate: float | None, unit: str) -> str:
    """A rate in its unit's scale, with three significant figures (``-`` for none)."""
    if rate is None:
        return "-"
    value = rate / RATE_UNITS.get(unit, (1.0, ""))[0]
    return f"{value:.3g}" if value < 999.5 else f"{value:.0f}"  # 999.6 rounds to 1000, not 1e+03


def show_side(side: Mapping[str, Any], unit: str) -> str:
    """``median (min–max)`` with its marks, or the verdict when there is no figure."""
    if side["median"] is None:
        return side["verdict"]
    low, high = show_rate(side["min"], unit), show_rate(side["max"], unit)
    text = f"{show_rate(side['median'], unit)} ({low}–{high})"
    return text + marks(side)


def marks(side: Mapping[str, Any]) -> str:
    """The marks a side's figure carries (see ``notes``)."""
    return ((PROTOCOL_MARK if side["protocol_bound"] else "")
            + (LENGTH_MARK if side.get("length_only") else "")
            + (CEILING_MARK if side["near_ceiling"] else "")
            + (PEER_MARK if side.get("peer_busy") else ""))


def show_load(side: Mapping[str, Any], whose: str = "peer") -> str:
    """The median load of a side's runs, the peers' or the candidate's (``-`` where it was not measured).

    The peers' load carries their wait for a core after a plus where it was
    measured (``0.62+0.03``): the two together are what ``peer_busy`` weighs.
    """
    load = side.get(f"{whose}_load")
    if load is None:
        return "-"
    wait = side.get("peer_wait") if whose == "peer" else None
    return f"{load:.2f}" if wait is None else f"{load:.2f}+{wait:.2f}"


def show_ratio(ratio: float | None) -> str:
    """Two decimals, or two significant figures below 0.1: 0.002 must not read as 0.00."""
    if ratio is None:
        return "-"
    return f"{ratio:.2f}" if ratio >= 0.095 else f"{ratio:.2g}"


def show_ceiling(ceiling: Mapping[str, Any] | None, unit: str) -> str:
    """A workload's peer ceiling, one rule for every view: its figure, and its error if one ended it.

    A ceiling can fail after some rounds: the rounds before keep a median, and hiding the error
    (or the figure) in one view would make the table and the chart disagree.
    """
    if not ceiling:
        return "-"
    error = (ceiling.get("error") or "").strip().splitlines()
    if ceiling.get("median") is None:
        return f"not measured: {error[0]}" if error else "-"
    figure = show_rate(ceiling["median"], unit)
    return f"{figure} (then an error: {error[0]})" if error else figure


def score_line(name: str, score: Mapping[str, Any], total: int) -> str:
    """``NAME: throughput score 0.81 (geometric mean over 9 of 14 workloads; not scored: ...)``."""
    if score["geomean"] is None:
        head = f"{name}: no throughput score (no workload gave a scored figure for both it and the reference)"
    else:
        head = (f"{name}: throughput score {show_ratio(score['geomean'])} (geometric mean of the "
                f"candidate/reference ratios over {score['count']} of {total} workloads)")
    if score.get("near_ceiling"):
        head += (f"; {len(score['near_ceiling'])} of them near a peer's ceiling, where the ceiling cannot "
                 f"tell the candidate's limit from the peers' (their load+wait can): "
                 f"{', '.join(score['near_ceiling'])}")
    if score.get("peer_busy"):
        head += (f"; {len(score['peer_busy'])} with the harness's peers busy at least "
                 f"{PEER_BUSY:.0%} of the time: {', '.join(score['peer_busy'])}")
    if score.get("peer_bound"):
        head += (f"; {len(score['peer_bound'])} where by both measures the peers set the pace, understating "
                 f"the faster side: {', '.join(score['peer_bound'])}")
    if not score["excluded"]:
        return head
    left_out = "; ".join(f"{item['id']}: {item['why']}" for item in score["excluded"])
    return f"{head}; not scored: {left_out}"


def failure_lines(document: Mapping[str, Any]) -> list[str]:
    """``WORKLOAD: SIDE VERDICT: reason`` for every side whose answer was wrong, one line each.

    The table and the score line give only the verdict; this is why, for
    the terminal (the reports have the whole account). Skips are left out:
    the session's progress said why as they happened.
    """
    return [f"{r['scenario']}: {r['candidate']} {r['verdict']}: {reason_line(r.get('reason', ''))}"
            for r in document["results"] if r["verdict"] not in ACCEPTABLE and r["verdict"] != "SKIP"]


def table(bench: Mapping[str, Any]) -> list[str]:
    """The figures as a Markdown table: one row per workload, medians (min–max) per side, ratios."""
    reference, candidates = bench["reference"], list(bench["candidates"])
    header = ["workload", "unit", reference, *candidates]
    header += [f"{name} / {reference}" for name in candidates] + ["peer ceiling", "peer load+wait",
                                                                    "candidate load"]
    rows = []
    for workload in bench["workloads"]:
        unit = workload["unit"]
        sides = workload["sides"]
        ceiling_text = show_ceiling(workload["ceiling"], unit)
        rows.append([workload["id"], rate_label(unit), *[show_side(sides[name], unit) for name in
                                                          [reference, *candidates]],
                     *[show_ratio(workload["ratios"].get(name)) for name in candidates], ceiling_text,
                     *[" / ".join(show_load(sides[name], whose) for name in [reference, *candidates])
                       for whose in ("peer", "candidate")]])
    return [_row(header), _row(["---"] * len(header)), *[_row(row) for row in rows]]


def notes() -> list[str]:
    return [f"Medians of the measured runs, (min–max) beside them. {PROTOCOL_MARK} the figure includes "
            "driver-protocol round trips (callbacks carrying the payload, or one per call of an exchange): "
            f"shown, not scored. {LENGTH_MARK} checked by length only: the workload states the SHA-256 of "
            "what the candidate received, but the candidate has no digest capability, so only the length "
            f"was checked: shown, not scored. {CEILING_MARK} within {NEAR_CEILING:.0%} of the peer's "
            "ceiling (a plain-socket client's rate against the same peers): the peer may be the limit. "
            "Peer load+wait: the CPU seconds the harness's peers and fake servers spent per second of the "
            "candidate's timed part, and after the plus the seconds their threads were ready to run but had "
            "no core, medians of the runs, one pair per side in column order; the rest of the time the peers "
            f"were blocked, waiting for the candidate. {PEER_MARK} load plus wait of {PEER_BUSY:.2f} or "
            "more: the peers were hardly ever idle. Marked both "
            f"{CEILING_MARK}{PEER_MARK}, the peers set the pace, not the candidate; {PEER_MARK} alone, the "
            "ceiling shows they could go faster (a peer pacing itself by a fast candidate is busy however "
            f"fast it could go); {CEILING_MARK} alone, the peers were not busy, but the client still "
            "waited on each exchange: on the machine's wake-up latency (a ping-pong, with any client) or "
            "on a fake server's own time per session (benchmarks/upload_headroom.py measures it). "
            "Candidate load: the CPU seconds the candidate "
            "reported for its own timed loop (hashing excluded) per second of it, median of the runs, one "
            "per side (- where the driver does not report it): near 1 it worked throughout; below 1 it "
            "waited, for its peers, for a core they held, or for the network's latency."]


def settings_line(bench: Mapping[str, Any]) -> str:
    machine = bench["machine"]
    loads = "/".join(f"{value:g}" for value in machine.get("load_before", [])) or "?"
    after = "/".join(f"{value:g}" for value in machine.get("load_after", [])) or "?"
    return (f"`{bench['command']}`: {bench['warmup']} warm-up and {bench['pairs']} measured rounds per "
            f"workload, sides interleaved; {machine['cpu']}, {machine['cores']} cores, Python "
            f"{machine['python']}, {machine['platform']}; load average {loads} before, {after} after."
            + _interrupted(bench) + _receive_buffers(machine))


def _interrupted(bench: Mapping[str, Any]) -> str:
    stop = bench.get("interrupted")
    if not stop:
        return ""
    return (f" Interrupted (Ctrl-C): {stop['after']} of the {stop['of']} workloads selected were measured "
            "to the end; the figures are theirs, the score is over them only.")


def _receive_buffers(machine: Mapping[str, Any]) -> str:
    """A warning when the upload servers could not fix their receive buffers as the workloads ask."""
    unfixed = machine.get("rcvbuf_autotuned") or []
    if not unfixed:
        return ""
    return (f" Receive buffers left to autotuning (no CAP_NET_ADMIN, and rcvbuf above net.core.rmem_max, "
            f"{machine.get('rmem_max', '?')} bytes): {', '.join(unfixed)}; their figures are lower than "
            f"where it is fixed (fakeservers/README.md, Receive buffers).")


def markdown_section(bench: Mapping[str, Any], versions: Mapping[str, str]) -> list[str]:
    total = len(bench["workloads"])
    lines = ["## Throughput", "", settings_line(bench), ""]
    for name in [bench["reference"], *bench["candidates"]]:
        if versions.get(name):
            lines.append(f"- {name}: {versions[name]}")
    lines.append("")
    lines += [f"- {score_line(name, bench['scores'][name], total)}" for name in bench["candidates"]]
    return [*lines, "", *table(bench), "", *notes()]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"
