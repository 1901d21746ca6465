"""Valid files load into the model the runner consumes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from scenario_support import scenario_text

from harness.scenario.loader import load_file
from harness.scenario.matchers import (
    AnyValue,
    Contains,
    ErrorClass,
    Exact,
    Length,
    OneOf,
    Range,
    RefEquals,
    Regex,
    TableMatcher,
    TypeIs,
)
from harness.scenario.model import CallStep, Ref, SignalStep, SleepStep, Verdict, WaitStep
from harness.values import LuaTable

WORKED_EXAMPLE = """\
scenarios:
- id: tcp.receive.line.crlf-stripped
  title: '"*l" drops the LF and the CR just before it'
  manual: TCP sockets / receive
  spec: "§5.6, §6 item 1"
  tags: [receive, pattern-line]
  requires: []
  peers:
    srv:
      kind: tcp-server
      script:
      - accept
      - send: "hello world\\r\\n"
      - expect-close
  steps:
  - call: connect
    args: [!ref srv.host, !ref srv.port]
    save: [c]
    expect: {returns: [!type socket]}
  - call: c:receive
    args: ["*l"]
    expect:
      returns: ["hello world"]
  - call: close
    args: [!ref c]
"""


def test_worked_example_loads_with_lines(write_file) -> None:
    path = write_file(WORKED_EXAMPLE)
    (scenario,) = load_file(path)
    assert scenario.id == "tcp.receive.line.crlf-stripped"
    assert scenario.title == '"*l" drops the LF and the CR just before it'
    assert (scenario.manual, scenario.spec) == ("TCP sockets / receive", "§5.6, §6 item 1")
    assert scenario.tags == ("receive", "pattern-line")
    assert scenario.requires == ()
    assert scenario.location.path == str(path) and scenario.location.line == 2
    assert scenario.functions == ("connect", "receive", "close")

    (srv,) = scenario.peers
    assert (srv.name, srv.kind, srv.location.line) == ("srv", "tcp-server", 10)
    assert [(a.op, dict(a.params), a.location.line) for a in srv.script] == [
        ("accept", {}, 12), ("send", {"data": b"hello world\r\n"}, 13), ("expect-close", {}, 14)]

    connect, receive, close = scenario.steps
    assert isinstance(connect, CallStep)
    assert (connect.function, connect.style, connect.target) == ("connect", "global", None)
    assert connect.args == (Ref("srv.host"), Ref("srv.port"))
    assert connect.save == ("c",)
    assert connect.location.line == 16
    assert connect.expect[0].returns == (TypeIs("socket"),)
    assert connect.expect[0].verdict is Verdict.PASS
    assert (receive.function, receive.style, receive.target) == ("receive", "method", "c")
    assert receive.args == (b"*l",)
    assert receive.expect[0].returns == (Exact(b"hello world"),)
    assert receive.expect[0].location.line == 23
    assert close.args == (Ref("c"),) and close.expect == ()


def test_outcome_set_with_verdicts_windows_and_notes(write_file) -> None:
    path = write_file(scenario_text("""\
        steps:
        - call: connect
          args: ["127.0.0.1", 1]
          save: [c, err]
          deadline: 2.5
          expect:
          - returns: [null, !error connect]
            within: [0, 1]
          - returns: [null, !re "refused$"]
            verdict: non-strict
            note: a message outside spec 3.2
          - raises: operation on closed socket
            verdict: informational
        """))
    (scenario,) = load_file(path)
    (step,) = scenario.steps
    assert step.deadline == 2.5 and step.save == ("c", "err")
    first, second, third = step.expect
    assert first.returns == (Exact(None), ErrorClass("connect")) and first.within == (0.0, 1.0)
    assert second.verdict is Verdict.NON_STRICT and second.note == "a message outside spec 3.2"
    assert isinstance(second.returns[1], Regex) and second.returns[1].pattern == re.compile(b"refused$")
    assert third.returns is None and third.raises == Contains(b"operation on closed socket")
    assert third.verdict is Verdict.INFORMATIONAL


def test_raises_text_means_contains_also_inside_oneof(write_file) -> None:
    path = write_file(scenario_text("""\
        steps:
        - call: f
          expect:
          - raises: !oneof ["invalid receive pattern", !error resolver, !re "^x"]
        - call: g
          expect: {raises: !any }
        """))
    first, second = load_file(path)[0].steps
    matcher = first.expect[0].raises
    assert isinstance(matcher, OneOf)
    assert matcher.options[0] == Contains(b"invalid receive pattern")
    assert matcher.options[1] == ErrorClass("resolver", within_message=True)
    assert isinstance(matcher.options[2], Regex)
    assert second.expect[0].raises == AnyValue()


def test_values_tables_and_byte_tags_in_args(write_file) -> None:
    path = write_file(scenario_text("""\
        steps:
        - call: udpsocket
          args: [{SO_BROADCAST: true, 1: "x"}, [1, "two", [3]], null, !hex "00ff",
                 !repeat {data: ab, count: 3}]
          save: [u]
        - call: u:sendto
          args: ["\\xff\\x00\\r\\n", 3.5, 0x10]
        """))
    first, second = load_file(path)[0].steps
    options, array, nil, hexed, repeated = first.args
    assert isinstance(options, LuaTable)
    assert options[b"SO_BROADCAST"] is True and options[1] == b"x"
    assert array == LuaTable.from_python([1, b"two", LuaTable.from_python([3])])
    assert nil is None  # explicit nil arguments are kept: the C core treats them differently
    assert (hexed, repeated) == (b"\x00\xff", b"ababab")
    assert second.args == (b"\xff\x00\r\n", 3.5, 16)


def test_returns_matchers_from_plain_yaml(write_file) -> None:
    path = write_file(scenario_text("""\
        steps:
        - call: connect
          save: [c]
        - call: select
          args: [[!ref c], null, 0.5]
          expect:
            returns: [[!ref c], {}, !len 0, !range [0.4, null], {code: 200}]
        """))
    step = load_file(path)[0].steps[1]
    assert step.args[0].array == [Ref("c")]
    readable, writable, length, number, mapping = step.expect[0].returns
    assert readable == TableMatcher(((1, RefEquals("c")),))
    assert writable == TableMatcher(())
    assert length == Length(0) and number == Range(0.4, None)
    assert mapping == TableMatcher(((b"code", Exact(200)),))


def test_sync_steps_and_peer_actions(write_file) -> None:
    path = write_file(scenario_text("""\
        peers:
          srv:
            kind: tcp-server
            options: {host: "127.0.0.1", backlog: 4, rcvbuf: 65536}
            script:
            - accept: 2
            - wait: {name: sent, timeout: 3}
            - recv: {expect: "abc", timeout: 1}
            - recv: {count: 4}
            - recv: {expect: !len 2, count: 2}
            - send: {data: !repeat {data: x, count: 4}, slices: [1, 3], delay: 0.05}
            - signal: replied
            - shutdown
            - shutdown: read
            - recv-until-close: !any
            - expect-close: 1.5
            - reset
          back:
            kind: tcp-client
            script:
            - connect: {host: !ref s_host, port: !ref s_port}
            - close
          dgram:
            kind: udp
            script:
            - sendto: {data: hi, host: !ref srv.host, port: !ref u_port}
            - recvfrom: {expect: !re "^h", from-port: !ref u_port, timeout: 1}
            - sleep: 0.1
            - close
        steps:
        - call: connect
          args: [!ref srv.host, !ref srv.port]
          save: [c]
        - call: c:send
          args: [abc]
        - signal: sent
        - wait: replied
          timeout: 2
        - sleep: 0.05
        - call: bind
          args: ["*", 0]
          save: [s]
        - call: s:getsockname
          save: [s_host, s_port]
        - call: udpsocket
          save: [u]
        - call: u:getsockname
          save: [null, u_port]
        """))
    scenario = load_file(path)[0]
    srv, back, dgram = scenario.peers
    assert srv.options == {"host": "127.0.0.1", "backlog": 4, "rcvbuf": 65536}
    ops = [(action.op, dict(action.params)) for action in srv.script]
    assert ops[0] == ("accept", {"timeout": 2})
    assert ops[1] == ("wait", {"name": "sent", "timeout": 3})
    assert ops[2] == ("recv", {"expect": Exact(b"abc"), "timeout": 1})
    assert ops[3] == ("recv", {"count": 4})
    assert ops[4] == ("recv", {"expect": Length(2), "count": 2})
    assert ops[5] == ("send", {"data": b"xxxx", "slices": [1, 3], "delay": 0.05})
    assert ops[6] == ("signal", {"name": "replied"})
    assert ops[7] == ("shutdown", {"how": "write"})  # the documented default, made explicit
    assert ops[8] == ("shutdown", {"how": "read"})
    assert ops[9] == ("recv-until-close", {"expect": AnyValue()})
    assert ops[10] == ("expect-close", {"timeout": 1.5})
    assert ops[11] == ("reset", {})
    # Peers may use variables any step saves: they synchronise at run time.
    assert back.script[0].params == {"host": Ref("s_host"), "port": Ref("s_port")}
    assert dgram.script[1].params["from-port"] == Ref("u_port")
    assert isinstance(dgram.script[1].params["expect"], Regex)

    steps = scenario.steps
    assert isinstance(steps[2], SignalStep) and steps[2].name == "sent"
    assert isinstance(steps[3], WaitStep) and (steps[3].name, steps[3].timeout) == ("replied", 2)
    assert isinstance(steps[4], SleepStep) and steps[4].seconds == 0.05
    assert steps[-1].save == (None, "u_port")
    assert scenario.functions == ("connect", "send", "bind", "getsockname", "udpsocket")


def test_several_scenarios_keep_file_order_and_optional_keys(write_file) -> None:
    path = write_file("""\
        scenarios:
        - id: udp.b.second
          title: b
          manual: UDP / close
          spec: "§8.8"
          notes: |
            Free text about why this scenario exists.
          steps: [{call: udpsocket}]
        - id: udp.a.first
          title: a
          manual: UDP / close
          spec: "§8.8"
          tags: [close]
          requires: [ipv6, netns]
          environment: {SERVER_NAME: "client.example\\r\\n"}
          steps: [{call: udpsocket}]
        """, area="udp")
    first, second = load_file(path)
    assert (first.id, second.id) == ("udp.b.second", "udp.a.first")
    assert first.notes == "Free text about why this scenario exists.\n"
    assert first.tags == () and first.requires == () and first.peers == () and first.environment == ()
    assert second.requires == ("ipv6", "netns")
    assert second.environment == (("SERVER_NAME", "client.example\r\n"),)


def test_yaml_merge_keys_and_anchors_are_allowed(write_file) -> None:
    path = write_file(scenario_text("""\
        steps:
        - call: f
          args: &pair [1, 2]
        - call: g
          args: *pair
        """))
    first, second = load_file(path)[0].steps
    assert first.args == second.args == (1, 2)


def test_area_can_be_given_explicitly(write_file) -> None:
    path = write_file(scenario_text("steps: [{call: f}]", scenario_id="edge.x.y"), area="misc")
    assert load_file(path, area="edge")[0].id == "edge.x.y"


def test_a_file_loaded_again_unchanged_is_not_parsed_again_but_any_change_is_seen(write_file) -> None:
    # One `lsconform run` loads the suite up to three times; an edit between two loads
    # (even one of the same size within one clock tick) must never give the old scenarios.
    path = write_file(scenario_text("steps: [{call: f, args: [1]}]\n"))
    first = load_file(path)
    assert load_file(path) is first
    os.utime(path, ns=(0, 0))
    assert load_file(path) is first, "the content decides, not the modification time"
    path.write_text(scenario_text("steps: [{call: f, args: [2]}]\n"), encoding="utf-8")
    os.utime(path, ns=(0, 0))
    (changed,) = load_file(path)
    assert changed.steps[0].args == (2,)


def test_a_load_reads_the_file_once_and_caches_what_it_read(write_file, monkeypatch) -> None:
    # An editor saves the file just after the loader read it. Read twice (once for the cache
    # key, once to parse), the new content was filed under the old content's digest: the
    # load returned the new scenarios, and once the old text was back it got them again.
    old_text = scenario_text("steps: [{call: f, args: [1]}]\n")
    path = write_file(old_text)
    reads: list[Path] = []
    read_bytes = Path.read_bytes

    def read_then_edit(self: Path) -> bytes:
        data = read_bytes(self)
        reads.append(self)
        if len(reads) == 1:
            self.write_text(scenario_text("steps: [{call: f, args: [2]}]\n"), encoding="utf-8")
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_edit)
    (first,) = load_file(path)
    assert first.steps[0].args == (1,), "the scenarios of the bytes read, not of a later edit"
    assert reads == [path], "one read per load"
    (edited,) = load_file(path)
    assert edited.steps[0].args == (2,)
    path.write_text(old_text, encoding="utf-8")
    (again,) = load_file(path)
    assert again is first and again.steps[0].args == (1,), "the old bytes' entry holds the old scenarios"
    assert len(reads) == 3


def test_a_hash_inside_quoted_or_folded_prose_is_text(write_file) -> None:
    """Only a plain one-line note can be cut short by a comment; these keep every character."""
    path = write_file(scenario_text("""\
        steps:
        - call: f
          expect:
          - returns: []
          - returns: [1]
            verdict: informational
            note: "the 2001 release (spec §16 #7)"
          - returns: [2]
            verdict: informational
            note: >-
              folded #8 stays
          # a comment on a line of its own is fine
        """))
    (scenario,) = load_file(path)
    notes = [outcome.note for outcome in scenario.steps[0].expect]
    assert notes == ["", "the 2001 release (spec §16 #7)", "folded #8 stays"]


def test_a_wait_may_be_met_by_another_sequence_or_an_earlier_signal_of_its_own(write_file) -> None:
    # Only a signal later in the wait's own sequence can never arrive; these all can.
    path = write_file("""\
        scenarios:
        - id: tcp.x.y
          title: t
          manual: m
          spec: s
          peers:
            srv:
              kind: tcp-server
              script:
              - signal: early
              - wait: early
              - wait: from-steps
              - signal: from-peer
          steps:
          - wait: from-peer
          - signal: from-steps
          - signal: again
          - wait: again
        """)
    (scenario,) = load_file(path)
    assert [step.name for step in scenario.steps] == ["from-peer", "from-steps", "again", "again"]
