"""JUnit XML: one suite per candidate, verdicts mapped onto failure/error/skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from reports import junit


def _cases(root: ET.Element, candidate: str) -> dict[str, ET.Element]:
    suite = root.find(f"testsuite[@name='{candidate}']")
    assert suite is not None
    return {case.get("name", ""): case for case in suite.findall("testcase")}


def test_one_suite_per_candidate_with_counts(document: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(document))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"reference", "port"}
    port = suites["port"]
    counters = ("tests", "failures", "errors", "skipped")
    assert [port.get(name) for name in counters] == ["4", "1", "1", "1"]
    assert [root.get(name) for name in counters] == ["8", "1", "1", "2"]
    assert port.find("properties/property[@name='candidate.version']").get("value") == "2.0"


def test_failure_carries_expected_actual_and_transcript(document: dict[str, Any]) -> None:
    case = _cases(ET.fromstring(junit.render(document)), "port")["tcp.receive.line.crlf-stripped"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "FAIL: no acceptable outcome matched"
    body = failure.text or ""
    assert '  - "hello world"' in body and '  - nil, "closed"' in body
    assert 'actual:    "hello world\\r"' in body
    assert 'peer:srv   send "hello world\\r\\r\\n"' in body
    assert case.get("classname") == "port.tcp"
    assert (case.get("file"), case.get("line")) == ("tcp/receive.yaml", "1")


def test_timeouts_are_errors_and_missing_things_are_skipped(document: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(document))
    port = _cases(root, "port")
    assert port["udp.receive.truncate"].find("error").get("type") == "TIMEOUT"
    assert port["udp.ipv6.bind"].find("skipped").get("message").startswith("UNIMPLEMENTED")
    assert _cases(root, "reference")["udp.ipv6.bind"].find("skipped").get("message") == (
        "SKIP: capability ipv6 missing")
    passed = _cases(root, "port")["tcp.receive.all"]
    assert passed.find("failure") is None and passed.find("skipped") is None
    assert passed.find("properties/property[@name='verdict']").get("value") == "NON-STRICT"


def test_non_strict_cases_say_why_in_their_output(document: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(document))
    output = _cases(root, "port")["tcp.receive.all"].findtext("system-out") or ""
    assert output.startswith('NON-STRICT: c:receive("*a"): the 2001 release returns what came before')
    assert 'actual:    returned "partial", "timeout" in 0.100s' in output
    assert "at:        tcp/receive.yaml:30" in output
    assert _cases(root, "reference")["tcp.receive.all"].find("system-out") is None  # a PASS says nothing


def test_control_characters_do_not_break_the_xml(document: dict[str, Any]) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = "peer sent \x00\x1b and <&>"
    root = ET.fromstring(junit.render(document))
    failure = _cases(root, "port")["tcp.receive.line.crlf-stripped"].find("failure")
    assert failure.get("message") == "FAIL: peer sent \\x00\\x1b and <&>"
