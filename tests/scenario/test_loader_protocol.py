"""Protocol scenarios load: fake-server peers, callbacks, !fmt, !callback, check steps."""

from __future__ import annotations

import pytest
from scenario_support import load_problems, scenario_text

from harness.scenario.loader import load_file
from harness.scenario.matchers import Digest, Exact, OneOf, Range, Regex
from harness.scenario.model import (
    CallStep,
    CheckCallbackStep,
    CheckStep,
    GeneratedData,
    Ref,
    Template,
    Verdict,
)
from harness.scenario.record_matchers import Absent, CommandMatcher, InOrder, NoneOf, PartialTable
from harness.values import LuaFunction, LuaTable

# A check of an FTP server: append its keys. In a loader error, its first key is on line 10 of the file.
FTP_CHECK = "peers:\n  srv: {kind: ftp-server}\nsteps:\n- check: srv\n"
HTTP_PEER = """\
peers:
  web:
    kind: http-server
    options:
      routes:
      - {path: /index.html, body: hello}
"""


HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


def load_one(write_file, body: str):
    (scenario,) = load_file(write_file(scenario_text(body)))
    return scenario


def test_fake_server_peer_keeps_its_options_as_plain_data(write_file) -> None:
    scenario = load_one(write_file, HTTP_PEER + "steps: [{call: f}]\n")
    (peer,) = scenario.peers
    assert peer.kind == "http-server" and peer.script == ()
    assert peer.options == {"routes": [{"path": "/index.html", "body": "hello"}]}
    assert type(peer.options["routes"]) is list


def test_fmt_builds_a_template_of_text_and_refs(write_file) -> None:
    scenario = load_one(write_file, HTTP_PEER + """\
steps:
- call: http_get
  args: [!fmt "http://{web.host}:{ web.port }/a{{b}}"]
""")
    (template,) = scenario.steps[0].args
    assert template == Template((b"http://", Ref("web.host"), b":", Ref("web.port"), b"/a{b}"))


def test_callbacks_are_read_with_their_defaults(write_file) -> None:
    scenario = load_one(write_file, """\
callbacks:
  sink: {kind: receive}
  digest_sink: {kind: receive, record: digest, abort-at: 2, message: "stop here"}
  source: {kind: send, chunks: ["abc", !hex "00 ff"], total: 9}
  big: {kind: send, generate: {size: 1000000, pattern: "ab"}}
steps:
- call: http_postindirect
  args: ["http://x/", !callback sink, !callback source]
""")
    sink, digest_sink, source, big = scenario.callbacks
    assert (sink.kind, sink.record, sink.abort_at, sink.message) == ("receive", "data", None, None)
    assert (digest_sink.record, digest_sink.abort_at, digest_sink.message) == ("digest", 2, b"stop here")
    assert (source.chunks, source.total, source.generate) == ((b"abc", b"\x00\xff"), 9, None)
    assert big.generate == GeneratedData(size=1000000, pattern=b"ab", chunk=65536)
    call = scenario.steps[0]
    assert isinstance(call, CallStep)
    assert call.args[1:] == (LuaFunction("sink"), LuaFunction("source"))


def test_callback_inside_a_table_argument_is_a_function_value(write_file) -> None:
    scenario = load_one(write_file, """\
callbacks:
  sink: {kind: receive}
steps:
- call: f
  args: [[!callback sink]]
""")
    assert scenario.steps[0].args[0] == LuaTable(array=[LuaFunction("sink")])


