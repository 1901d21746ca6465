"""The HTML report in a real browser: headless Chromium renders the matrix and a detail view.

Skipped, saying why, where Chromium is not installed (``.ci/run`` installs
it). Each test starts its own browser (half a second) so that it sees only
its own page's console messages and leaves no process behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from headless_chromium import Browser, find_chromium

from harness.expectations import Expectation, ExpectationSet, with_expectations
from harness.scenario.model import Verdict
from reports.html import render

FAILING = "tcp.receive.line.crlf-stripped"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Browser]:
    """A fresh browser for each test, closed (process and pipes) when the test ends."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium), so the HTML report "
                    "was not opened in a browser")
    started = Browser(executable, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield started
    finally:
        started.close()


def _open(page: Browser, tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render(document), encoding="utf-8")
    page.open(path.as_uri())
    assert page.evaluate("document.body.dataset.ready") == "true"
    return path


def _judged(document: dict[str, Any]) -> dict[str, Any]:
    listed = ExpectationSet("port", {FAILING: Expectation(Verdict.FAIL, "keeps the CR before LF")},
                            "expectations/port.yaml")
    return with_expectations(document, [listed], strict=False)


def test_the_matrix_renders(page: Browser, tmp_path: Path, document: dict[str, Any]) -> None:
    _open(page, tmp_path, _judged(document))
    assert page.evaluate("[...document.querySelectorAll('#matrix thead th.candidate > span:first-child')]"
                         ".map(e => e.textContent)") == ["reference", "port"]
    assert page.evaluate("[...document.querySelectorAll('tr.area-head button')].map(e => e.textContent)") == [
        "tcp · 2 scenarios", "udp · 2 scenarios"]
    shown = page.evaluate("Object.fromEntries([...document.querySelectorAll('#matrix tr.row')].map(r => "
                          "[r.dataset.id, [...r.querySelectorAll('button.cell')].map(c => c.textContent)]))")
    assert shown == {
        "tcp.receive.all": ["PASS", "NON-STRICT"],
        FAILING: ["PASS", "FAIL"],
        "udp.ipv6.bind": ["SKIP", "UNIMPLEMENTED?"],  # unlisted in port's expectations: marked "?"
        "udp.receive.truncate": ["PASS", "TIMEOUT!"],  # a regression: marked "!"
    }
    colour = page.evaluate(f"getComputedStyle(document.querySelector('tr.row[data-id=\"{FAILING}\"] "
                           "button.cell[data-candidate=port]')).backgroundColor")
    assert colour == "rgb(214, 69, 65)"  # the FAIL red
    stripes = page.evaluate("Object.fromEntries([...document.querySelectorAll("
                            "'button.cell[data-candidate=port]')].map(c => "
                            "[c.closest('tr').dataset.id, getComputedStyle(c).backgroundImage]))")
    assert "repeating-linear-gradient" in stripes[FAILING]  # the listed FAIL is striped
    assert stripes["tcp.receive.all"] == stripes["udp.receive.truncate"] == "none"
    area_scores = page.evaluate("[...document.querySelectorAll('tr.area-head td .score')]"
                                ".map(e => e.textContent)")
    assert area_scores == ["100.0% (2/2)", "50.0% (1/2)", "100.0% (1/1)", "0.0% (0/2)"]
    assert page.evaluate("document.getElementById('shown-count').textContent") == "4 of 4 scenarios shown"
    assert page.evaluate("document.getElementById('detail').hidden") is True
    assert page.console_errors() == []


def test_clicking_a_cell_shows_its_detail(page: Browser, tmp_path: Path, document: dict[str, Any]) -> None:
    _open(page, tmp_path, _judged(document))
    page.click(f"tr.row[data-id='{FAILING}'] button.cell[data-candidate='port']")
    assert page.evaluate("document.getElementById('detail').hidden") is False
    detail = page.evaluate("""(() => {
        const panel = document.getElementById('detail');
        const facts = {};
        const terms = panel.querySelectorAll('dt');
        for (const term of terms) facts[term.textContent] = term.nextElementSibling.textContent;
        return {
          title: panel.querySelector('h2').textContent,
          verdict: panel.querySelector('.badge').textContent,
          facts: facts,
          reason: panel.querySelector('.reason').textContent,
          expected: [...panel.querySelectorAll('ul.expected li')].map(e => e.textContent),
          actual: panel.querySelector('pre.actual').textContent,
          transcript: [...panel.querySelectorAll('table.transcript tr')].map(
              r => [...r.children].map(c => c.textContent)),
          selected: document.querySelectorAll('button.cell.selected').length,
        };
    })()""")
    assert detail == {
        "title": f"title of {FAILING}",
        "verdict": "FAIL",
        "facts": {"Manual": "TCP sockets / receive", "Spec clause": "§5.6", "Tags": "receive",
                  "Scenario file": "tcp/receive.yaml:1", "Step": "tcp/receive.yaml:17", "Duration": "0.250 s",
                  "Listed as": "FAIL: keeps the CR before LF"},
        "reason": "no acceptable outcome matched",
        "expected": ['"hello world"', 'nil, "closed"'],
        "actual": '"hello world\\r"',
        "transcript": [["0.001s", "peer:srv", 'send "hello world\\r\\r\\n"'],
                       ["0.002s", "candidate", 'c:receive("*l") -> "hello world\\r"']],
        "selected": 1,
    }
    page.screenshot(tmp_path / "detail.png")
    assert (tmp_path / "detail.png").read_bytes().startswith(b"\x89PNG")
    # The other candidate's button switches the panel; Escape closes it.
    page.click("#detail .others button")
    assert page.evaluate("document.querySelector('#detail .badge').textContent") == "PASS"
    page.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape", "code": "Escape",
                                         "windowsVirtualKeyCode": 27}, session=page.page_session)
    assert page.evaluate("document.getElementById('detail').hidden") is True
    assert page.console_errors() == []


