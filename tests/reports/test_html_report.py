"""The HTML report without a browser: its data, its self-containment, and safe embedding."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from harness.expectations import Expectation, ExpectationSet, with_expectations
from harness.scenario.model import Verdict
from reports.html import embed_json, render
from reports.html_data import differs, view_model


class _Inventory(HTMLParser):
    """Every tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _inventory(text: str) -> _Inventory:
    parser = _Inventory()
    parser.feed(text)
    parser.close()
    return parser


def test_the_view_model_groups_by_area_and_scores_per_candidate(document: dict[str, Any]) -> None:
    model = view_model(document)
    assert [c["name"] for c in model["candidates"]] == ["reference", "port"]
    assert model["candidates"][0]["score"] == {"text": "100.0% (3/3)", "ratio": 1.0}
    assert model["candidates"][1]["score"] == {"text": "25.0% (1/4)", "ratio": 0.25}
    assert [a["name"] for a in model["areas"]] == ["tcp", "udp"]
    tcp, udp = model["areas"]
    assert tcp["scores"] == {"reference": {"text": "100.0% (2/2)", "ratio": 1.0},
                             "port": {"text": "50.0% (1/2)", "ratio": 0.5}}
    assert udp["scores"]["reference"] == {"text": "100.0% (1/1)", "ratio": 1.0}  # the SKIP is not scored
    rows = {row["id"]: row for area in model["areas"] for row in area["scenarios"]}
    assert sorted(rows) == ["tcp.receive.all", "tcp.receive.line.crlf-stripped", "udp.ipv6.bind",
                            "udp.receive.truncate"]
    failing = rows["tcp.receive.line.crlf-stripped"]
    assert (failing["manual"], failing["spec"], failing["location"]) == ("TCP sockets / receive", "§5.6",
                                                                         "tcp/receive.yaml:1")
    assert failing["cells"]["port"]["verdict"] == "FAIL"
    assert failing["cells"]["port"]["expected"] == ['"hello world"', 'nil, "closed"']
    assert len(failing["cells"]["port"]["transcript"]) == 2
    assert failing["cells"]["reference"] == {"verdict": "PASS", "duration": 0.25}
    assert {row_id: row["differs"] for row_id, row in rows.items()} == {
        "tcp.receive.all": True, "tcp.receive.line.crlf-stripped": True, "udp.ipv6.bind": True,
        "udp.receive.truncate": True}


def test_differs() -> None:
    assert not differs([{"verdict": "PASS"}, {"verdict": "PASS"}])
    assert differs([{"verdict": "PASS"}, {"verdict": "NON-STRICT"}])
    assert differs([{"verdict": "PASS"}, None])
    assert not differs([{"verdict": "FAIL"}])


def test_a_candidate_without_a_result_gets_an_empty_cell(document: dict[str, Any]) -> None:
    document["results"] = [r for r in document["results"]
                           if (r["scenario"], r["candidate"]) != ("tcp.receive.all", "port")]
    rows = {row["id"]: row for area in view_model(document)["areas"] for row in area["scenarios"]}
    assert rows["tcp.receive.all"]["cells"]["port"] is None
    assert rows["tcp.receive.all"]["differs"] is True


def test_expectations_are_carried_into_the_cells(document: dict[str, Any]) -> None:
    listed = ExpectationSet("port", {"tcp.receive.line.crlf-stripped": Expectation(Verdict.FAIL, "keeps CR")},
                            "expectations/port.yaml")
    model = view_model(with_expectations(document, [listed], strict=True))
    assert model["strict"] is True
    assert model["candidates"][1]["expectations"] == "expectations/port.yaml"
    assert model["candidates"][0]["expectations"] is None
    cell = model["areas"][0]["scenarios"][1]["cells"]["port"]
    assert cell["expectation"] == {"status": "expected", "verdict": "FAIL", "reason": "keeps CR"}


def test_the_page_is_self_contained(document: dict[str, Any]) -> None:
    page = render(document)
    inventory = _inventory(page)
    for tag, attrs in inventory.tags:
        for name in ("src", "href", "action", "data", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), f"<{tag} {name}={value!r}> loads something"
    assert not re.search(r"(?:https?|wss?|ftp)://", page), "the page mentions a network address"
    assert "<style>" in page and "@STYLE@" not in page and "@SCRIPT@" not in page
    assert {tag for tag, _ in inventory.tags} >= {"table", "select", "aside", "script"}


def test_the_data_is_embedded_as_json_and_reads_back(document: dict[str, Any]) -> None:
    inventory = _inventory(render(document))
    data_scripts = [text for (tag, attrs), text in zip(
        [t for t in inventory.tags if t[0] == "script"], inventory.scripts, strict=True)
        if attrs.get("type") == "application/json"]
    assert len(data_scripts) == 1
    assert json.loads(data_scripts[0]) == json.loads(json.dumps(view_model(document)))


def test_hostile_text_stays_inside_the_data(document: dict[str, Any]) -> None:
    hostile = '</script><script>alert(1)</script><!-- @SCRIPT@ \u2028 & "'
    for record in document["results"]:
        if record["verdict"] == "FAIL":
            record["reason"] = hostile
            record["actual"] = hostile
    page = render(document)
    inventory = _inventory(page)
    assert len(inventory.scripts) == 2  # the data and the report's own script, nothing injected
    assert hostile not in page
    assert page.count("alert(1)") == 2  # only as escaped JSON text
    assert json.loads(embed_json({"x": hostile})) == {"x": hostile}
    assert "<" not in embed_json({"x": hostile})


def test_a_verdict_that_changed_between_repetitions_is_on_its_cell_and_in_the_headline(
        document: dict[str, Any]) -> None:
    document["repeat"] = {"count": 2, "changed": [
        {"scenario": "tcp.receive.all", "candidate": "reference", "verdicts": ["FAIL", "PASS"]}]}
    model = view_model(document)
    cells = {row["id"]: row["cells"] for area in model["areas"] for row in area["scenarios"]}
    assert cells["tcp.receive.all"]["reference"]["repetitions"] == ["FAIL", "PASS"]
    assert "repetitions" not in cells["tcp.receive.all"]["port"]
    assert any(line.startswith("2 repetitions: 1 verdict changed") for line in model["headline"])
    assert "cell.repetitions" in render(document)  # the script marks such a cell
