"""Reading and writing expectations files (``expectations/<candidate>.yaml``).

The format, decided once and documented in ``expectations/README.md``::

    candidate: luasocket3-lua5.4
    expectations:
      tcp.receive.word.basic:
        verdict: FAIL          # FAIL | CRASH | TIMEOUT | UNIMPLEMENTED | SKIP
        reason: one line saying why

Parsing reuses the scenario loader's YAML machinery (line-keeping containers,
duplicate keys as errors, YAML 1.2 core typing), so a problem is reported as
``path:line: field: message`` exactly like a scenario's, and every problem of
a file is reported at once.

The rule that keeps reason-less files from being shipped lives here: a
reason must be one non-empty line and must not start with ``TODO``, which is
what ``lsconform update-expectations`` writes for every new entry. Only the
updater itself reads files with TODO reasons (``allow_todo``).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.expectations import LISTABLE, PASSING, Expectation, ExpectationSet
from harness.scenario.errors import Collector, Problem
from harness.scenario.located import InvalidValue, YMap
from harness.scenario.model import Verdict
from harness.scenario.yamlsource import load_yaml

TODO = "TODO"
TOP_KEYS = ("candidate", "expectations")
ENTRY_KEYS = ("verdict", "reason")


class ExpectationsError(ValueError):
    """One or more expectations files cannot be used; ``problems`` lists every one, in order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.path, p.line)))
        super().__init__("\n".join(str(p) for p in self.problems))


def load_expectations(path: Path, *, known_ids: Collection[str] | None = None,
                      allow_todo: bool = False) -> ExpectationSet:
    """Read and check one file; raises ``ExpectationsError`` naming every problem.

    ``known_ids``: the suite's scenario ids; an entry for any other id is an
    error (a renamed or deleted scenario must not leave a silent entry).
    ``allow_todo``: accept ``TODO`` reasons (only the updater needs this).
    """
    collector = Collector(str(path))
    try:
        parsed = load_yaml(Path(path), collector)
    except OSError as error:
        unreadable = Problem(str(path), 1, "file", f"cannot read: {error.strerror or error}")
        raise ExpectationsError([unreadable]) from None
    for invalid in parsed.invalid:
        collector.add(invalid.line, invalid.tag, f"{invalid.message} (expectations files use no tags)")
    if not parsed.parsed:
        raise ExpectationsError(collector.problems)
    data = parsed.data
    if not isinstance(data, YMap):
        collector.add(1, "file", "expected a mapping with the keys candidate and expectations")
        raise ExpectationsError(collector.problems)
    for key in data:
        if key not in TOP_KEYS:
            collector.add(data.line_of(key), str(key), f"unknown key (the keys are {', '.join(TOP_KEYS)})")
    candidate = data.get("candidate")
    if not isinstance(candidate, str) or not candidate.strip():
        collector.add(data.line_of("candidate"), "candidate", "required: the candidate's name, as "
                                                              "`lsconform run --candidate` takes it")
        candidate = ""
    entries = _entries(data, collector, known_ids, allow_todo)
    if collector.problems:
        raise ExpectationsError(collector.problems)
    return ExpectationSet(candidate, entries, str(path))


def _entries(data: YMap, collector: Collector, known_ids: Collection[str] | None,
             allow_todo: bool) -> dict[str, Expectation]:
    if "expectations" not in data:
        collector.add(data.line, "expectations", "required: a mapping from scenario id to verdict and "
                                                 "reason (empty, {}, when every scenario passes)")
        return {}
    listed = data["expectations"]
    if listed is None:
        return {}
    if not isinstance(listed, YMap):
        collector.add(data.line_of("expectations"), "expectations",
                      "expected a mapping from scenario id to {verdict, reason}")
        return {}
    entries = {}
    for scenario, entry in listed.items():
        line = listed.line_of(scenario)
        field = f"expectations[{scenario}]"
        if not isinstance(scenario, str):
            collector.add(line, field, "a scenario id is text, such as tcp.receive.line.crlf-stripped")
            continue
        if known_ids is not None and scenario not in known_ids:
            near = difflib.get_close_matches(scenario, list(known_ids), n=1)
            hint = f"; did you mean {near[0]}?" if near else "; `lsconform list` prints every id"
            collector.add(line, field, f"unknown scenario id{hint}")
            continue
        expectation = _entry(entry, line, field, collector, allow_todo)
        if expectation is not None:
            entries[scenario] = expectation
    return entries


