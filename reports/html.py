"""The HTML report: one self-contained file with the candidates x scenarios matrix.

Self-contained means a CI artifact that opens anywhere, offline, forever:
the style sheet and the script (``reports/html_assets/``) are inlined, the
data (``reports.html_data.view_model``) is embedded as JSON, and nothing is
fetched. The script renders the matrix from that JSON, so the file is as
small as the data and the filters work on the data rather than on markup.

A bench run's report also has a throughput section, drawn as static
inline SVG (``reports.bench_svg``) rather than by the script.

The JSON sits in a ``<script type="application/json">`` element, where the
only danger is text that closes the element early (``</script>``) or opens
an HTML comment; escaping every ``<``, ``>`` and ``&`` as ``\\u003c``-style
JSON escapes rules both out whatever a reason or transcript contains. The
script inserts all data with ``textContent``, never as markup.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reports import bench_svg
from reports.html_data import TITLE, view_model

ASSETS = Path(__file__).with_name("html_assets")
_MARKER = re.compile("@(?:TITLE|STYLE|DATA|SCRIPT|BENCH)@")
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


def render(document: Mapping[str, Any]) -> str:
    model = view_model(document)
    template = _asset("report.html")
    parts = {
        "@TITLE@": html.escape(f"{TITLE} — {', '.join(c['name'] for c in model['candidates'])}"),
        "@STYLE@": _asset("report.css"),
        "@DATA@": embed_json(model),
        "@SCRIPT@": _asset("report.js"),
        "@BENCH@": bench_svg.section(document),  # throughput charts, only in a bench run's report
    }
    # One pass, so that a marker-like text inside the data is never replaced in turn.
    return _MARKER.sub(lambda match: parts[match.group()], template)


def embed_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (see the module docstring)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")