def test_check_step_builds_partial_tables_with_lower_case_header_names(write_file) -> None:
    scenario = load_one(write_file, HTTP_PEER + """\
steps:
- check: web
  count: 1
  requests:
  - method: GET
    headers: {Host: !re "^127", Authorization: !absent }
""")
    step = scenario.steps[0]
    assert isinstance(step, CheckStep) and (step.peer, step.server) == ("web", "http")
    (outcome,) = step.outcomes
    assert outcome.verdict is Verdict.PASS and outcome.fields["count"] == 1
    (request,) = outcome.fields["requests"]
    assert isinstance(request, PartialTable)
    entries = dict(request.entries)
    assert entries[b"method"] == Exact(b"GET")
    headers = dict(entries[b"headers"].entries)
    assert set(headers) == {b"host", b"authorization"}
    assert isinstance(headers[b"host"], Regex) and headers[b"authorization"] == Absent()


def test_ftp_commands_are_verbs_lines_or_matchers(write_file) -> None:
    scenario = load_one(write_file, """\
peers:
  srv: {kind: ftp-server}
steps:
- check: srv
  commands: [user, "USER luasocket", "PASS x\\r\\n", !oneof [PASV, EPSV]]
  stored: {incoming/a.txt: "data", /b.bin: !absent }
""")
    commands = scenario.steps[0].outcomes[0].fields["commands"]
    assert commands[0] == CommandMatcher(("verb",), Exact(b"USER"))
    assert commands[1] == CommandMatcher(("text",), Exact(b"USER luasocket"))
    assert commands[2] == CommandMatcher(("line",), Exact(b"PASS x\r\n"))
    assert commands[3].parts == ("verb", "text", "line") and isinstance(commands[3].matcher, OneOf)
    stored = scenario.steps[0].outcomes[0].fields["stored"]
    assert stored == (("/incoming/a.txt", Exact(b"data")), ("/b.bin", Absent()))


def test_a_list_written_none_forbids_entries_and_fixes_nothing_else(write_file) -> None:
    scenario = load_one(write_file, FTP_CHECK + """\
  commands: {none: [DELE, "RETR a\\r\\n", !re "(?i)victim"]}
  transfers: {none: [{verb: STOR}]}
""")
    fields = scenario.steps[0].outcomes[0].fields
    assert fields["commands"] == NoneOf((CommandMatcher(("verb",), Exact(b"DELE")),
                                         CommandMatcher(("line",), Exact(b"RETR a\r\n")),
                                         fields["commands"].forbidden[2]))
    assert isinstance(fields["commands"].forbidden[2].matcher, Regex)
    assert fields["transfers"] == NoneOf((PartialTable(((b"verb", Exact(b"STOR")),)),))


def test_a_command_line_may_be_fmt_text_rendered_when_checked(write_file) -> None:
    scenario = load_one(write_file,
                        FTP_CHECK + '  commands: [!fmt "USER u{srv.port}", !fmt "PASS {srv.port}\\r\\n"]\n')
    text, line = scenario.steps[0].outcomes[0].fields["commands"]
    assert text.parts == ("text",) and line.parts == ("line",)
    env = {"srv.port": 2121}
    assert text.matches(LuaTable(hash={b"text": b"USER u2121"}), env)
    assert line.matches(LuaTable(hash={b"line": b"PASS 2121\r\n"}), env)
    assert not line.matches(LuaTable(hash={b"line": b"PASS 2122\r\n"}), env)


def test_smtp_commands_load_like_ftp_commands(write_file) -> None:
    scenario = load_one(write_file, """\
requires: [privileged-ports]
peers:
  mx: {kind: smtp-server, options: {host: auto}}
steps:
- check: mx
  count: 0
  commands: [HELO, "MAIL FROM:<a@b>\\r\\n", !re "\\\\A(?i:rcpt) "]
""")
    commands = scenario.steps[0].outcomes[0].fields["commands"]
    assert commands[0] == CommandMatcher(("verb",), Exact(b"HELO"))
    assert commands[1] == CommandMatcher(("line",), Exact(b"MAIL FROM:<a@b>\r\n"))
    assert commands[2].parts == ("verb", "text", "line") and isinstance(commands[2].matcher, Regex)


