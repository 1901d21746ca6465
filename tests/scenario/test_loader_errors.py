"""Bad files are rejected with file, line and field named."""

from __future__ import annotations

import textwrap

import pytest
from scenario_support import load_problems, scenario_text

from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_file


def peer_text(kind: str, action: str) -> str:
    """A scenario whose peer ``p`` has a one-action script (the action is on line 9)."""
    return scenario_text(f"peers:\n  p:\n    kind: {kind}\n    script: [{action}]\nsteps: [{{call: f}}]\n")


# Scenario body lines start at line 6 of the file scenario_text() builds.
CASES = [
    # (case id, file text, line, field, part of the message)
    ("unknown-top-level-key", "scenarios: []\nextra: 1\n", 2, "extra", "unknown key"),
    ("file-not-a-mapping", "- a\n- b\n", 1, "scenarios", "expected a mapping"),
    ("empty-file", "", 1, "scenarios", "got null"),
    ("unknown-scenario-key", scenario_text("colour: red\nsteps: [{call: f}]\n"), 6,
     "scenarios[0].colour", "unknown key"),
    ("missing-required-key", "scenarios:\n- id: tcp.a.b\n  title: t\n  manual: m\n  steps: [{call: f}]\n", 2,
     "scenarios[0].spec", "missing required key"),
    ("missing-steps", "scenarios:\n- id: tcp.a.b\n  title: t\n  manual: m\n  spec: s\n", 2,
     "scenarios[0].steps", "missing required key"),
    ("empty-title", "scenarios:\n- id: tcp.a.b\n  title: ''\n  manual: m\n  spec: s\n  steps: [{call: f}]\n",
     3, "scenarios[0].title", "must not be empty"),
    ("bad-id-syntax", scenario_text("steps: [{call: f}]\n", scenario_id="tcp.Receive"), 2,
     "scenarios[0].id", "not a valid id"),
    ("single-segment-id", scenario_text("steps: [{call: f}]\n", scenario_id="tcp"), 2,
     "scenarios[0].id", "not a valid id"),
    ("id-outside-area", scenario_text("steps: [{call: f}]\n", scenario_id="udp.send.x"), 2,
     "scenarios[0].id", "must start with 'tcp.'"),
    ("bad-tag-name", scenario_text("tags: [Receive]\nsteps: [{call: f}]\n"), 6, "scenarios[0].tags[0]",
     "is not a tag"),
    ("unknown-capability", scenario_text("requires: [root]\nsteps: [{call: f}]\n"), 6,
     "scenarios[0].requires[0]", "unknown capability 'root'"),
    ("environment-unknown-variable", scenario_text("environment: {HOME: /tmp}\nsteps: [{call: f}]\n"), 6,
     "scenarios[0].environment.HOME", "not a variable the API reads (known: SERVER_NAME"),
    ("environment-not-text", scenario_text("environment: {SERVER_NAME: 42}\nsteps: [{call: f}]\n"), 6,
     "scenarios[0].environment.SERVER_NAME", "expected text (quote it), got a number (42)"),
    ("environment-nul", scenario_text('environment: {SERVER_NAME: "a\\0b"}\nsteps: [{call: f}]\n'), 6,
     "scenarios[0].environment.SERVER_NAME", "cannot hold a NUL byte"),
    ("environment-not-a-mapping", scenario_text("environment: [SERVER_NAME]\nsteps: [{call: f}]\n"), 6,
     "scenarios[0].environment", "expected a mapping"),
    ("note-cut-by-a-comment", scenario_text("steps:\n- call: f\n  expect:\n  - returns: []\n"
                                            "    verdict: informational\n"
                                            "    note: the 2001 quirk (§16 #7)\n"),
     11, "scenarios[0].steps[0].expect[0].note", "' #' starts a YAML comment"),
    ("title-cut-by-a-comment", "scenarios:\n- id: tcp.a.b\n  title: one # two\n  manual: m\n  spec: s\n"
                               "  steps: [{call: f}]\n", 3, "scenarios[0].title", "quote the text"),
    ("unknown-yaml-tag", scenario_text("steps:\n- call: f\n  args: [!bytes abc]\n"), 8,
     "scenarios[0].steps[0].args[0]", "unknown tag !bytes"),
    ("tag-comma-pitfall", scenario_text("steps:\n- call: f\n  expect: {returns: [!any, 1]}\n"), 8,
     "scenarios[0].steps[0].expect.returns[0]", "put a space after !any"),
    ("unclaimed-bad-tag", scenario_text("steps: [{call: f}]\nnotes_typo: !type nope\n"), 7, "!type",
     "unknown type 'nope'"),
    ("bad-regex", scenario_text("steps:\n- call: f\n  expect:\n    returns: [!re \"a(\"]\n"), 9,
     "scenarios[0].steps[0].expect.returns[0]", "bad regular expression"),
    ("matcher-in-args", scenario_text("steps:\n- call: f\n  args: [!len 3]\n"), 8,
     "scenarios[0].steps[0].args[0]", "only allowed in expectations"),
    ("unknown-step-key", scenario_text("steps:\n- call: f\n  timeout: 3\n"), 8,
     "scenarios[0].steps[0].timeout", "unknown key"),
    ("step-without-kind", scenario_text("steps:\n- args: [1]\n"), 7, "scenarios[0].steps[0]",
     "exactly one of call, signal, wait, sleep"),
    ("bad-call-syntax", scenario_text("steps:\n- call: c.receive\n"), 7, "scenarios[0].steps[0].call",
     "NAME or VAR:NAME"),
    ("method-on-unsaved-var", scenario_text("steps:\n- call: c:receive\n"), 7, "scenarios[0].steps[0].call",
     "no earlier step saves 'c'"),
    ("ref-to-unsaved-var", scenario_text("steps:\n- call: close\n  args: [!ref c]\n"), 8,
     "scenarios[0].steps[0].args[0]", "!ref c: no earlier step saves 'c'"),
    ("ref-deep-in-a-table", scenario_text("steps:\n- call: f\n  args:\n  - a: 1\n    b:\n      c: 2\n"
                                          "      d: !ref nope\n"), 12,
     "scenarios[0].steps[0].args[0]", "!ref nope: no earlier step saves 'nope'"),
    ("fmt-ref-to-unsaved-var", scenario_text("steps:\n- call: f\n  args: [!fmt \"a{nope}\"]\n"), 8,
     "scenarios[0].steps[0].args[0]", "!fmt {nope}: no earlier step saves 'nope'"),
    ("peer-ref-deep-in-a-matcher", peer_text("tcp-server", "{recv: {expect: !oneof [x, !ref nope]}}"), 9,
     "scenarios[0].peers.p.script[0].recv.expect", "!ref nope: no step saves 'nope'"),
    ("ref-saved-by-same-step", scenario_text(
        "steps:\n- call: connect\n  save: [c]\n  expect: {returns: [!ref c]}\n"), 9,
     "scenarios[0].steps[0].expect.returns[0]", "no earlier step saves 'c'"),
    ("ref-to-unknown-peer", scenario_text("steps:\n- call: connect\n  args: [!ref srv.host, 1]\n"), 8,
     "scenarios[0].steps[0].args[0]", "no peer named 'srv'"),
    ("ref-bad-name", scenario_text("steps:\n- call: f\n  args: [!ref srv.address]\n"), 8,
     "scenarios[0].steps[0].args[0]", "is not a variable name"),
    ("peer-ref-never-saved", scenario_text("""\
        peers:
          cli:
            kind: tcp-client
            script:
            - connect: {host: 127.0.0.1, port: !ref port}
        steps: [{call: f}]
        """), 10, "scenarios[0].peers.cli.script[0].connect.port", "no step saves 'port'"),
    ("unpaired-step-wait", scenario_text("steps:\n- wait: ready\n"), 7, "scenarios[0].steps[0].wait",
     "nothing signals event 'ready'"),
    ("unpaired-peer-wait", scenario_text("""\
        peers:
          srv:
            kind: tcp-server
            script:
            - wait: go
        steps: [{call: f}]
        """), 10, "scenarios[0].peers.srv.script[0].wait.name", "nothing signals event 'go'"),
    ("step-wait-before-its-own-signal", scenario_text("steps:\n- wait: go\n- signal: go\n"), 7,
     "scenarios[0].steps[0].wait", "event 'go' is signalled only after this wait, in the steps"),
    ("peer-wait-before-its-own-signal", scenario_text("""\
        peers:
          srv:
            kind: tcp-server
            script:
            - wait: go
            - signal: go
        steps: [{call: f}]
        """), 10, "scenarios[0].peers.srv.script[0].wait.name",
     "event 'go' is signalled only after this wait, in peer srv's script"),
    ("bad-verdict", scenario_text("steps:\n- call: f\n  expect:\n    returns: []\n    verdict: fail\n"), 10,
     "scenarios[0].steps[0].expect.verdict", "one of pass, non-strict, informational"),
    ("returns-and-raises", scenario_text("steps:\n- call: f\n  expect: {returns: [], raises: x}\n"), 8,
     "scenarios[0].steps[0].expect", "exactly one of returns, raises"),
    ("neither-returns-nor-raises", scenario_text("steps:\n- call: f\n  expect: [{verdict: pass}]\n"), 8,
     "scenarios[0].steps[0].expect[0]", "exactly one of returns, raises"),
    ("unknown-outcome-key", scenario_text("steps:\n- call: f\n  expect: {returns: [], time: 1}\n"), 8,
     "scenarios[0].steps[0].expect.time", "unknown key"),
    ("returns-not-a-list", scenario_text("steps:\n- call: f\n  expect: {returns: abc}\n"), 8,
     "scenarios[0].steps[0].expect.returns", "one matcher per returned value"),
    ("bad-within", scenario_text("steps:\n- call: f\n  expect: {returns: [], within: [1, 0.5]}\n"), 8,
     "scenarios[0].steps[0].expect.within", "0 <= low <= high, got a list ([1, 0.5])"),
    ("stop-on-a-pass", scenario_text("steps:\n- call: f\n  expect: {returns: [], stop: true}\n"), 8,
     "scenarios[0].steps[0].expect.stop", "a PASS must mean that every step ran"),
    ("stop-not-a-boolean", scenario_text("steps:\n- call: f\n  expect:\n  - returns: []\n"
                                         "    verdict: informational\n    stop: yes\n"), 11,
     "scenarios[0].steps[0].expect[0].stop", "true or false"),
    ("bad-deadline", scenario_text("steps:\n- call: f\n  deadline: 0\n"), 8,
     "scenarios[0].steps[0].deadline", "a number > 0"),
    ("huge-repeat",
     scenario_text("steps:\n- call: f\n  args: [!repeat {data: ab, count: 100000000000000}]\n"), 8,
     "scenarios[0].steps[0].args[0]", "!repeat makes 200000000000000 bytes, more than the 256 MiB"),
    ("nan-table-key", scenario_text("steps:\n- call: f\n  args: [{.nan: 1}]\n"), 8,
     "scenarios[0].steps[0].args[0]", "a table key cannot be NaN"),
    ("endless-integer", scenario_text("steps:\n- call: f\n  args: [" + "9" * 5000 + "]\n"), 8,
     "yaml", "a whole number of 5000 digits is too long to read"),
    ("hex-without-digits", scenario_text("steps:\n- call: f\n  args: [0x_]\n"), 8, "yaml",
     "'0x_' is not a whole number"),
    ("null-raises", scenario_text("steps:\n- call: f\n  expect: {raises: }\n"), 8,
     "scenarios[0].steps[0].expect.raises",
     "non-empty text or a matcher (!re, !oneof, !error, !any), got null"),
    ("empty-raises", scenario_text("steps:\n- call: f\n  expect: {raises: ''}\n"), 8,
     "scenarios[0].steps[0].expect.raises", "got text ('')"),
    ("number-raises", scenario_text("steps:\n- call: f\n  expect: {raises: 12}\n"), 8,
     "scenarios[0].steps[0].expect.raises", "got a number (12)"),
    ("list-raises", scenario_text("steps:\n- call: f\n  expect: {raises: [a, b]}\n"), 8,
     "scenarios[0].steps[0].expect.raises", "got a list (['a', 'b'])"),
    ("infinite-sleep", scenario_text("steps:\n- sleep: .inf\n"), 7,
     "scenarios[0].steps[0].sleep", "at most 86400"),
    ("nan-deadline", scenario_text("steps:\n- call: f\n  deadline: .nan\n"), 8,
     "scenarios[0].steps[0].deadline", "a number > 0"),
    ("bad-save-name", scenario_text("steps:\n- call: f\n  save: [Sock]\n"), 8,
     "scenarios[0].steps[0].save[0]", "variable name"),
    ("non-byte-in-args", scenario_text("steps:\n- call: send\n  args: [\"price: \u20ac\"]\n"), 8,
     "scenarios[0].steps[0].args[0]", "non-byte character"),
    ("non-byte-in-returns", scenario_text("steps:\n- call: f\n  expect:\n    returns: [\"\u2713\"]\n"), 9,
     "scenarios[0].steps[0].expect.returns[0]", "U+2713"),
    ("non-byte-in-peer-data", scenario_text("""\
        peers:
          srv:
            kind: tcp-server
            script:
            - send: "\u20ac"
        steps: [{call: f}]
        """), 10, "scenarios[0].peers.srv.script[0].send.data", "non-byte character"),
    ("bad-peer-kind", scenario_text("peers:\n  srv: {kind: sctp}\nsteps: [{call: f}]\n"), 7,
     "scenarios[0].peers.srv.kind", "one of tcp-server, tcp-client, udp"),
    ("unknown-peer-key", scenario_text("peers:\n  srv: {kind: udp, port: 5}\nsteps: [{call: f}]\n"), 7,
     "scenarios[0].peers.srv.port", "unknown key"),
    ("unknown-peer-option", scenario_text(
        "peers:\n  srv: {kind: udp, options: {backlog: 3}}\nsteps: [{call: f}]\n"), 7,
     "scenarios[0].peers.srv.options.backlog", "unknown key"),
    ("rcvbuf-on-client-peer", scenario_text(
        "peers:\n  cli: {kind: tcp-client, options: {rcvbuf: 65536}}\nsteps: [{call: f}]\n"), 7,
     "scenarios[0].peers.cli.options.rcvbuf", "unknown key"),
    ("rcvbuf-not-positive", scenario_text(
        "peers:\n  srv: {kind: tcp-server, options: {rcvbuf: 0}}\nsteps: [{call: f}]\n"), 7,
     "scenarios[0].peers.srv.options.rcvbuf", "a whole number > 0"),
    ("op-of-other-kind", peer_text("udp", "accept"),
     9, "scenarios[0].peers.p.script[0]", "udp peers have no action 'accept'"),
    ("recv-count-against-exact-expect", peer_text("tcp-server", "{recv: {expect: abc, count: 5}}"),
     9, "scenarios[0].peers.p.script[0].recv.count", "never match expect, which is exactly 3 bytes"),
    ("send-times-with-delay", peer_text("tcp-server", "{send: {data: abc, delay: 0.1, times: 2}}"),
     9, "scenarios[0].peers.p.script[0].send.times", "takes neither slices nor delay"),
    ("send-times-with-slices", peer_text("tcp-server", "{send: {data: abc, slices: [1], times: 2}}"),
     9, "scenarios[0].peers.p.script[0].send.times", "takes neither slices nor delay"),
    ("action-with-its-parameter-beside-it", peer_text("tcp-server", "{send: a, delay: 1}"),
     9, "scenarios[0].peers.p.script[0]", "got send with delay beside it"),
    ("raw-peer-on-ipv6", scenario_text("requires: [raw]\npeers:\n  p:\n    kind: raw\n"
                                       "    options: {host: '::1'}\nsteps: [{call: f}]\n"), 10,
     "scenarios[0].peers.p.options.host",
     "a raw peer sends IPv4 packets: its host is an IPv4 address, not '::1'"),
    ("endless-peer-timeout", peer_text("tcp-server", "{accept: {timeout: 1e300}}"),
     9, "scenarios[0].peers.p.script[0].accept.timeout", "at most 86400"),
    ("unknown-action-param", peer_text("tcp-server", "{send: {data: x, speed: 2}}"),
     9, "scenarios[0].peers.p.script[0].send.speed", "unknown key"),
    ("missing-action-param", peer_text("tcp-client", "{connect: {host: x}}"),
     9, "scenarios[0].peers.p.script[0].connect.port", "missing required key"),
    ("bare-action-needing-params", peer_text("tcp-client", "connect"),
     9, "scenarios[0].peers.p.script[0].connect.host", "missing required key"),
    ("recv-without-expect-or-count", peer_text("tcp-server", "{recv: {timeout: 1}}"),
     9, "scenarios[0].peers.p.script[0].recv", "recv needs expect or count"),
    ("recv-matcher-without-count", peer_text("tcp-server", "{recv: !re abc}"),
     9, "scenarios[0].peers.p.script[0].recv", "a count unless expect is one exact string"),
    ("bad-shutdown-how", peer_text("tcp-server", "{shutdown: half}"),
     9, "scenarios[0].peers.p.script[0].shutdown.how", "one of write, read, both"),
    ("params-on-close", peer_text("tcp-server", "{close: now}"),
     9, "scenarios[0].peers.p.script[0].close", "takes no parameters"),
    ("bad-port", peer_text("udp", "{sendto: {data: x, host: h, port: 70000}}"),
     9, "scenarios[0].peers.p.script[0].sendto.port", "port number"),
    ("duplicate-yaml-key", scenario_text("steps: [{call: f}]\ntitle: again\n"), 7, "scenarios[0].title",
     "duplicate key (first at line 3)"),
    ("duplicate-step-key", scenario_text("steps:\n- call: f\n  args: [1]\n  args: [2]\n"), 9,
     "scenarios[0].steps[0].args", "duplicate key (first at line 8)"),
    ("duplicate-peer-option", scenario_text(
        "peers:\n  srv:\n    kind: tcp-server\n    options: {rcvbuf: 1, rcvbuf: 2}\nsteps: [{call: f}]\n"), 9,
     "scenarios[0].peers.srv.options.rcvbuf", "duplicate key (first at line 9)"),
    ("duplicate-id-in-file", scenario_text("steps: [{call: f}]\n") + textwrap.dedent("""\
        - id: tcp.test.case
          title: t
          manual: m
          spec: s
          steps: [{call: f}]
        """), 7, "scenarios[1].id", "duplicate id tcp.test.case (first at line 2)"),
    ("yaml-syntax", "scenarios:\n- id: [unclosed\n", 3, "yaml", "expected ',' or ']'"),
    ("bad-hex", scenario_text("steps:\n- call: f\n  args: [!hex 0d0]\n"), 8,
     "scenarios[0].steps[0].args[0]", "!hex: '0d0' has an odd number of hex digits (two make a byte)"),
    ("bad-repeat", scenario_text("steps:\n- call: f\n  args: [!repeat {data: a}]\n"), 8,
     "scenarios[0].steps[0].args[0]", "missing key 'count'"),
    ("bad-digest", scenario_text("steps:\n- call: f\n  expect: {returns: [!digest {sha256: abc}]}\n"), 8,
     "scenarios[0].steps[0].expect.returns[0]", "sha256 must be 64 hex digits"),
    ("bad-range", scenario_text("steps:\n- call: f\n  expect: {returns: [!range [2, 1]]}\n"), 8,
     "scenarios[0].steps[0].expect.returns[0]", "low 2 is above high 1"),
    ("any-with-argument", scenario_text("steps:\n- call: f\n  expect: {returns: [!any x]}\n"), 8,
     "scenarios[0].steps[0].expect.returns[0]", "!any takes no argument"),
    ("bad-error-family", scenario_text("steps:\n- call: f\n  expect: {returns: [null, !error dns]}\n"), 8,
     "scenarios[0].steps[0].expect.returns[1]", "unknown error family 'dns'"),
    ("nil-in-table", scenario_text("steps:\n- call: f\n  args: [[1, null]]\n"), 8,
     "scenarios[0].steps[0].args[0]", "cannot hold nil"),
    ("bad-event-name", scenario_text("steps:\n- signal: 'two words'\n"), 7, "scenarios[0].steps[0].signal",
     "an event name"),
    ("no-steps", scenario_text("steps: []\n"), 6, "scenarios[0].steps", "at least one step"),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_problem_names_file_line_and_field(write_file, text, line, field, fragment) -> None:
    path = write_file(text)
    problems = load_problems(path)
    located = [p for p in problems if (p.line, p.field) == (line, field)]
    assert located, f"no problem at line {line}, field {field}; got:\n" + "\n".join(map(str, problems))
    assert any(fragment in p.message for p in located), "\n".join(map(str, located))
    assert all(p.path == str(path) for p in problems)


def test_error_str_is_path_line_field_message(write_file) -> None:
    path = write_file(scenario_text("steps:\n- call: f\n  expect: {returns: [], verdict: maybe}\n"))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(path), 8, "scenarios[0].steps[0].expect.verdict")
    assert str(error) == (f"{path}:8: scenarios[0].steps[0].expect.verdict: "
                          "expected one of pass, non-strict, informational, got text ('maybe')")


