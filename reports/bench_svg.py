"""The HTML report's throughput section: one small inline SVG chart per workload.

Each chart has one bar per side (the median rate), a whisker from its
slowest to its fastest measured run, and a dashed line at the peer's
ceiling; the caption gives the ratios to the reference. Everything is drawn
here as markup with every text escaped, inline (no script, no style sheet,
no external asset), so the charts show even with scripting off. An empty
string when the document has no ``bench`` section.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from reports.bench_text import (
    marks,
    notes,
    rate_label,
    score_line,
    settings_line,
    show_ceiling,
    show_load,
    show_rate,
    show_ratio,
)

WIDTH = 640
LABEL = 170  # room for the side names, left of the bars
VALUE = 90  # room for the median, right of the bars
ROW = 22
TOP = 16  # room for the ceiling's label above the rows
REFERENCE_FILL = "#7a8fa6"
CANDIDATE_FILL = "#3b7dd8"
FAILED_FILL = "#c0392b"


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def chart(workload: Mapping[str, Any], reference: str) -> str:
    """The SVG for one workload."""
    unit = workload["unit"]
    sides = workload["sides"]
    ceiling = (workload.get("ceiling") or {}).get("median")
    peak = max([value for side in sides.values() for value in (side["max"], side["median"]) if value] +
               ([ceiling] if ceiling else []) + [1e-12])
    span = WIDTH - LABEL - VALUE
    height = TOP + 6 + ROW * len(sides)
    parts = [f'<svg role="img" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
             f'aria-label="{_text(workload["id"])}: median rates in {_text(rate_label(unit))}">']
    for index, (name, side) in enumerate(sides.items()):
        y = TOP + index * ROW
        parts.append(f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f'{_text(name)}</text>')
        if side["median"] is None:
            parts.append(f'<text x="{LABEL}" y="{y + 15}" font-size="12" fill="{FAILED_FILL}">'
                         f'{_text(side["verdict"])}</text>')
            continue
        fill = REFERENCE_FILL if name == reference else CANDIDATE_FILL
        length = span * side["median"] / peak
        parts.append(f'<rect x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="{fill}">'
                     f'<title>{_text(name)}: median {_text(show_rate(side["median"], unit))} '
                     f'{_text(rate_label(unit))}</title></rect>')
        low, high = LABEL + span * side["min"] / peak, LABEL + span * side["max"] / peak
        middle = y + ROW / 2
        whisker = (f"M{low:.1f} {middle:.1f}H{high:.1f}M{low:.1f} {middle - 5:.1f}V{middle + 5:.1f}"
                   f"M{high:.1f} {middle - 5:.1f}V{middle + 5:.1f}")
        parts.append(f'<path d="{whisker}" stroke="#222" stroke-width="1.2" fill="none"/>')
        parts.append(f'<text x="{max(high, LABEL + length) + 6:.1f}" y="{y + 15}" font-size="12">'
                     f'{_text(show_rate(side["median"], unit) + marks(side))}</text>')
    if ceiling:
        x = LABEL + span * ceiling / peak
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 2}" x2="{x:.1f}" y2="{height - 2}" stroke="#999" '
                     f'stroke-dasharray="4 3"><title>peer ceiling {_text(show_rate(ceiling, unit))} '
                     f'{_text(rate_label(unit))}</title></line>')
        parts.append(f'<text x="{x:.1f}" y="{TOP - 5}" text-anchor="middle" font-size="10" fill="#666">'
                     f'ceiling {_text(show_rate(ceiling, unit))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _caption(workload: Mapping[str, Any], reference: str) -> str:
    unit = workload["unit"]
    ratios = ", ".join(f"{name} / {reference} {show_ratio(ratio)}"
                       for name, ratio in workload["ratios"].items())
    ceiling = workload.get("ceiling")
    ceiling_text = f"; peer ceiling {show_ceiling(ceiling, unit)}" if ceiling else ""
    load_text = ""
    for whose in ("peer", "candidate"):
        loads = ", ".join(f"{name} {show_load(side, whose)}" for name, side in workload["sides"].items()
                          if side.get(f"{whose}_load") is not None)
        load_text += f"; {whose} load {loads}" if loads else ""
    return (f"{workload['title']} ({rate_label(unit)}, median and min–max; timed by the "
            f"{workload['timing']}). {ratios}{ceiling_text}{load_text}")


def section(document: Mapping[str, Any]) -> str:
    """The whole throughput section, or "" for a document without figures."""
    bench = document.get("bench")
    if not bench:
        return ""
    reference = bench["reference"]
    total = len(bench["workloads"])
    items = "".join(f"<li>{_text(score_line(name, bench['scores'][name], total))}</li>"
                    for name in bench["candidates"])
    figures = "".join(f'<figure style="margin:1.2em 0"><figcaption style="font-size:90%">'
                      f"<strong>{_text(workload['id'])}</strong>: {_text(_caption(workload, reference))}"
                      f"</figcaption>{chart(workload, reference)}</figure>"
                      for workload in bench["workloads"])
    settings = _text(settings_line(bench)).replace("`", "")
    return (f'<section id="bench" aria-label="Throughput"><h2>Throughput</h2>'
            f"<p>{settings}</p><ul>{items}</ul><p>{_text(' '.join(notes()))}</p>{figures}</section>")
