"""The Markdown summary of a run, rendered from results.json alone.

Meant for a CI job summary or a pull-request comment: a headline per
candidate first, then (when the run was judged against expectations files)
what differs from them, regressions and unexpected passes first, then
(for ``--repeat``) the verdicts that changed between repetitions, then
per-area scores, then every non-pass with its reason and the manual clause
it concerns, so a reader can go straight to the manual, then every NON-STRICT
and INFORMATIONAL result with its reason (the outcome's note) and what the
candidate did. Pure functions: a document in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness import expectations
from reports import bench_text
from reports.tally import ACCEPTABLE, VERDICT_ORDER, by_area, by_candidate, count_verdicts, score

_REASON_LIMIT = 400


def headline(document: Mapping[str, Any]) -> list[str]:
    """One line per candidate (score and the non-zero counts), then the wall time."""
    versions = {c["name"]: c.get("version", "") for c in document["candidates"]}
    lines = []
    for name, records in by_candidate(document).items():
        counts = count_verdicts(records)
        shown = ", ".join(f"{verdict} {n}" for verdict, n in counts.items() if n) or "no results"
        label = _LINE_BREAKING.sub(_escaped, f"{name} {versions.get(name, '')}".strip())  # a terminal line
        lines.append(f"{label}: score {score(counts)}; {shown}")
    lines += expectations.headline(document)
    if "repeat" in document:
        count, changed = document["repeat"]["count"], len(document["repeat"]["changed"])
        lines.append(f"{count} repetitions: " + (
            f"{changed} verdict{'s' if changed != 1 else ''} changed between them, which fails the run; "
            "the counts are the last repetition's" if changed else "every verdict the same in each"))
    if "shard" in document:
        lines.append(f"shard {document['shard']['index']}/{document['shard']['count']} of a split run")
    lines.append(f"wall time {document['wall_time']:.1f} s")
    return lines


def render(document: Mapping[str, Any]) -> str:
    parts = [
        "# LuaSocket 1.3b conformance",
        "",
        f"Suite `{document['suite_version']}`, run {document['created']}, "
        f"time scale {document['time_scale']:g}, wall time {document['wall_time']:.1f} s.",
        "",
        *_against_expectations(document),
        # A changed verdict fails the run whatever the last repetition says: it comes before the counts.
        *([*_repetitions(document["repeat"]["count"], document["repeat"]["changed"]), ""]
          if "repeat" in document else []),
        *_overview(document),
    ]
    versions = {c["name"]: c.get("version", "") for c in document["candidates"]}
    for name, records in by_candidate(document).items():
        parts += ["", f"## {_cell(name)} {_cell(versions.get(name, ''))}".rstrip(), "", *_areas(records)]
        parts += ["", *_non_passes(records)]
        parts += _acceptable_with_notes(records)
    if "bench" in document:  # lsconform bench: the throughput figures
        parts += ["", *bench_text.markdown_section(document["bench"], versions)]
    return "\n".join(parts) + "\n"


def _overview(document: Mapping[str, Any]) -> list[str]:
    header = ["candidate", "version", "score", *VERDICT_ORDER]
    versions = {c["name"]: c.get("version", "") for c in document["candidates"]}
    rows = []
    for name, records in by_candidate(document).items():
        counts = count_verdicts(records)
        cells = [str(counts[v]) for v in VERDICT_ORDER]
        rows.append([name, versions.get(name, ""), str(score(counts)), *cells])
    return _table(header, rows)


def _against_expectations(document: Mapping[str, Any]) -> list[str]:
    """Every result that differs from its expectations file, the ones that fail the run first."""
    if not document.get("expectations"):
        return []
    strict = expectations.is_strict(document)
    order = {status: index for index, status in enumerate(expectations.STATUS_ORDER)}
    quiet = (None, expectations.Status.EXPECTED)
    differing = sorted((r for r in document["results"] if expectations.status_of(r) not in quiet),
                       key=lambda r: (order[expectations.status_of(r)], r["candidate"], r["scenario"]))
    parts = ["## Against expectations", "",
             *[f"- {_cell(line)}" for line in expectations.headline(document)], ""]  # a path as it is
    if not differing:
        return [*parts, "Every result is as its expectations file says.", ""]
    rows = []
    for record in differing:
        status = expectations.status_of(record)
        listed = record["expectation"]
        shown = status.value + (" (fails the run)" if status.fails(strict) else "")
        # A pass's own reason (a NON-STRICT note) says less here than why it was listed.
        own = record.get("reason") if record["verdict"] not in ACCEPTABLE else ""
        reason = own or listed.get("reason", "")
        rows.append([shown, _code(record["scenario"]), record["candidate"], record["verdict"],
                     listed.get("verdict", "not listed"), _shorten(reason)])
    return [*parts, *_table(["status", "scenario", "candidate", "verdict", "listed", "reason"], rows), ""]


def _areas(records: Sequence[Mapping[str, Any]]) -> list[str]:
    if not records:
        return ["No results."]
    rows = []
    for area, group in by_area(records).items():
        counts = count_verdicts(group)
        non_passes = sum(n for v, n in counts.items() if v not in ACCEPTABLE)
        rows.append([area, str(score(counts)), str(len(group)), str(non_passes)])
    return _table(["area", "score", "scenarios", "non-passes"], rows)


def _non_passes(records: Iterable[Mapping[str, Any]]) -> list[str]:
    rows = [
        [_code(r["scenario"]), _verdict_cell(r), _shorten(r.get("reason", "")), r["manual"], r["spec"],
         r.get("step") or r.get("location", "")]
        for r in records
        if r["verdict"] not in ACCEPTABLE
    ]
    if not rows:
        return ["### Non-passes", "", "None."]
    return ["### Non-passes", "", *_table(["scenario", "verdict", "reason", "manual", "spec", "where"], rows)]


def _acceptable_with_notes(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """NON-STRICT and INFORMATIONAL results: why each is only acceptable, and what the candidate did.

    They count as passes, so they are not among the non-passes; but a
    maintainer wants to know which behaviour was not the manual's. Shown
    only when there are some, without the columns the reason already implies.
    """
    rows = [[_code(r["scenario"]), _verdict_cell(r), _shorten(r.get("reason", "")),
             _shorten(r.get("actual", "")), r.get("step") or r.get("location", "")]
            for r in records if r["verdict"] in ACCEPTABLE and r["verdict"] != "PASS"]
    if not rows:
        return []
    return ["", "### Non-strict and informational", "",
            *_table(["scenario", "verdict", "reason", "actual", "where"], rows)]


def _verdict_cell(record: Mapping[str, Any]) -> str:
    status = expectations.status_of(record)
    return record["verdict"] if status is None else f"{record['verdict']} ({status.value})"


def _repetitions(count: int, changed: Sequence[Mapping[str, Any]]) -> list[str]:
    title = f"## Stability over {count} repetitions"
    if not changed:
        return [title, "", "Every verdict was the same in every repetition."]
    rows = [[_code(c["scenario"]), c["candidate"], " → ".join(c["verdicts"])] for c in changed]
    return [title, "", "Verdicts that changed between repetitions (they fail the run; the tables below "
            "are the last repetition's):", "", *_table(["scenario", "candidate", "verdicts"], rows)]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [_row(header), "|" + "|".join("---" for _ in header) + "|"]
    lines += [_row(row) for row in rows]
    return lines


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


class _Code(str):
    """A cell shown as a code span (a scenario id)."""


def _code(text: str) -> _Code:
    return _Code(text)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters (a tab and the line ends aside), shown as \\xNN: a terminal colour code or a NUL in
a driver's stderr would otherwise reach the summary raw."""
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match[0]):02x}"


