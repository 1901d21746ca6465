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


def _judged(document: dict[str, Any], strict: bool) -> dict[str, Any]:
    """``port`` against a file listing its FAIL, a scenario it passes, and its UNIMPLEMENTED as SKIP."""
    from harness.expectations import Expectation, ExpectationSet, with_expectations
    from harness.scenario.model import Verdict

    entries = {"tcp.receive.line.crlf-stripped": Expectation(Verdict.FAIL, "known"),
               "tcp.receive.all": Expectation(Verdict.FAIL, "was broken"),
               "udp.ipv6.bind": Expectation(Verdict.SKIP, "no ipv6")}
    return with_expectations(document, [ExpectationSet("port", entries, "/x/port.yaml")], strict=strict)


def test_strict_mismatches_are_failures_as_they_fail_the_run(document: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(_judged(document, strict=True)))
    port = _cases(root, "port")
    unexpected = port["tcp.receive.all"].find("failure")
    assert unexpected is not None and unexpected.get("type") == "unexpected-pass"
    assert unexpected.get("message") == ("unexpected pass: NON-STRICT, but its expectations file lists FAIL "
                                         "(was broken)")
    stale = port["udp.ipv6.bind"].find("failure")
    assert stale is not None and stale.get("type") == "stale"
    assert port["udp.ipv6.bind"].find("skipped") is None
    assert port["tcp.receive.line.crlf-stripped"].find("skipped").get("type") == "expected"
    suite = root.find("testsuite[@name='port']")
    # the unexpected pass and the stale entry fail the run, as does the TIMEOUT (an unlisted error)
    assert [suite.get(n) for n in ("failures", "errors", "skipped")] == ["2", "1", "1"]


def test_mismatches_without_strict_keep_their_state_and_say_so(document: dict[str, Any]) -> None:
    root = ET.fromstring(junit.render(_judged(document, strict=False)))
    case = _cases(root, "port")["tcp.receive.all"]
    assert case.find("failure") is None
    assert case.find("properties/property[@name='expectation']").get("value") == "unexpected-pass"
    assert (case.findtext("system-out") or "").startswith(
        "unexpected pass: NON-STRICT, but its expectations file lists FAIL (was broken)")
    assert _cases(root, "port")["udp.ipv6.bind"].find("skipped") is not None


def test_a_verdict_that_changed_between_repetitions_fails_its_case(document: dict[str, Any]) -> None:
    document["repeat"] = {"count": 3, "changed": [
        {"scenario": "tcp.receive.all", "candidate": "reference", "verdicts": ["PASS", "FAIL", "PASS"]},
        {"scenario": "udp.receive.truncate", "candidate": "port",
         "verdicts": ["PASS", "TIMEOUT", "TIMEOUT"]}]}
    root = ET.fromstring(junit.render(document))
    failure = _cases(root, "reference")["tcp.receive.all"].find("failure")
    assert failure is not None and failure.get("type") == "unstable"
    assert failure.get("message") == "verdict changed between repetitions: PASS -> FAIL -> PASS"
    timeout = _cases(root, "port")["udp.receive.truncate"]
    assert timeout.find("error") is not None and timeout.find("failure") is None
    assert "PASS -> TIMEOUT -> TIMEOUT" in (timeout.findtext("system-out") or "")
    assert root.find("testsuite[@name='reference']").get("failures") == "1"
    assert root.get("failures") == "2"