def test_check_outcomes_under_expect_carry_verdicts(write_file) -> None:
    scenario = load_one(write_file, """\
peers:
  srv: {kind: ftp-server}
steps:
- check: srv
  expect:
  - transfers: [{verb: RETR, mode: PASV}]
  - transfers: [{verb: RETR, mode: PORT}]
    verdict: informational
    note: active mode
""")
    first, second = scenario.steps[0].outcomes
    assert first.verdict is Verdict.PASS
    assert (second.verdict, second.note) == (Verdict.INFORMATIONAL, "active mode")


def test_check_callback_reads_calls_first_last_and_digest(write_file) -> None:
    scenario = load_one(write_file, """\
callbacks:
  sink: {kind: receive}
steps:
- check-callback: sink
  calls: [["hello"], ["", null]]
  last: [""]
  count: 2
  data: hello
  digest: {sha256: 2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824, len: 5}
""")
    step = scenario.steps[0]
    assert isinstance(step, CheckCallbackStep)
    fields = step.outcomes[0].fields
    assert fields["calls"] == ((Exact(b"hello"),), (Exact(b""), Exact(None)))
    assert fields["last"] == (Exact(b""),) and fields["count"] == 2 and fields["data"] == Exact(b"hello")
    assert fields["digest"] == Digest("sha256", HELLO_SHA256, 5)


def test_options_may_refer_to_a_peer_declared_earlier(write_file) -> None:
    scenario = load_one(write_file, """\
peers:
  far: {kind: http-server}
  web:
    kind: http-server
    options:
      routes:
      - {path: /away, redirect: !fmt "http://{far.host}:{far.port}/x"}
steps: [{call: f}]
""")
    redirect = scenario.peers[1].options["routes"][0]["redirect"]
    assert isinstance(redirect, Template)
    assert {ref.name for ref in redirect.refs()} == {"far.host", "far.port"}


def test_smtp_server_on_port_25_with_privileged_ports_loads(write_file) -> None:
    scenario = load_one(write_file, """\
requires: [privileged-ports]
peers:
  mx: {kind: smtp-server, options: {host: auto}}
steps: [{call: f}]
""")
    assert scenario.requires == ("privileged-ports",)


def assert_load_error(write_file, body: str, line: int, field: str, message: str) -> None:
    found = [(problem.line, problem.field, problem.message)
             for problem in load_problems(write_file(scenario_text(body)))]
    assert any(p_line == line and p_field == field and message in p_message
               for p_line, p_field, p_message in found), found


@pytest.mark.parametrize(("kind", "port"), [("http-server", 80), ("ftp-server", 21), ("smtp-server", 25)])
def test_server_on_its_well_known_port_needs_privileged_ports(write_file, kind: str, port: int) -> None:
    peers = f"peers:\n  srv: {{kind: {kind}, options: {{host: auto, port: {port}}}}}\nsteps: [{{call: f}}]\n"
    assert load_one(write_file, "requires: [privileged-ports]\n" + peers).requires == ("privileged-ports",)
    assert_load_error(write_file, peers, 2, "scenarios[0].requires",
                      f"peer srv (an {kind} on a port below 1024) needs 'privileged-ports'")


@pytest.mark.parametrize(("kind", "other"), [("http-server", 21), ("ftp-server", 80), ("smtp-server", 80)])
def test_a_server_may_not_take_another_protocols_port(write_file, kind: str, other: int) -> None:
    well_known = {"http-server": 80, "ftp-server": 21, "smtp-server": 25}[kind]
    assert_load_error(write_file, "requires: [privileged-ports]\n"
                      f"peers:\n  srv:\n    kind: {kind}\n    options: {{host: auto, port: {other}}}\n"
                      "steps: [{call: f}]\n", 10, "scenarios[0].peers.srv.options.port",
                      f"0 (an ephemeral port) or {well_known} (the {kind}'s well-known port")


def test_tags_may_hold_underscores(write_file) -> None:
    assert load_one(write_file, "tags: [http, http_get]\nsteps: [{call: f}]\n").tags == ("http", "http_get")