def _entry(entry: Any, line: int, field: str, collector: Collector, allow_todo: bool) -> Expectation | None:
    if isinstance(entry, InvalidValue):
        return None  # a bad tag, already reported with its own message
    if not isinstance(entry, YMap):
        collector.add(line, field, "expected a mapping {verdict: ..., reason: ...}")
        return None
    problems_before = len(collector.problems)
    for key in entry:
        if key not in ENTRY_KEYS:
            collector.add(entry.line_of(key), f"{field}.{key}",
                          f"unknown key (an entry has {', '.join(ENTRY_KEYS)})")
    # A missing key is reported at the entry's id, the line a reader looks at.
    verdict = _verdict(entry.get("verdict"), entry.key_lines.get("verdict", line), f"{field}.verdict",
                       collector)
    reason = _reason(entry.get("reason"), entry.key_lines.get("reason", line), f"{field}.reason", collector,
                     allow_todo)
    if len(collector.problems) > problems_before or verdict is None or reason is None:
        return None
    return Expectation(verdict, reason, line)


def _verdict(value: Any, line: int, field: str, collector: Collector) -> Verdict | None:
    names = " | ".join(v.value for v in LISTABLE)
    if value is None:
        collector.add(line, field, f"required: one of {names}")
        return None
    try:
        verdict = Verdict(str(value))
    except ValueError:
        collector.add(line, field, f"unknown verdict {value!r} (one of {names})")
        return None
    if verdict in PASSING:
        collector.add(line, field, f"{verdict.value} is a pass; only non-passes are listed ({names})")
        return None
    return verdict


def _reason(value: Any, line: int, field: str, collector: Collector, allow_todo: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        collector.add(line, field, "required: one line saying why this scenario does not pass")
        return None
    if not isinstance(value, str):
        collector.add(line, field, f"expected one line of text, not {value!r}")
        return None
    if "\n" in value.strip() or "\r" in value:
        collector.add(line, field, "a reason is one line")
        return None
    reason = value.strip()
    if not allow_todo and reason.upper().startswith(TODO):
        collector.add(line, field, "still TODO: replace it with why this scenario does not pass "
                                   "(update-expectations marks every new entry so)")
        return None
    return reason


def load_for_run(paths: Iterable[Path], candidates: Sequence[str],
                 known_ids: Collection[str] | None) -> dict[str, ExpectationSet]:
    """The sets for one run, by candidate: each file's candidate must be in the run, once.

    Each set records its file as an absolute path: results.json is read
    later from anywhere (``update-expectations`` rewrites that file), and a
    path relative to where the run started would name another file there.
    Problems still name the file as it was given.
    """
    sets: dict[str, ExpectationSet] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded = load_expectations(Path(path), known_ids=known_ids)
        except ExpectationsError as error:
            problems.extend(error.problems)
            continue
        loaded = dataclasses.replace(loaded, source=str(Path(path).resolve()))
        if loaded.candidate not in candidates:
            problems.append(Problem(str(path), 1, "candidate",
                                    f"this file is for {loaded.candidate!r}, which this run does not "
                                    f"include (candidates: {', '.join(candidates)})"))
        elif loaded.candidate in sets:
            problems.append(Problem(str(path), 1, "candidate", f"a second file for {loaded.candidate!r} "
                                    f"(the first is {sets[loaded.candidate].source})"))
        else:
            sets[loaded.candidate] = loaded
    if problems:
        raise ExpectationsError(problems)
    return sets


# -- writing -------------------------------------------------------------------------

HEADER = """\
# Known non-passes of {candidate}: each scenario that does not pass, with the
# verdict it gets and one line saying why. `lsconform run` fails only when a
# result differs from this file (format and workflow: expectations/README.md).
# `lsconform update-expectations` rewrites it from a results.json, keeping the
# reasons of entries that persist; new entries say TODO until someone writes
# their reason, and a file with a TODO does not load.
"""


def render(candidate: str, entries: Mapping[str, Expectation]) -> str:
    """The file's text: a header comment, then the entries sorted by scenario id."""
    lines = [HEADER.format(candidate=candidate).rstrip("\n"),
             f"candidate: {_scalar(candidate)}"]
    if not entries:
        lines.append("expectations: {}")
    else:
        lines.append("expectations:")
        for scenario, entry in sorted(entries.items()):
            lines += [f"  {_scalar(scenario)}:",
                      f"    verdict: {entry.verdict.value}",
                      f"    reason: {_quoted(entry.reason)}"]
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """Plain when it can only read back as the same text; quoted otherwise."""
    plain = (text[:1].isalpha() and all(c.isalnum() or c in "._-:" for c in text)
             and ": " not in text and not text.endswith(":")
             and text.lower() not in ("true", "false", "null"))
    return text if plain else _quoted(text)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar; anything YAML may not hold raw is escaped."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF) or (0xE000 <= code <= 0xFFFD) or code > 0xFFFF:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'
