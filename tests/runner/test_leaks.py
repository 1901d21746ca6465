"""Leak detection: directly, and as the runner reports it against a scenario."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest
from runner_support import ScriptedCandidate, call, returns, scenario

from harness import leaks
from harness.adapters.base import Returned
from harness.runner import RunOptions, run_scenario
from harness.scenario.model import Verdict
from harness.values import Handle

FAST = RunOptions(default_deadline=1.0, leak_grace=0.3)


def test_nothing_new_means_no_leaks():
    before = leaks.snapshot()
    with socket.socket():
        pass
    assert leaks.find_leaks(before, grace=0.1) == []


def test_a_new_socket_is_reported_with_its_address():
    before = leaks.snapshot()
    server = socket.create_server(("127.0.0.1", 0))
    try:
        found = leaks.find_leaks(before, grace=0.1)
        port = server.getsockname()[1]
        assert len(found) == 1
        assert f"fd {server.fileno()}" in found[0]
        assert f"tcp 127.0.0.1:{port}" in found[0] and "LISTEN" in found[0]
    finally:
        server.close()


def test_a_thread_that_ends_within_the_grace_window_is_not_a_leak():
    release = threading.Event()
    before = leaks.snapshot()
    thread = threading.Thread(target=release.wait, args=(5,), name="short-lived")
    thread.start()
    release.set()
    assert leaks.find_leaks(before, grace=2) == []
    assert not thread.is_alive()


def test_a_running_thread_is_reported_and_old_or_exempt_ones_are_not():
    release = threading.Event()
    older = threading.Thread(target=release.wait, args=(10,), name="older")
    older.start()
    before = leaks.snapshot()
    leaked = threading.Thread(target=release.wait, args=(10,), name="leaky-worker", daemon=True)
    exempt = threading.Thread(target=release.wait, args=(10,), name="harness-pool", daemon=True)
    leaks.exempt_thread(exempt)
    leaked.start()
    exempt.start()
    try:
        assert leaks.find_leaks(before, grace=0.1) == ["daemon thread 'leaky-worker' still running"]
    finally:
        release.set()
        for thread in (older, leaked, exempt):
            thread.join(5)


def test_a_child_process_is_reported_with_its_command_line():
    before = leaks.snapshot()
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        (found,) = leaks.find_leaks(before, grace=0.1)
        assert f"child process {child.pid} still running" in found and "sys.stdin.read()" in found
    finally:
        child.stdin.close()
        child.wait(5)


def test_watching_all_descriptors_sees_pipes_too():
    before = leaks.snapshot(sockets_only=False)
    read_end, write_end = os.pipe()
    try:
        found = leaks.find_leaks(before, grace=0.1)
        assert any(f"fd {read_end} (pipe:" in text for text in found)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_runner_fails_a_passing_scenario_whose_candidate_leaks_a_socket():
    kept: list[socket.socket] = []

    def leak_socket(call):
        kept.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        kept[-1].bind(("127.0.0.1", 0))
        return Returned(())

    try:
        result = run_scenario(scenario(call("udpsocket", line=3)), ScriptedCandidate(leak_socket).spec, FAST)
        port = kept[0].getsockname()[1]
    finally:
        for sock in kept:
            sock.close()
    assert result.verdict is Verdict.FAIL
    assert result.reason.startswith("steps acceptable, but afterwards leaked: fd ")
    assert len(result.leaks) == 1 and f"udp 127.0.0.1:{port}" in result.leaks[0]
    assert any("leak:" in entry.text for entry in result.transcript)


@pytest.mark.parametrize("verdict", [Verdict.NON_STRICT, Verdict.INFORMATIONAL])
def test_runner_fails_a_non_strict_or_informational_scenario_whose_candidate_leaks_a_socket(verdict):
    # A leak is a defect whatever reading of the manual the call's result earned.
    kept: list[socket.socket] = []

    def leak_socket(call):
        kept.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        return Returned((b"x",))

    step = call("f", line=3, expect=[returns(b"x", verdict=verdict, note="a quirk")])
    try:
        result = run_scenario(scenario(step), ScriptedCandidate(leak_socket).spec, FAST)
    finally:
        for sock in kept:
            sock.close()
    assert result.verdict is Verdict.FAIL
    assert result.reason.startswith("steps acceptable, but afterwards leaked: ")
    assert len(result.leaks) == 1
    # the acceptable step did not cause the leak: its place and result would read as the cause
    assert (result.step, result.expected, result.actual) == ("", (), "")


def test_an_unbound_socket_is_described_by_its_kind():
    # psutil lists no socket that was never bound: the reason said only "socket:[4389447]".
    before = leaks.snapshot()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket(socket.AF_INET6) as tcp:
        found = leaks.find_leaks(before, grace=0.1)
        assert f"fd {udp.fileno()} (udp socket, not bound) still open" in found
        assert f"fd {tcp.fileno()} (tcp (IPv6) socket, not bound) still open" in found


def test_a_leaked_socket_names_the_handle_returned_by_the_call_that_opened_it():
    # Even when a later call (a close that keeps a duplicate) moved it to another descriptor.
    kept: list[socket.socket] = []

    def candidate(call):
        if call.function == "udpsocket":
            kept.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            return Returned((Handle(1, "udp"),))
        kept.append(kept.pop().dup())
        return Returned(())

    steps = (call("udpsocket", line=3), call("close", line=4))
    try:
        result = run_scenario(scenario(*steps), ScriptedCandidate(candidate).spec, FAST)
        fd = kept[0].fileno()
    finally:
        for sock in kept:
            sock.close()
    assert result.leaks == (f"fd {fd} (udp socket, not bound, opened with <udp #1>) still open",)


def test_runner_reports_a_leaked_thread_and_keeps_a_failing_verdict():
    release = threading.Event()
    threads: list[threading.Thread] = []

    def leak_thread(call):
        threads.append(threading.Thread(target=release.wait, args=(10,), name="candidate-bg", daemon=True))
        threads[-1].start()
        return Returned((b"wrong",))

    try:
        result = run_scenario(scenario(call("f", line=3, expect=[returns(b"right")])),
                              ScriptedCandidate(leak_thread).spec, FAST)
    finally:
        release.set()
        threads[0].join(5)
    assert result.verdict is Verdict.FAIL
    assert "no acceptable outcome" in result.reason, "a real failure is not hidden by the leak"
    assert result.leaks == ("daemon thread 'candidate-bg' still running",)