# Body lines start at line 6 of the file scenario_text() builds.
ERRORS = [
    ("server-option-type", HTTP_PEER.replace("body: hello", "status: ok") + "steps: [{call: f}]\n", 11,
     "scenarios[0].peers.web.options.routes[0].status", "expected a whole number"),
    ("server-option-unknown", "peers:\n  srv:\n    kind: ftp-server\n    options:\n      acounts: []\n"
     "steps: [{call: f}]\n", 10, "scenarios[0].peers.srv.options.acounts", "unknown field"),
    ("server-option-deep-file-key", "peers:\n  srv:\n    kind: ftp-server\n    options:\n      accounts:\n"
     "      - user: u\n        password: p\n        files:\n          a.b.txt: {size: -1}\n"
     "steps: [{call: f}]\n", 14, "files[a.b.txt].size", "expected a whole number"),
    ("server-script", "peers:\n  web:\n    kind: http-server\n    script: [accept]\nsteps: [{call: f}]\n", 9,
     "scenarios[0].peers.web.script", "have no script"),
    ("server-fixed-port", "peers:\n  web:\n    kind: http-server\n    options: {port: 8080}\n"
     "steps: [{call: f}]\n", 9, "scenarios[0].peers.web.options.port", "ephemeral"),
    ("smtp-without-capability", "peers:\n  mx: {kind: smtp-server, options: {host: auto}}\n"
     "steps: [{call: f}]\n", 2, "scenarios[0].requires", "needs 'privileged-ports'"),
    ("option-ref-to-later-peer", "peers:\n  web:\n    kind: http-server\n    options:\n      routes:\n"
     "      - {path: /a, redirect: !fmt \"http://{far.host}/\"}\n  far: {kind: http-server}\n"
     "steps: [{call: f}]\n", 11, "scenarios[0].peers.web.options.routes[0].redirect", "declared earlier"),
    ("option-matcher", "peers:\n  web:\n    kind: http-server\n    options:\n      routes:\n"
     "      - {path: /a, body: !len 3}\n" "steps: [{call: f}]\n", 11,
     "scenarios[0].peers.web.options.routes[0].body", "no meaning in a server's options"),
    ("undeclared-callback", "steps:\n- call: f\n  args: [!callback sink]\n", 8,
     "scenarios[0].steps[0].args[0]", "no such callback"),
    ("bad-callback-name", "steps:\n- call: f\n  args: [!callback Sink]\n", 8,
     "scenarios[0].steps[0].args[0]", "not a callback name"),
    ("callback-unknown-kind", "callbacks:\n  sink: {kind: stream}\nsteps: [{call: f}]\n", 7,
     "scenarios[0].callbacks.sink.kind", "one of receive, send"),
    ("callback-key-of-other-kind", "callbacks:\n  sink: {kind: receive, chunks: [a]}\nsteps: [{call: f}]\n",
     7, "scenarios[0].callbacks.sink.chunks", "unknown key"),
    ("callback-chunks-and-generate", "callbacks:\n  src: {kind: send, chunks: [a], generate: {size: 3}}\n"
     "steps: [{call: f}]\n", 7, "scenarios[0].callbacks.src.generate", "either chunks or generate"),
    ("callback-after-unknown", "callbacks:\n  src: {kind: send, chunks: [a], after: again}\n"
     "steps: [{call: f}]\n", 7, "scenarios[0].callbacks.src.after", "one of empty, repeat"),
    ("callback-repeat-without-chunks", "callbacks:\n  src: {kind: send, generate: {size: 3}, after: repeat}\n"
     "steps: [{call: f}]\n", 7, "scenarios[0].callbacks.src.after", "repeat needs chunks"),
    ("callback-abort-at-zero", "callbacks:\n  sink: {kind: receive, abort-at: 0}\nsteps: [{call: f}]\n", 7,
     "scenarios[0].callbacks.sink.abort-at", "call number >= 1"),
    ("callback-bad-record", "callbacks:\n  sink: {kind: receive, record: all}\nsteps: [{call: f}]\n", 7,
     "scenarios[0].callbacks.sink.record", "one of data, digest"),
    ("fmt-lone-brace", "steps:\n- call: f\n  args: [!fmt \"a{b\"]\n", 8, "scenarios[0].steps[0].args[0]",
     "lone '{'"),
    ("fmt-bad-name", "steps:\n- call: f\n  args: [!fmt \"{Web.host}\"]\n", 8, "scenarios[0].steps[0].args[0]",
     "does not name a variable"),
    ("fmt-unbound", "steps:\n- call: f\n  args: [!fmt \"{web.port}\"]\n", 8, "scenarios[0].steps[0].args[0]",
     "no peer named 'web'"),
    ("check-not-a-server", "peers:\n  srv: {kind: tcp-server, script: [accept]}\nsteps:\n- check: srv\n"
     "  count: 1\n", 9, "scenarios[0].steps[0].check", "a peer of another kind"),
    ("check-key-of-other-kind", HTTP_PEER + "steps:\n- check: web\n  envelopes: []\n", 14,
     "scenarios[0].steps[0].envelopes", "an http-server check has requests, count"),
    ("check-unknown-field", HTTP_PEER + "steps:\n- check: web\n  requests: [{verb: GET}]\n", 14,
     "scenarios[0].steps[0].requests[0].verb", "unknown key"),
    ("check-nothing-listed", HTTP_PEER + "steps:\n- check: web\n", 13, "scenarios[0].steps[0]",
     "at least one of"),
    ("check-expect-and-keys", HTTP_PEER + "steps:\n- check: web\n  count: 1\n  expect: {count: 1}\n", 14,
     "scenarios[0].steps[0].count", "inside the outcomes"),
    ("check-empty-expect", HTTP_PEER + "steps:\n- check: web\n  expect: []\n", 14,
     "scenarios[0].steps[0].expect", "an empty list accepts nothing; list at least one outcome"),
    ("check-bad-verdict", HTTP_PEER + "steps:\n- check: web\n  expect: [{count: 1, verdict: maybe}]\n", 14,
     "scenarios[0].steps[0].expect[0].verdict", "one of pass"),
    ("check-callback-undeclared", "steps:\n- check-callback: sink\n  count: 1\n", 7,
     "scenarios[0].steps[0].check-callback", "declared: none"),
    ("check-callback-data-of-digest", "callbacks:\n  sink: {kind: receive, record: digest}\n"
     "steps:\n- check-callback: sink\n  data: abc\n", 10, "scenarios[0].steps[0].data", "record: digest"),
    ("check-callback-digest-of-send", "callbacks:\n  src: {kind: send}\nsteps:\n- check-callback: src\n"
     "  digest: {sha256: ab}\n", 10, "scenarios[0].steps[0].digest", "a send callback's check has"),
    ("check-callback-short-sha", "callbacks:\n  sink: {kind: receive}\nsteps:\n- check-callback: sink\n"
     "  digest: {sha256: ab}\n", 10, "scenarios[0].steps[0].digest.sha256", "64 hex digits"),
    ("check-none-empty", FTP_CHECK + "  commands: {none: []}\n", 10, "scenarios[0].steps[0].commands.none",
     "a non-empty list of entries that must not arrive"),
    ("check-none-not-a-list", FTP_CHECK + "  commands: {none: DELE}\n", 10,
     "scenarios[0].steps[0].commands.none", "a non-empty list"),
    ("check-none-unknown-key", FTP_CHECK + "  commands: {any: [DELE]}\n", 10,
     "scenarios[0].steps[0].commands.any", "unknown key (allowed here: none)"),
    ("check-none-missing", FTP_CHECK + "  commands: {}\n", 10, "scenarios[0].steps[0].commands.none",
     "missing required key"),
    ("check-none-bad-entry", FTP_CHECK + "  commands: {none: [DELE, 5]}\n", 10,
     "scenarios[0].steps[0].commands.none[1]", "a verb, a command line or a matcher"),
    ("check-none-bad-record", HTTP_PEER + "steps:\n- check: web\n  requests: {none: [{verb: GET}]}\n", 14,
     "scenarios[0].steps[0].requests.none[0].verb", "unknown key"),
    ("callback-where-a-number-goes", "callbacks:\n  sink: {kind: receive}\nsteps:\n- sleep: !callback sink\n",
     9, "scenarios[0].steps[0].sleep", "got !callback sink"),
    ("fmt-where-a-number-goes", "steps:\n- sleep: !fmt \"1\"\n", 7, "scenarios[0].steps[0].sleep",
     "got !fmt text"),
    ("check-list-or-none", FTP_CHECK + "  commands: DELE\n", 10, "scenarios[0].steps[0].commands",
     "{none: [...]} (no entry like these) or {in-order: [...], besides: [...]}"),
    ("check-besides-without-in-order", FTP_CHECK + "  commands: {besides: [NOOP]}\n", 10,
     "scenarios[0].steps[0].commands.in-order", "missing required key"),
    ("check-in-order-no-besides", FTP_CHECK + "  commands: {in-order: [USER]}\n", 10,
     "scenarios[0].steps[0].commands.besides", "missing required key"),
    ("check-in-order-empty-group", FTP_CHECK + "  commands: {in-order: [USER, []], besides: [NOOP]}\n", 10,
     "scenarios[0].steps[0].commands.in-order[1]", "a non-empty list"),
    ("check-in-order-bad-entry", FTP_CHECK + "  commands: {in-order: [USER, [CWD, 5]], besides: [NOOP]}\n",
     10,
     "scenarios[0].steps[0].commands.in-order[1][1]", "a verb, a command line or a matcher"),
    ("absent-in-flow-without-space", "steps:\n- call: f\n  expect: {returns: [{a: !absent}]}\n", 8, "yaml",
     "put a space between a tag and a following }"),
]