def _panel_text(page: Browser, selector: str) -> str:
    return page.evaluate(f"document.querySelector({json.dumps('#detail ' + selector)}).textContent")


def test_a_non_strict_cell_shows_its_note_and_what_the_candidate_did(page: Browser, tmp_path: Path,
                                                                      document: dict[str, Any]) -> None:
    _open(page, tmp_path, document)
    page.click("tr.row[data-id='tcp.receive.all'] button.cell[data-candidate='port']")
    assert _panel_text(page, ".reason") == ('c:receive("*a"): the 2001 release returns what came before '
                                            'the timeout')
    assert _panel_text(page, "pre.actual") == 'returned "partial", "timeout" in 0.100s'
    assert _panel_text(page, "p.note") == "The transcript is kept for non-passes only."
    assert page.console_errors() == []


def test_a_reason_keeps_its_line_breaks(page: Browser, tmp_path: Path, document: dict[str, Any]) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = "the candidate crashed: Traceback:\n  File x\nValueError: boom"
    _open(page, tmp_path, document)
    page.click(f"tr.row[data-id='{FAILING}'] button.cell[data-candidate='port']")
    reason = "document.querySelector('#detail p.reason')"
    assert page.evaluate(f"getComputedStyle({reason}).whiteSpace") == "pre-wrap"
    assert page.evaluate(f"{reason}.getClientRects()[0].height") > 30  # three lines, not one


def test_a_regression_against_another_listed_verdict_says_so(page: Browser, tmp_path: Path,
                                                               document: dict[str, Any]) -> None:
    listed = ExpectationSet("port", {FAILING: Expectation(Verdict.TIMEOUT, "hangs")},
                            "expectations/port.yaml")
    _open(page, tmp_path, with_expectations(document, [listed], strict=False))
    page.click(f"tr.row[data-id='{FAILING}'] button.cell[data-candidate='port']")
    shown = page.evaluate("document.querySelector('#detail .badge').parentElement.textContent")
    assert shown == "FAILregression: FAIL, but its expectations file lists TIMEOUT"
    title = page.evaluate(f"document.querySelector(\"tr.row[data-id='{FAILING}'] "
                          "button.cell[data-candidate='port']\").title")
    assert "does not list" not in title and "lists TIMEOUT" in title
    assert page.console_errors() == []


def _visible_rows(page: Browser) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#matrix tr.row')]"
                         ".filter(r => r.offsetParent !== null).map(r => r.dataset.id)")


def _choose(page: Browser, select_id: str, value: str) -> None:
    page.evaluate(f"(() => {{ const s = document.getElementById({json.dumps(select_id)}); "
                  f"s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()")


