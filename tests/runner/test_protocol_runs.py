"""Protocol scenarios end to end: YAML -> runner -> the reference (in process and through its driver)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fakeservers import can_bind_privileged
from harness.candidates.registry import resolve
from harness.runner import RunOptions, run_scenario
from harness.scenario.loader import load_file
from harness.scenario.model import Scenario, Verdict

META = """\
scenarios:
- id: {area}.run.case
  title: a protocol scenario
  manual: {area}
  spec: "§14"
"""


def load(tmp_path: Path, body: str, area: str = "http") -> Scenario:
    path = tmp_path / area / "case.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(META.format(area=area) + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
    (scenario,) = load_file(path)
    return scenario


def run(scenario: Scenario, candidate: str = "reference", **options: object):
    return run_scenario(scenario, resolve(candidate), RunOptions(**options))


STREAMING = """\
peers:
  web:
    kind: http-server
    options:
      routes:
      - {path: /index.html, body: "hello", framing: chunked, chunks: [2]}
      - {path: /echo, method: POST, echo: true}
callbacks:
  sink: {kind: receive}
  source: {kind: send, chunks: ["abc", "de", "f"]}
  echoed: {kind: receive}
steps:
- call: http_getindirect
  args: [!fmt "http://{web.host}:{web.port}/index.html", !callback sink]
  expect: {returns: [!type table, "HTTP/1.1 200 OK"]}
- check-callback: sink
  calls: [["he"], ["ll"], ["o"], [""]]
- call: http_postindirect
  args: [!fmt "http://{web.host}:{web.port}/echo", !callback echoed, !callback source]
  expect: {returns: [!type table, "HTTP/1.1 200 OK"]}
- check-callback: source
  count: 4                     # three chunks, then the reference's final call
- check-callback: echoed
  data: abcdef
- check: web
  requests:
  - {method: GET, target: /index.html, headers: {content-length: !absent }}
  - {method: POST, body: abcdef, headers: {content-length: "6", host: !fmt "{web.host}:{web.port}"}}
"""


@pytest.mark.parametrize("candidate", ["reference", "reference-driver"])
def test_streaming_scenario_passes_in_process_and_through_the_driver(tmp_path: Path, candidate: str) -> None:
    result = run(load(tmp_path, STREAMING), candidate)
    assert result.verdict is Verdict.PASS, (result.reason, result.transcript)
    assert result.leaks == ()


def test_check_mismatch_fails_at_the_check_step(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
    peers:
      web:
        kind: http-server
        options: {routes: [{path: /index.html, body: "hello"}]}
    steps:
    - call: http_get
      args: [!fmt "http://{web.host}:{web.port}/index.html"]
    - check: web
      requests: [{headers: {user-agent: "curl/8"}}]
    """)
    result = run(scenario)
    assert result.verdict is Verdict.FAIL
    assert result.step.endswith("case.yaml:13")
    assert 'requests[0].headers.user-agent: expected "curl/8", got "LuaSocket 1.3b HTTP 1.1"' in result.reason
    assert any(entry.source == "peer:web" and "GET /index.html" in entry.text for entry in result.transcript)


def test_a_failing_call_repeats_what_the_fake_server_warned_of_during_it(tmp_path: Path) -> None:
    # The server's "no route for GET /other.html" was only in the transcript; the reason said
    # "got "404 Not Found\n"" and no more.
    scenario = load(tmp_path, """\
    peers:
      web:
        kind: http-server
        options: {routes: [{path: /index.html, body: "hello"}]}
    steps:
    - call: http_get
      args: [!fmt "http://{web.host}:{web.port}/other.html"]
      expect: {returns: ["hello"]}
    """)
    result = run(scenario)
    assert result.verdict is Verdict.FAIL
    assert result.reason.endswith("; server web: no route for GET /other.html")


def test_receive_callback_abort_ends_the_transfer_with_its_message(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
    peers:
      web:
        kind: http-server
        options: {routes: [{path: /big, body: {size: 100000}}]}
    callbacks:
      sink: {kind: receive, record: digest, abort-at: 2, message: "enough"}
    steps:
    - call: http_getindirect
      args: [!fmt "http://{web.host}:{web.port}/big", !callback sink]
      expect: {returns: [!type table, "HTTP/1.1 200 OK", "enough"]}
    - check-callback: sink
      count: 2
      first: [!len 8192]
    """)
    result = run(scenario)
    assert result.verdict is Verdict.PASS, (result.reason, result.transcript)


def test_a_failing_check_callback_is_a_fail_with_the_calls_shown(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
    peers:
      web:
        kind: http-server
        options: {routes: [{path: /index.html, body: "hello"}]}
    callbacks:
      sink: {kind: receive}
    steps:
    - call: http_getindirect
      args: [!fmt "http://{web.host}:{web.port}/index.html", !callback sink]
    - check-callback: sink
      calls: [["hello"], [""], [""]]
    """)
    result = run(scenario)
    assert result.verdict is Verdict.FAIL
    assert "calls: expected 3 calls, there were 2" in result.reason
    assert '{"hello"}, {""}' in result.actual


def test_server_options_may_point_at_an_earlier_peer(tmp_path: Path) -> None:
    scenario = load(tmp_path, """\
    peers:
      far:
        kind: http-server
        options: {routes: [{path: /there, body: "arrived"}]}
      web:
        kind: http-server
        options:
          routes: [{path: /away, redirect: !fmt "http://{far.host}:{far.port}/there"}]
    steps:
    - call: http_get
      args: [!fmt "http://{web.host}:{web.port}/away"]
      expect: {returns: ["arrived", !any , "HTTP/1.1 200 OK"]}
    - check: far
      requests: [{target: /there}]
    - check: web
      count: 1
    """)
    result = run(scenario)
    assert result.verdict is Verdict.PASS, (result.reason, result.transcript)


SMTP = """\
requires: [privileged-ports]
peers:
  mx: {kind: smtp-server, options: {host: auto}}
steps:
- call: smtp_mail
  args: ["from@example.org", ["to@example.org"], {Subject: hi}, "body", !ref mx.host]
  expect: {returns: []}
- check: mx
  envelopes:
  - {mail_from: from@example.org, rcpt_tos: [to@example.org], content: !contains "Subject: hi"}
"""


def test_smtp_scenario_is_skipped_without_privileged_ports(tmp_path: Path) -> None:
    result = run(load(tmp_path, SMTP, "smtp"), capabilities=frozenset())
    assert result.verdict is Verdict.SKIP and result.reason.startswith("requires privileged-ports")


def test_smtp_scenario_runs_on_port_25_of_a_unique_loopback(tmp_path: Path) -> None:
    ok, why = can_bind_privileged()
    if not ok:
        pytest.skip(f"needs port 25: {why}")
    result = run(load(tmp_path, SMTP, "smtp"))
    assert result.verdict is Verdict.PASS, (result.reason, result.transcript)
    assert result.leaks == ()
