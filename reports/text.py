"""The plain-text account of one non-pass, shared by pytest's failure output and JUnit.

It answers, in order, what a reader asks: which verdict and why, which
manual clause, what its expectations file lists (if it has an entry), where
in the scenario file, what was acceptable, what came back, and what happened
on both sides (the transcript), never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def failure_text(record: Mapping[str, Any]) -> str:
    lines = [f"{record['verdict']}: {record.get('reason') or '(no reason given)'}",
             f"scenario:  {record['scenario']} [{record['candidate']}]",
             f"manual:    {record['manual']} ({record['spec']})"]
    listed = record.get("expectation") or {}
    if listed.get("verdict"):
        lines.append(f"listed:    {listed['verdict']} ({listed.get('reason', '')})"
                     + (f", so this {record['verdict']} is a regression" if listed["status"] == "regression"
                        else ""))
    where = record.get("step") or record.get("location")
    if where:
        lines.append(f"at:        {where}")
    expected = record.get("expected") or []
    if expected:
        lines.append("expected:  " + ("one of" if len(expected) > 1 else expected[0]))
        if len(expected) > 1:
            lines += [f"  - {outcome}" for outcome in expected]
    if record.get("actual"):
        lines.append(f"actual:    {record['actual']}")
    lines += [f"leak:      {leak}" for leak in record.get("leaks", [])]
    transcript = record.get("transcript") or []
    if transcript:
        lines.append("transcript:")
        width = max(len(entry["source"]) for entry in transcript)
        lines += [f"  {e['at']:8.3f}s  {e['source']:<{width}}  {e['text']}" for e in transcript]
    return "\n".join(lines)