def test_filters_and_collapsing(page: Browser, tmp_path: Path, document: dict[str, Any]) -> None:
    for record in document["results"]:
        if (record["scenario"], record["candidate"]) == ("tcp.receive.all", "port"):
            record["verdict"] = "PASS"  # now both candidates agree on this row
    _open(page, tmp_path, _judged(document))
    page.click("#filter-differs")
    assert _visible_rows(page) == [FAILING, "udp.ipv6.bind", "udp.receive.truncate"]
    assert page.evaluate("document.getElementById('shown-count').textContent") == "3 of 4 scenarios shown"
    page.click("#filter-differs")
    _choose(page, "filter-verdict", "v:TIMEOUT")
    assert _visible_rows(page) == ["udp.receive.truncate"]
    assert page.evaluate("document.querySelector('tbody[data-area=tcp]').hidden") is True
    _choose(page, "filter-verdict", "s:regression")
    assert _visible_rows(page) == ["udp.receive.truncate"]
    _choose(page, "filter-verdict", "")
    _choose(page, "filter-area", "tcp")
    assert _visible_rows(page) == ["tcp.receive.all", FAILING]
    _choose(page, "filter-area", "")
    page.click("tbody[data-area=udp] tr.area-head button")
    assert _visible_rows(page) == ["tcp.receive.all", FAILING]
    assert page.evaluate("document.querySelector('tbody[data-area=udp] tr.area-head button')"
                         ".getAttribute('aria-expanded')") == "false"
    page.click("tbody[data-area=udp] tr.area-head button")
    assert len(_visible_rows(page)) == 4
    assert page.console_errors() == []


def test_console_errors_are_noticed(page: Browser, tmp_path: Path) -> None:
    """The check above is only worth something if a broken page trips it."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><link rel=icon href='data:,'><script>console.error('boom');"
                      "undefinedFunction();</script>", encoding="utf-8")
    page.open(broken.as_uri())
    errors = page.console_errors()
    assert len(errors) == 2, errors
    assert errors[0] == "console.error: boom"
    assert "undefinedFunction is not defined" in errors[1]


def test_a_verdict_that_changed_between_repetitions_is_marked_and_filtered(
        page: Browser, tmp_path: Path, document: dict[str, Any]) -> None:
    document["repeat"] = {"count": 2, "changed": [
        {"scenario": "tcp.receive.all", "candidate": "reference", "verdicts": ["FAIL", "PASS"]}]}
    _open(page, tmp_path, document)
    cell = "tr.row[data-id='tcp.receive.all'] button.cell[data-candidate='reference']"
    assert page.evaluate(f"document.querySelector(\"{cell}\").textContent") == "PASS≠"
    assert page.evaluate(f"document.querySelector(\"{cell}\").title").endswith(
        "changed between repetitions: FAIL → PASS")
    _choose(page, "filter-verdict", "r:")
    assert _visible_rows(page) == ["tcp.receive.all"]
    page.click(cell)
    assert page.evaluate("document.querySelector('#detail p.unstable').textContent") == (
        "Verdict changed between repetitions: FAIL → PASS")
    assert "≠ verdict changed between repetitions" in page.evaluate(
        "document.getElementById('legend').textContent")
    assert page.console_errors() == []


def test_under_strict_an_unexpected_pass_says_it_fails_the_run(page: Browser, tmp_path: Path,
                                                                document: dict[str, Any]) -> None:
    listed = ExpectationSet("port", {"tcp.receive.all": Expectation(Verdict.FAIL, "was broken")},
                            "expectations/port.yaml")
    _open(page, tmp_path, with_expectations(document, [listed], strict=True))
    page.click("tr.row[data-id='tcp.receive.all'] button.cell[data-candidate='port']")
    shown = page.evaluate("document.querySelector('#detail .badge').parentElement.textContent")
    assert shown == "NON-STRICTunexpected pass: listed as a non-pass, but passed (fails the run: --strict)"
    _open(page, tmp_path, with_expectations(document, [listed], strict=False))
    page.click("tr.row[data-id='tcp.receive.all'] button.cell[data-candidate='port']")
    shown = page.evaluate("document.querySelector('#detail .badge').parentElement.textContent")
    assert shown == "NON-STRICTunexpected pass: listed as a non-pass, but passed"
    assert page.console_errors() == []
