"""A small results document built through harness.results, shared by the report tests.

Built from real model objects (not hand-written JSON) so the renderers are
tested against what the plugin actually produces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from harness.results import build_document, candidate_entry, result_record
from harness.scenario.model import (
    Scenario,
    ScenarioResult,
    SourceLocation,
    TranscriptEntry,
    Verdict,
)


def make_scenario(scenario_id: str, line: int = 1) -> Scenario:
    area = scenario_id.split(".")[0]
    return Scenario(
        id=scenario_id,
        title=f"title of {scenario_id}",
        manual=f"{area.upper()} sockets / receive",
        spec="§5.6",
        tags=("receive",),
        requires=(),
        peers=(),
        steps=(),
        location=SourceLocation(f"{area}/receive.yaml", line),
    )


def make_result(scenario_id: str, candidate: str, verdict: Verdict, **details: Any) -> ScenarioResult:
    return ScenarioResult(scenario=scenario_id, candidate=candidate, verdict=verdict, duration=0.25,
                          **details)


FAILURE_DETAILS: dict[str, Any] = {
    "reason": "no acceptable outcome matched",
    "step": "tcp/receive.yaml:17",
    "expected": ('"hello world"', 'nil, "closed"'),
    "actual": '"hello world\\r"',
    "transcript": (
        TranscriptEntry(0.001, "peer:srv", 'send "hello world\\r\\r\\n"'),
        TranscriptEntry(0.002, "candidate", 'c:receive("*l") -> "hello world\\r"'),
    ),
}

NON_STRICT_DETAILS: dict[str, Any] = {
    "reason": 'c:receive("*a"): the 2001 release returns what came before the timeout',
    "step": "tcp/receive.yaml:30",
    "actual": 'returned "partial", "timeout" in 0.100s',
    "transcript": (TranscriptEntry(0.1, "candidate", 'c:receive("*a") -> "partial", "timeout"'),),
}

@pytest.fixture
def document() -> dict[str, Any]:
    """Two candidates; "port" has one of each interesting verdict."""
    plan = [
        ("tcp.receive.line.crlf-stripped", "reference", Verdict.PASS, {}),
        ("tcp.receive.line.crlf-stripped", "port", Verdict.FAIL, FAILURE_DETAILS),
        ("tcp.receive.all", "reference", Verdict.PASS, {}),
        ("tcp.receive.all", "port", Verdict.NON_STRICT, NON_STRICT_DETAILS),
        ("udp.receive.truncate", "reference", Verdict.PASS, {}),
        ("udp.receive.truncate", "port", Verdict.TIMEOUT,
         {"reason": "receive did not return within 5 s", "step": "udp/receive.yaml:9"}),
        ("udp.ipv6.bind", "reference", Verdict.SKIP, {"reason": "capability ipv6 missing"}),
        ("udp.ipv6.bind", "port", Verdict.UNIMPLEMENTED, {"reason": "UNIMPLEMENTED: setsockname"}),
    ]
    records = [
        result_record(make_result(sid, cand, verdict, **details), make_scenario(sid), sid.split(".")[0])
        for sid, cand, verdict, details in plan
    ]
    return build_document(
        records,
        [candidate_entry("reference", "0.1.0", ["ipv4"]), candidate_entry("port", "2.0", [])],
        suite_version="0.1.0+scenarios.000000000000",
        wall_time=3.21,
        time_scale=1.0,
        created=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