def _cell(text: str) -> str:
    """Keep a value inside its table cell, as it is: no pipes, line breaks, HTML or code spans.

    The summary is read where Markdown passes HTML through (a CI job summary, a
    pull-request comment): a reason holding ``<b>`` or ``</testcase>`` would be
    rendered or hidden, not shown. Two backticks in a reason would open a code
    span, ``*``, ``~`` or an ``_`` at a word's edge emphasis or strikethrough, ``[`` a link or image,
    and a run of spaces would render as one (``"a,  b"`` as ``"a, b"``):
    the backticks and those marks are escaped, and every space after the first
    of a run is a no-break space.
    """
    shown = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    shown = shown.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
    shown = _CONTROL.sub(_escaped, shown)  # a driver's ESC, NUL or BEL
    shown = _SPACE_IN_RUN.sub("&nbsp;", shown)
    if isinstance(text, _Code):  # a scenario id: no backticks, no spaces
        return f"`{shown}`"
    return _EMPHASIS.sub(r"\\\g<0>", shown.replace("`", "\\`"))


_SPACE_IN_RUN = re.compile("(?<= ) ")
_EMPHASIS = re.compile(r"[*~\[]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
"""What would start emphasis, strikethrough or a link (``"2*3*4"`` shows as 2<em>3</em>4, and
``![x](http://...)`` fetches an image): escaped. An ``_`` inside a word (``smtp_mail``) never does, and
stays as it is."""
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_UNIT = re.compile(r"\\[0-9]{1,3}|\\.|.", re.DOTALL)  # one character of a quoted Lua string as shown
_HEAD, _TAIL = 40, 20


def _shorten(text: str) -> str:
    """A reason on one line and at most ``_REASON_LIMIT`` characters, its values cut in the middle.

    Line breaks (a traceback's, a driver's stderr) become single spaces;
    spaces within a line stay, as they may be part of a value. When too
    long, the longest quoted strings lose their middles first (``"abc…xyz"``;
    a shown Lua string never holds a real ``…``), so the reason's end, which
    says what was expected, survives; only then is the end cut.
    """
    text = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    while len(text) > _REASON_LIMIT:
        longest = max(_QUOTED.finditer(text), key=lambda match: len(match.group()), default=None)
        # The head of a string lua_repr already cut ("abc"..."xyz" (N bytes), or "abc"...(N bytes)
        # in files written before tails were kept) ends mid-value: only its head stays.
        shorter = _middle_cut(longest.group(), text.startswith("...", longest.end())) if longest else ""
        if not longest or len(shorter) >= len(longest.group()):
            break
        text = text[:longest.start()] + shorter + text[longest.end():]
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _middle_cut(quoted: str, head_only: bool = False) -> str:
    """``"…"`` keeping the first ``_HEAD`` and last ``_TAIL`` characters, escapes never split."""
    units = _UNIT.findall(quoted[1:-1])
    if len(units) <= _HEAD + _TAIL + 1:
        return quoted
    if head_only:
        return '"' + "".join(units[:_HEAD + _TAIL]) + '…"'
    return '"' + "".join(units[:_HEAD]) + "…" + "".join(units[-_TAIL:]) + '"'