def test_all_problems_of_a_file_are_reported_in_line_order(write_file) -> None:
    path = write_file(scenario_text("""\
        colour: red
        steps:
        - call: c:receive
        - wait: never
        - call: f
          expect: {returns: [!re "("], verdict: maybe}
        """))
    problems = load_problems(path)
    assert [(p.line, p.field) for p in problems] == [
        (6, "scenarios[0].colour"),
        (8, "scenarios[0].steps[0].call"),
        (9, "scenarios[0].steps[1].wait"),
        (11, "scenarios[0].steps[2].expect.returns[0]"),
        (11, "scenarios[0].steps[2].expect.verdict"),
    ]
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    assert len(str(caught.value).splitlines()) == 5


def test_non_utf8_file_is_rejected(tmp_path) -> None:
    path = tmp_path / "tcp" / "latin.yaml"
    path.parent.mkdir()
    path.write_bytes(b"scenarios: []\n# caf\xe9\n")
    (problem,) = load_problems(path)
    assert (problem.line, problem.field) == (2, "file") and "not UTF-8" in problem.message  # the byte's line


def test_a_control_character_is_named_with_its_line_not_a_traceback(tmp_path) -> None:
    path = tmp_path / "tcp" / "pasted.yaml"
    path.parent.mkdir()
    path.write_bytes(b"scenarios:\n- id: tcp.x.y\n  title: a\x1bb\n")
    (problem,) = load_problems(path)
    assert (problem.line, problem.field) == (3, "file")
    assert "U+001B" in problem.message and "\\x1b" in problem.message


def test_empty_scenario_list_is_valid(write_file) -> None:
    assert load_file(write_file("scenarios: []\n")) == ()


def test_a_matcher_out_of_place_is_named_as_a_reader_knows_it(write_file) -> None:
    path = write_file("scenarios:\n- id: tcp.x.y\n  title: t\n  manual: m\n  spec: s\n  steps:\n"
                      "  - call: connect\n    expect: [!type socket]\n")
    problems = load_problems(path)
    assert any("got a matcher (any socket)" in problem.message for problem in problems), problems