@pytest.mark.parametrize(("text", "line", "field", "message"), [case[1:] for case in ERRORS],
                         ids=[case[0] for case in ERRORS])
def test_protocol_errors_name_line_and_field(write_file, text: str, line: int, field: str,
                                             message: str) -> None:
    if not text.startswith("scenarios:"):
        text = scenario_text(text)
    problems = load_problems(write_file(text))
    found = [(problem.line, problem.field, problem.message) for problem in problems]
    assert any(p_line == line and field in p_field and message in p_message
               for p_line, p_field, p_message in found), found


def test_count_may_be_a_number_matcher(write_file) -> None:
    scenario = load_one(write_file, HTTP_PEER + """\
callbacks:
  sink: {kind: receive}
steps:
- check: web
  count: !range [1, 3]
- check-callback: sink
  count: !oneof [2, 3]
""")
    assert isinstance(scenario.steps[0].outcomes[0].fields["count"], Range)
    assert isinstance(scenario.steps[1].outcomes[0].fields["count"], OneOf)


def test_a_list_written_in_order_takes_groups_and_entries_allowed_besides(write_file) -> None:
    scenario = load_one(write_file, """\
peers:
  srv: {kind: ftp-server}
steps:
- check: srv
  commands: {in-order: [USER, [CWD, "TYPE I"], QUIT], besides: [NOOP, SYST]}
""")
    verb = lambda name: CommandMatcher(("verb",), Exact(name))  # noqa: E731
    assert scenario.steps[0].outcomes[0].fields["commands"] == InOrder(
        ((verb(b"USER"),), (verb(b"CWD"), CommandMatcher(("text",), Exact(b"TYPE I"))), (verb(b"QUIT"),)),
        (verb(b"NOOP"), verb(b"SYST")))
