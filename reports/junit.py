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
an unexpected pass, a stale or     with ``--strict``, which fails the run on
unlisted entry                     them: ``<failure>`` of that ``type``;
                                   without it, the case's own state and a
                                   line in ``<system-out>``
a verdict that changed between     ``<failure type="unstable">`` (such a run
``--repeat`` repetitions           fails), unless the case already failed
=================================  =====================================

Every case of a candidate judged against expectations carries its status
as the property ``expectation``. The suite's counts are those of the
cases, so they agree with the exit status rather than with the verdict
counts of results.json when expectations or repetitions change a case.

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

from harness import expectations
from reports.tally import by_candidate, changed_verdicts
from reports.text import failure_text

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ERRORS = frozenset({"CRASH", "TIMEOUT"})
_SKIPPED = frozenset({"SKIP", "UNIMPLEMENTED"})


def render(document: Mapping[str, Any]) -> str:
    root = ET.Element("testsuites", name="lsconform")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    versions = {c["name"]: c for c in document["candidates"]}
    strict = expectations.is_strict(document)
    changed = changed_verdicts(document)
    for name, records in by_candidate(document).items():
        suite = _suite(name, versions.get(name, {}), records, document, strict, changed)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{document['wall_time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(name: str, candidate: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
           document: Mapping[str, Any], strict: bool,
           changed: Mapping[tuple[str, str], Sequence[str]]) -> ET.Element:
    cases = [_case(name, record, strict, changed.get((record["scenario"], name))) for record in records]
    # Counted from the cases, not the verdicts: a listed failure is a <skipped> case.
    outcomes = Counter(child.tag for case in cases for child in case
                       if child.tag in ("failure", "error", "skipped"))
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


def _case(candidate: str, record: Mapping[str, Any], strict: bool = False,
          repetitions: Sequence[str] | None = None) -> ET.Element:
    case = ET.Element("testcase", classname=f"{candidate}.{record['area']}", name=record["scenario"],
                      time=f"{record['duration']:.3f}")
    if "location" in record:
        path, _, line = record["location"].rpartition(":")
        case.set("file", path)
        case.set("line", line)
    properties = ET.SubElement(case, "properties")
    for key in ("verdict", "manual", "spec"):
        ET.SubElement(properties, "property", name=key, value=_clean(record[key]))
    status = expectations.status_of(record)
    if status is not None:
        ET.SubElement(properties, "property", name="expectation", value=status.value)
    verdict = record["verdict"]
    message = _clean(f"{verdict}: {record.get('reason', '')}".rstrip(": "))
    listed = record.get("expectation") or {}
    output: list[str] = []
    if status is expectations.Status.EXPECTED and listed.get("verdict") in ("FAIL", *_ERRORS):
        ET.SubElement(case, "skipped", message=_clean(f"expected {verdict}: {listed['reason']}"),
                      type="expected").text = _details(record)
    elif status in _MISMATCHES and strict:  # --strict fails the run on it, so the case fails
        ET.SubElement(case, "failure", message=_clean(_mismatch(record)), type=status.value).text = (
            _details(record))
    elif verdict == "FAIL":
        ET.SubElement(case, "failure", message=message, type=verdict).text = _details(record)
    elif verdict in _ERRORS:
        ET.SubElement(case, "error", message=message, type=verdict).text = _details(record)
    elif verdict in _SKIPPED:
        ET.SubElement(case, "skipped", message=message)
    elif verdict != "PASS" and record.get("reason"):  # NON-STRICT, INFORMATIONAL: the outcome's note
        output.append(_details(record))
    if status in _MISMATCHES and not strict:
        output.insert(0, _mismatch(record))
    if repetitions:
        shown = f"verdict changed between repetitions: {' -> '.join(repetitions)}"
        if case.find("failure") is None and case.find("error") is None:
            for skipped in case.findall("skipped"):  # a run with an unstable verdict fails
                case.remove(skipped)
            ET.SubElement(case, "failure", message=shown, type="unstable").text = _clean(
                f"{shown}\n{failure_text(record)}")
        else:
            output.insert(0, shown)
    if output:
        ET.SubElement(case, "system-out").text = _clean("\n\n".join(output))
    return case


_MISMATCHES = frozenset({expectations.Status.UNEXPECTED_PASS, expectations.Status.STALE,
                         expectations.Status.UNLISTED})


def _mismatch(record: Mapping[str, Any]) -> str:
    """What an unexpected pass, stale or unlisted result is, against its entry."""
    listed = record.get("expectation") or {}
    status = listed.get("status")
    if status == "unlisted":
        return f"unlisted {record['verdict']}: its expectations file does not list this non-pass"
    what = "unexpected pass" if status == "unexpected-pass" else "stale entry"
    return (f"{what}: {record['verdict']}, but its expectations file lists {listed.get('verdict')} "
            f"({listed.get('reason', '')})")


def _details(record: Mapping[str, Any]) -> str:
    return _clean(failure_text(record))


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
