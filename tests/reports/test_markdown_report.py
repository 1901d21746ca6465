"""The Markdown summary: scores, per-area tables, non-passes, wall time, repetitions."""

from __future__ import annotations

import copy
from typing import Any

from harness.expectations import Expectation, ExpectationSet, with_expectations
from harness.results import with_repetitions
from harness.scenario.model import Verdict
from reports import markdown
from reports.tally import count_verdicts, score


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end == -1 else text[start:end]


def test_score_excludes_skips_and_counts_unimplemented_against() -> None:
    verdicts = ("PASS", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAIL", "SKIP")
    records = [{"verdict": v} for v in verdicts]
    result = score(count_verdicts(records))
    assert (result.acceptable, result.scored) == (3, 5)
    assert str(result) == "60.0% (3/5)"
    assert str(score(count_verdicts([{"verdict": "SKIP"}]))) == "n/a (0/0)"


def test_headline_gives_each_candidate_score_and_the_wall_time(document: dict[str, Any]) -> None:
    lines = markdown.headline(document)
    assert lines[0] == "reference 0.1.0: score 100.0% (3/3); PASS 3, SKIP 1"
    assert lines[1] == "port 2.0: score 25.0% (1/4); NON-STRICT 1, UNIMPLEMENTED 1, FAIL 1, TIMEOUT 1"
    assert lines[2] == "wall time 3.2 s"


def test_summary_lists_non_passes_with_reason_and_manual_clause(document: dict[str, Any]) -> None:
    text = markdown.render(document)
    port = _section(text, "## port 2.0")
    assert ("| `tcp.receive.line.crlf-stripped` | FAIL | no acceptable outcome matched "
            "| TCP sockets / receive | §5.6 | tcp/receive.yaml:17 |") in port
    assert "| `udp.receive.truncate` | TIMEOUT | receive did not return within 5 s |" in port
    non_passes = _section(port, "### Non-passes").split("### Non-strict")[0]
    assert "`tcp.receive.all`" not in non_passes  # NON-STRICT is acceptable, not a non-pass
    reference = _section(text, "## reference 0.1.0")
    assert "| `udp.ipv6.bind` | SKIP | capability ipv6 missing |" in reference
    assert "tcp.receive.line.crlf-stripped" not in reference


def test_summary_has_overview_and_per_area_scores(document: dict[str, Any]) -> None:
    text = markdown.render(document)
    assert "wall time 3.2 s" in text
    assert "| port | 2.0 | 25.0% (1/4) | 0 | 1 | 0 | 1 | 1 | 0 | 1 | 0 |" in text
    port = _section(text, "## port 2.0")
    assert "| tcp | 50.0% (1/2) | 2 | 1 |" in port
    assert "| udp | 0.0% (0/2) | 2 | 2 |" in port


def test_cells_cannot_break_the_table(document: dict[str, Any]) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = "got a|b\nthen more"
    text = markdown.render(document)
    assert "got a\\|b then more" in text


def test_control_characters_from_a_driver_are_shown_escaped(document: dict[str, Any]) -> None:
    # A driver's stderr with a terminal colour code, a NUL and a bell; a version with a line break.
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = "\x1b[31mERROR\x1b[0m at \x00 \x07"
    next(c for c in document["candidates"] if c["name"] == "port")["version"] = "2.0\n## injected"
    text = markdown.render(document)
    assert "\\x1b\\[31mERROR\\x1b\\[0m at \\x00 \\x07" in text  # "[" escaped: no link
    assert "## port 2.0<br>## injected" in text
    assert not any(char in text for char in "\x00\x07\x1b")
    assert "port 2.0\\x0a## injected: score" in "\n".join(markdown.headline(document))


def test_html_in_a_reason_is_shown_not_rendered(document: dict[str, Any]) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = 'raised "<b>x</b> & </testcase>"'
    text = markdown.render(document)
    assert 'raised "&lt;b&gt;x&lt;/b&gt; &amp; &lt;/testcase&gt;"' in text
    assert "<b>" not in text and "</testcase>" not in text


def test_repetition_section_lists_changed_verdicts(document: dict[str, Any]) -> None:
    assert "Stability" not in markdown.render(document)
    second = copy.deepcopy(document)
    next(r for r in second["results"] if r["verdict"] == "NON-STRICT")["verdict"] = "FAIL"
    text = markdown.render(with_repetitions([document, second], wall_time=7.0))
    assert "## Stability over 2 repetitions" in text
    assert "| `tcp.receive.all` | port | NON-STRICT → FAIL |" in text
    steady = markdown.render(with_repetitions([document, document], wall_time=7.0))
    assert "Every verdict was the same in every repetition." in steady


def test_non_strict_results_have_a_table_with_their_note_and_what_the_candidate_did(
        document: dict[str, Any]) -> None:
    port = _section(markdown.render(document), "## port 2.0")
    assert port.index("### Non-passes") < port.index("### Non-strict and informational")
    assert ('| `tcp.receive.all` | NON-STRICT | c:receive("\\*a"): the 2001 release returns what came before '
            'the timeout | returned "partial", "timeout" in 0.100s | tcp/receive.yaml:30 |') in port
    reference = _section(markdown.render(document), "## reference 0.1.0")
    assert "### Non-strict" not in reference  # only PASS and SKIP: no empty table



def test_an_unexpected_non_strict_pass_shows_why_it_was_listed(document: dict[str, Any]) -> None:
    listed = ExpectationSet("port", {"tcp.receive.all": Expectation(Verdict.FAIL, "drops partial data")},
                            "expectations/port.yaml")
    text = markdown.render(with_expectations(document, [listed], strict=False))
    section = _section(text, "## Against expectations")
    row = "| unexpected-pass | `tcp.receive.all` | port | NON-STRICT | FAIL | drops partial data |"
    assert row in section


def test_reasons_keep_their_spaces_and_backticks(document: dict[str, Any]) -> None:
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = 'got "Cc: c@example.org,  d@example.org", mode `caps` or `lower`'
    text = markdown.render(document)
    assert 'got "Cc: c@example.org, &nbsp;d@example.org", mode \\`caps\\` or \\`lower\\`' in text
    assert "| `tcp.receive.line.crlf-stripped` |" in text  # ids stay code spans


def _failing_row(document: dict[str, Any], reason: str) -> str:
    """The summary's row for the document's failing result, given ``reason``."""
    failing = next(r for r in document["results"] if r["verdict"] == "FAIL")
    failing["reason"] = reason
    lines = markdown.render(document).splitlines()
    return next(line for line in lines if line.startswith("| `tcp.receive.line"))


def test_a_long_reason_loses_the_middle_of_its_values_not_its_end(document: dict[str, Any]) -> None:
    row = _failing_row(document, 'send(c, "head", "' + "a" * 500 + "\\r\\n" + '"): no acceptable outcome '
                                 'matched: value 1: expected "timeout", got nil')
    assert 'send(c, "head", "' + "a" * 40 + "…" + "a" * 18 + '\\\\r\\\\n"): ' in row
    assert row.split(" | ")[2].endswith('value 1: expected "timeout", got nil')


def test_a_value_cut_before_is_not_given_a_tail(document: dict[str, Any]) -> None:
    row = _failing_row(document, 'got "' + "x" * 300 + '"...(9000 bytes), "' + "y" * 300 + '"...(9000 bytes)')
    assert 'got "' + "x" * 60 + '…"...(9000 bytes), "' + "y" * 60 + '…"...(9000 bytes) |' in row


def test_the_head_of_a_value_cut_with_its_tail_is_not_given_a_tail(document: dict[str, Any]) -> None:
    row = _failing_row(document, 'got "' + "x" * 600 + '"..."' + "z" * 10 + '" (9000 bytes)')
    assert 'got "' + "x" * 60 + '…"..."' + "z" * 10 + '" (9000 bytes) |' in row


def test_changed_verdicts_come_before_the_counts_and_the_headline_says_so(document: dict[str, Any]) -> None:
    second = copy.deepcopy(document)
    next(r for r in second["results"] if r["verdict"] == "FAIL")["verdict"] = "PASS"  # FAIL, then PASS
    repeated = with_repetitions([document, second], wall_time=7.0)
    text = markdown.render(repeated)
    assert text.index("## Stability over 2 repetitions") < text.index("| candidate | version | score |")
    assert "| `tcp.receive.line.crlf-stripped` | port | FAIL → PASS |" in text
    assert ("2 repetitions: 1 verdict changed between them, which fails the run; the counts are the last "
            "repetition's") in markdown.headline(repeated)
    steady = markdown.headline(with_repetitions([document, document], wall_time=7.0))
    assert "2 repetitions: every verdict the same in each" in steady


def test_emphasis_marks_in_a_value_are_shown_not_rendered(document: dict[str, Any]) -> None:
    """``2*3*4`` would render as 2<em>3</em>4, ``~~x~~`` struck through, ``_y_`` in italics."""
    row = _failing_row(document, 'expected "2*3*4", got "~~x~~ _y_" from smtp_mail')
    assert 'expected "2\\*3\\*4", got "\\~\\~x\\~\\~ \\_y\\_" from smtp_mail |' in row


def test_a_value_cannot_make_a_link_or_fetch_an_image(document: dict[str, Any]) -> None:
    row = _failing_row(document, 'got "![x](http://example.com/a.png) [y](http://example.com)"')
    assert 'got "!\\[x](http://example.com/a.png) \\[y](http://example.com)" |' in row


def test_the_expectations_line_shows_its_file_name_as_it_is(document: dict[str, Any]) -> None:
    listed = ExpectationSet("port", {"tcp.receive.all": Expectation(Verdict.FAIL, "x")},
                            "/ci/<b>*x*</b>/port.yaml")
    text = markdown.render(with_expectations(document, [listed], strict=False))
    assert "- port against /ci/&lt;b&gt;\\*x\\*&lt;/b&gt;/port.yaml: " in text
