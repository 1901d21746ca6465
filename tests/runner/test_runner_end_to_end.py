"""The runner with a real in-process candidate and scripted peers over loopback."""

from __future__ import annotations

from runner_support import FILE, act, call, peer, returns, scenario

from harness.candidates.registry import resolve
from harness.runner import RunOptions, run_scenario
from harness.scenario.matchers import Exact, TypeIs
from harness.scenario.model import Ref, SignalStep, Verdict

MINI = resolve("python:mini_luasocket")
FAST = RunOptions(default_deadline=2.0, leak_grace=1.0)


def line_server(*script):
    return peer("srv", "tcp-server", act("accept", line=20), *script)


def connect_steps():
    return (call("connect", Ref("srv.host"), Ref("srv.port"), line=2, save=["c"],
                 expect=[returns(TypeIs("socket"))]),)


def test_a_line_sent_in_slices_is_received_whole():
    result = run_scenario(scenario(
        *connect_steps(),
        call("c:receive", b"*l", line=3, expect=[returns(b"hello world")]),
        call("c:send", b"thanks\n", line=4),
        call("c:close", line=5),
        peers=[line_server(act("send", data=b"hello world\r\n", slices=[3, 4], delay=0.05),
                           act("recv", expect=Exact(b"thanks\n")), act("expect-close", line=23))],
    ), MINI, FAST)
    assert result.verdict is Verdict.PASS, (result.reason, result.transcript)
    assert result.leaks == ()


def test_peer_mismatch_fails_the_scenario_naming_peer_action_and_location():
    result = run_scenario(scenario(
        *connect_steps(),
        call("c:send", b"HELO x\r\n", line=3),
        SignalStep("sent"),
        peers=[line_server(act("wait", name="sent"), act("recv", line=22, expect=Exact(b"EHLO x\r\n")))],
    ), MINI, FAST)
    assert result.verdict is Verdict.FAIL
    assert result.reason.startswith(f"peer srv: recv ({FILE}:22)")
    assert result.step == f"{FILE}:22"
    assert result.expected == ('"EHLO x\\r\\n"',)
    assert result.actual == '"HELO x\\r\\n"'
    sources = {entry.source for entry in result.transcript}
    assert {"candidate", "peer:srv", "steps"} <= sources


def test_a_peer_left_waiting_fails_after_the_steps():
    result = run_scenario(scenario(
        *connect_steps(),
        call("c:close", line=3),
        peers=[line_server(act("recv", line=21, count=5, timeout=0.3))],
    ), MINI, RunOptions(default_deadline=2.0))
    assert result.verdict is Verdict.FAIL
    assert "peer srv: recv" in result.reason and "end of stream after 0 of 5 bytes" in result.reason


def test_an_unfinished_peer_script_is_a_failure():
    result = run_scenario(scenario(
        *connect_steps(),
        peers=[line_server(act("wait", line=21, name="never", timeout=30))],
    ), MINI, RunOptions(default_deadline=0.3))
    assert result.verdict is Verdict.FAIL
    assert "did not finish its script" in result.reason and f"{FILE}:21" in result.reason


def test_a_timed_out_call_is_released_and_nothing_leaks():
    result = run_scenario(scenario(
        *connect_steps(),
        call("c:receive", b"*l", line=3, deadline=0.3),
        peers=[line_server()],
    ), MINI, FAST)
    assert result.verdict is Verdict.TIMEOUT
    assert result.step == f"{FILE}:3"
    assert result.leaks == (), "closing the candidate's socket ended the stuck call and its worker"
    assert 0.3 <= result.duration <= 3.0
