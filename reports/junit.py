"""JUnit XML rendered from results.json, for CI systems that display test reports.

One ``<testsuite>`` per candidate and one ``<testcase>`` per scenario. The
mapping from verdicts to JUnit's four states is the part that needs care:

=================================  =====================================
verdict                            JUnit
=================================  =====================================
PASS, NON-STRICT, INFORMATIONAL    passed (the verdict kept as a property;
                                   for NON-STRICT and INFORMATIONAL, why
                                   and what the candidate did in
                                   ``<system-out>``)
FAIL                               ``<failure>``: wrong behaviour
CRASH, TIMEOUT                     ``<error>``: the candidate broke or hung
SKIP, UNIMPLEMENTED                ``<skipped>`` with the reason
a failure its expectations list    ``<skipped type="expected">``, as
                                   pytest reports an xfail
=================================  =====================================

Failure bodies carry the expected outcomes, the actual value and the
transcript in plain text. XML 1.0 cannot hold most control characters at all,
so any that slipped into a reason or transcript are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from reports.tally import by_candidate
from reports.text import failure_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ERRORS = frozenset({"CRASH", "TIMEOUT"})
_SKIPPED = frozenset({"SKIP", "UNIMPLEMENTED"})


def render(document: Mapping[str, Any]) -> str:
    root = ET.Element("testsuites", name="lsconform")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    versions = {c["name"]: c for c in document["candidates"]}
    for name, records in by_candidate(document).items():
        suite = _suite(name, versions.get(name, {}), records, document)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{document['wall_time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(name: str, candidate: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
           document: Mapping[str, Any]) -> ET.Element:
    cases = [_case(name, record) for record in records]
    # Counted from the cases, not the verdicts: a listed failure is a <skipped> case.
    outcomes = Counter(child.tag for case in cases for child in case if child.tag != "properties")
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(records)),
        failures=str(outcomes["failure"]),
        errors=str(outcomes["error"]),
        skipped=str(outcomes["skipped"]),
        time=f"{sum(r['duration'] for r in records):.3f}",
        timestamp=document["created"],
    )
    properties = ET.SubElement(suite, "properties")
    for key, value in (("candidate.version", candidate.get("version", "")),
                       ("candidate.capabilities", " ".join(candidate.get("capabilities", []))),
                       ("suite_version", document["suite_version"]),
                       ("time_scale", str(document["time_scale"]))):
        ET.SubElement(properties, "property", name=key, value=_clean(value))
    suite.extend(cases)
    return suite


def _case(candidate: str, record: Mapping[str, Any]) -> ET.Element:
    case = ET.Element("testcase", classname=f"{candidate}.{record['area']}", name=record["scenario"],
                      time=f"{record['duration']:.3f}")
    if "location" in record:
        path, _, line = record["location"].rpartition(":")
        case.set("file", path)
        case.set("line", line)
    properties = ET.SubElement(case, "properties")
    for key in ("verdict", "manual", "spec"):
        ET.SubElement(properties, "property", name=key, value=_clean(record[key]))
    verdict = record["verdict"]
    message = _clean(f"{verdict}: {record.get('reason', '')}".rstrip(": "))
    listed = record.get("expectation") or {}
    if listed.get("status") == "expected" and listed.get("verdict") in ("FAIL", *_ERRORS):
        ET.SubElement(case, "skipped", message=_clean(f"expected {verdict}: {listed['reason']}"),
                      type="expected").text = _details(record)
    elif verdict == "FAIL":
        ET.SubElement(case, "failure", message=message, type=verdict).text = _details(record)
    elif verdict in _ERRORS:
        ET.SubElement(case, "error", message=message, type=verdict).text = _details(record)
    elif verdict in _SKIPPED:
        ET.SubElement(case, "skipped", message=message)
    elif verdict != "PASS" and record.get("reason"):  # NON-STRICT, INFORMATIONAL: the outcome's note
        ET.SubElement(case, "system-out").text = _details(record)
    return case


def _details(record: Mapping[str, Any]) -> str:
    return _clean(failure_text(record))


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
