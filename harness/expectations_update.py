"""Deriving a candidate's expectations from a run: what ``lsconform update-expectations`` writes.

The guarantee this module keeps: every entry of a written file either has a
reason a person wrote, or says ``TODO`` (which the loader rejects). So no
file without real reasons can ever be used by a run:

* a non-pass listed before with the same verdict keeps its reason;
* a non-pass listed before with another verdict gets ``TODO: was VERDICT: old
  reason`` (the old reason may no longer hold; a person decides);
* a new non-pass gets ``TODO: explain this VERDICT (the run said: ...)``, or
  the one reason given for all of them on the command line (``--reason``);
* a listed scenario that now passes is dropped;
* a listed scenario the run did not include (``-k``, a shard) is carried over
  unchanged, unless it is no longer in the suite at all.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.expectations import PASSING, Expectation
from harness.expectations_file import TODO
from harness.scenario.model import Verdict

_HINT_LIMIT = 160


@dataclass
class Update:
    """The new entries and what happened to each scenario, for the command's report."""

    entries: dict[str, Expectation] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    now_passing: list[str] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    removed_from_suite: list[str] = field(default_factory=list)

    @property
    def todo(self) -> list[str]:
        return sorted(s for s, e in self.entries.items() if e.reason.upper().startswith(TODO))


def update(previous: Mapping[str, Expectation], records: Iterable[Mapping[str, Any]], candidate: str, *,
           known_ids: Collection[str] | None = None, new_reason: str | None = None) -> Update:
    """The entries for ``candidate`` after the run whose result records are given.

    ``new_reason`` is a person's one reason for every new entry (e.g. "not
    implemented yet" for a port just starting); changed verdicts still say TODO.
    """
    result = Update()
    seen = set()
    for record in sorted(records, key=lambda r: r["scenario"]):
        if record["candidate"] != candidate:
            continue
        scenario = record["scenario"]
        seen.add(scenario)
        verdict = Verdict(record["verdict"])
        before = previous.get(scenario)
        if verdict in PASSING:
            if before is not None:
                result.now_passing.append(scenario)
            continue
        if before is None:
            result.added.append(scenario)
            reason = new_reason or f"{TODO}: explain this {verdict.value}{_hint(record.get('reason', ''))}"
        elif before.verdict is verdict:
            result.kept.append(scenario)
            reason = before.reason
        else:
            result.changed.append(scenario)
            old = before.reason.removeprefix(f"{TODO}: ")
            reason = f"{TODO}: was {before.verdict.value}: {old}"
        result.entries[scenario] = Expectation(verdict, reason)
    for scenario, before in sorted(previous.items()):
        if scenario in seen:
            continue
        if known_ids is not None and scenario not in known_ids:
            result.removed_from_suite.append(scenario)
        else:
            result.carried.append(scenario)
            result.entries[scenario] = Expectation(before.verdict, before.reason)
    return result


def _hint(reason: str) -> str:
    """The run's own reason, on one short line, as a starting point for the person writing one."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(reason)).split())
    if not text:
        return ""
    if len(text) > _HINT_LIMIT:
        text = text[: _HINT_LIMIT - 1] + "…"
    return f" (the run said: {text})"
