"""DriverAdapter against the Python driver serving ``drivermod``: values, errors, callbacks, the end."""

from __future__ import annotations

import hashlib
import os
import sys
import time

import psutil
import pytest
from driver_support import broken_driver, python_driver, variant_driver

from harness.adapters.base import Call, Crashed, Raised, Returned, TimedOut, Unimplemented
from harness.adapters.driver import DIGEST_REFUSED, HELLO_TIMEOUT_ENV, DriverAdapter
from harness.adapters.driver_loops import RepeatRequest
from harness.adapters.driver_spec import driver_candidate
from harness.candidates import registry
from harness.values import Handle, LuaFunction, LuaTable

ALL_BYTES = bytes(range(256))


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_hello_gives_name_version_and_capabilities(adapter):
    assert adapter.failure is None
    assert (adapter.info.name, adapter.info.version) == ("drivermod", "0.0-drivermod")
    assert adapter.info.capabilities == frozenset({"tcp", "fake", "repeat", "sequence", "digest",
                                                   "local-callbacks"})


def test_name_option_names_the_candidate(start_driver):
    adapter = start_driver(python_driver("drivermod", "--name", "my-candidate"))
    assert adapter.info.name == "my-candidate"


def test_values_cross_both_ways_byte_for_byte(adapter):
    table = LuaTable(array=[ALL_BYTES, 2], hash={b"k\xff": True, 5: 1.5})
    outcome = adapter.call(Call("echo", (ALL_BYTES, 1, 2.5, True, table, LuaTable())))
    assert outcome == Returned((ALL_BYTES, 1, 2.5, True, table, LuaTable()))
    args = (b"x", 1, 2.5, True, None, LuaTable(array=[1]), table, LuaTable())
    typed = adapter.call(Call("typenames", args))
    assert typed == Returned((b"bytes", b"int", b"float", b"bool", b"NoneType", b"list", b"dict", b"list"))
    assert adapter.call(Call("single")) == Returned((b"one value",))
    assert adapter.call(Call("nothing")) == Returned(())


def test_explicit_nils_in_arguments_are_passed_on(adapter):
    outcome = adapter.call(Call("typenames", (None, b"x", None)))
    assert outcome == Returned((b"NoneType", b"bytes", b"NoneType"))


def test_sockets_are_stable_handles_in_both_call_styles(adapter):
    outcome = adapter.call(Call("same_socket_twice"))
    sock, table = outcome.values
    assert isinstance(sock, Handle) and sock.kind == "udp"
    assert table == LuaTable(array=[sock])
    assert adapter.call(Call("echo", (sock,))) == Returned((sock,))
    assert adapter.call(Call("getsockname", (), "method", sock)) == Returned((b"127.0.0.1", 4242))
    assert adapter.held_handles == [sock]


def test_missing_global_is_unimplemented_and_missing_method_a_lua_error(adapter):
    (sock,) = adapter.call(Call("socket_of", (b"tcp-server",))).values
    assert adapter.call(Call("toip", (b"localhost",))) == Unimplemented("toip")
    assert adapter.call(Call("LuaError")) == Unimplemented("LuaError"), "a class is not an API function"
    assert adapter.call(Call("receive", (), "method", sock)) == Raised(
        "attempt to call method 'receive' (a nil value)")


def test_lua_errors_are_raised_and_the_driver_goes_on(adapter):
    assert adapter.call(Call("misuse")) == Raised("bad argument #1 to 'misuse' (invalid receive pattern)")
    assert adapter.call(Call("single")) == Returned((b"one value",))


def test_a_python_exception_crashes_with_the_traceback_and_later_calls_answer_at_once(adapter):
    pid = adapter.pid
    crashed = adapter.call(Call("broken"))
    assert isinstance(crashed, Crashed)
    assert "exited with status 70" in crashed.detail and "call broken" in crashed.detail
    assert "ZeroDivisionError: internal bug" in crashed.stderr_tail
    assert "Traceback" in crashed.stderr_tail
    assert gone(pid)
    started = time.monotonic()
    assert adapter.call(Call("single")) is crashed
    assert time.monotonic() - started < 0.5


def test_a_crash_traceback_starts_at_the_modules_frame_not_the_drivers(adapter):
    # The driver's own line that made the call led every traceback and pushed the module's file and line
    # out of the tail a report's one-line reason shows.
    crashed = adapter.call(Call("broken"))
    assert isinstance(crashed, Crashed)
    assert "drivermod.py\", line 77, in broken" in crashed.stderr_tail
    assert "driver.py\"" not in crashed.stderr_tail


def test_results_without_a_lua_meaning_crash(adapter):
    crashed = adapter.call(Call("strange"))
    assert isinstance(crashed, Crashed) and "no Lua meaning" in crashed.stderr_tail


def test_unknown_handles_crash(adapter):
    crashed = adapter.call(Call("echo", (Handle(99),)))
    assert isinstance(crashed, Crashed) and "handle #99 was not issued" in crashed.stderr_tail


def test_prints_of_the_candidate_go_to_stderr_not_the_channel(adapter):
    assert adapter.call(Call("chatter")) == Returned((b"said",))
    assert adapter.call(Call("single")) == Returned((b"one value",))
    assert "must not reach the protocol channel" in adapter.stderr_tail()


def test_callbacks_round_trip_to_the_handler(adapter):
    seen = []

    def handler(name, args):
        seen.append((name, args))
        return (b"chunk " + args[0], 7)

    adapter.set_callback_handler(handler)
    outcome = adapter.call(Call("apply_twice", (LuaFunction("sink"),)))
    assert outcome == Returned((b"chunk one", 7, b"chunk two", 7))
    assert seen == [("sink", (b"one",)), ("sink", (b"two",))]
    outcome = adapter.call(Call("apply", (LuaFunction("source"), ALL_BYTES)))
    assert outcome == Returned((b"chunk " + ALL_BYTES, 7))
    assert seen[-1] == ("source", (ALL_BYTES, b"from the candidate"))


def test_a_failing_callback_is_a_lua_error_inside_the_candidate(adapter):
    def handler(name, args):
        raise RuntimeError("the scenario's callback gave up")

    adapter.set_callback_handler(handler)
    assert adapter.call(Call("apply", (LuaFunction("sink"),))) == Raised("the scenario's callback gave up")
    assert adapter.call(Call("single")) == Returned((b"one value",)), "the driver carried on"


def test_a_callback_without_a_handler_crashes_the_call_only(adapter):
    outcome = adapter.call(Call("apply", (LuaFunction("sink"),)))
    assert isinstance(outcome, Crashed) and "no callback handler" in outcome.detail
    assert adapter.call(Call("single")) == Returned((b"one value",))


def test_callback_time_in_the_harness_does_not_count_against_the_deadline(adapter):
    def slow_handler(name, args):
        time.sleep(0.4)  # stands for a scenario callback that takes its time
        return (1,)

    adapter.set_callback_handler(slow_handler)
    outcome = adapter.call(Call("apply_twice", (LuaFunction("sink"),), deadline=0.6))
    assert outcome == Returned((1, 1))


def test_release_closes_the_candidate_sockets_and_forgets_them(adapter):
    first = adapter.call(Call("socket_of", (b"tcp-client",))).values[0]
    second = adapter.call(Call("socket_of", (b"tcp-client",))).values[0]
    adapter.release([first, Handle(12345)])
    assert adapter.call(Call("closed_total")) == Returned((1,))
    assert adapter.held_handles == [second]
    crashed = adapter.call(Call("echo", (first,)))
    assert isinstance(crashed, Crashed), "a released handle is no longer valid"


def test_repeat_runs_in_the_driver_and_stops_at_the_error_position(adapter):
    adapter.call(Call("arm", (5,)))
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(100, stop=2, discard="count"))
    assert outcome == Returned((None, b"closed"))
    assert (report.done, report.bytes) == (6, 20)
    assert report.elapsed >= 0
    adapter.call(Call("arm", (5,)))
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(3, discard="none"))
    assert outcome == Returned((b"tick", None)) and (report.done, report.bytes) == (3, 12)


def test_a_digest_repeat_hashes_value_1_of_every_repetition_in_the_driver(adapter):
    adapter.call(Call("arm", (5,)))
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(100, stop=2, discard="digest"))
    assert outcome == Returned((None, b"closed"))  # the last "" is counted and hashed, then dropped
    assert (report.done, report.bytes) == (6, 20)
    assert report.sha256 == hashlib.sha256(b"tick" * 5).hexdigest()
    assert report.elapsed >= 0


def test_digest_is_refused_without_a_request_to_a_driver_that_does_not_claim_it(start_driver):
    adapter = start_driver(variant_driver("digest-unclaimed", "drivermod"))
    assert "digest" not in adapter.info.capabilities and "repeat" in adapter.info.capabilities
    adapter.call(Call("arm", (5,)))
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(3, stop=2, discard="digest"))
    assert outcome == Raised(DIGEST_REFUSED) and report is None
    # nothing was sent: the driver's countdown is untouched, and it still serves
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(100, stop=2, discard="count"))
    assert report is not None and report.done == 6


def test_a_driver_that_leaves_out_the_digest_it_was_asked_for_crashes_the_call(start_driver):
    adapter = start_driver(variant_driver("digest-absent", "drivermod"))
    outcome, report = adapter.call_repeated(Call("tick"), RepeatRequest(3, stop=2, discard="digest"))
    assert isinstance(outcome, Crashed) and report is None
    assert "repeat.sha256 is missing" in outcome.detail


def test_a_driver_without_the_capability_answers_a_digest_request_with_an_error():
    """What the adapter spares such a driver; a driver reached anyway must refuse, not loop."""
    from harness.adapters.driver_process import DriverProcess
    from harness.adapters.driver_wire import call_message, decode_message, encode_message

    process = DriverProcess(variant_driver("digest-refused", "drivermod"))
    try:
        deadline = time.monotonic() + 10
        assert "digest" not in decode_message(process.read_line(deadline))["capabilities"]
        request = call_message(1, "tick", (), "global", None, RepeatRequest(3, discard="digest"))
        process.send(encode_message(request), deadline)
        answer = decode_message(process.read_line(deadline))
        assert answer["type"] == "error" and "repeat" not in answer
    finally:
        process.close_input()
        process.finish(2.0)


def test_a_missed_deadline_times_out_and_stops_the_process_until_close(adapter):
    # Stopped, not killed: its sockets stay open until the scenario is judged (and close kills it).
    pid = adapter.pid
    started = time.monotonic()
    outcome = adapter.call(Call("hang", deadline=0.2))
    elapsed = time.monotonic() - started
    assert isinstance(outcome, TimedOut) and outcome.deadline == 0.2
    assert 0.18 <= elapsed <= 1.5
    assert psutil.Process(pid).status() == psutil.STATUS_STOPPED
    assert adapter.call(Call("single")) is outcome
    began = time.monotonic()
    adapter.close()
    assert gone(pid)
    assert time.monotonic() - began < 1.0, "a stopped driver gets no exit grace"


def test_close_says_bye_and_reaps_the_driver(start_driver):
    adapter = start_driver()
    pid = adapter.pid
    adapter.close()
    assert gone(pid)
    assert pid not in [child.pid for child in psutil.Process().children(recursive=True)]
    assert isinstance(adapter.call(Call("single")), Crashed), "a closed adapter refuses calls"
    adapter.close()


def test_a_command_that_cannot_start_is_a_crash_on_the_first_call(start_driver):
    adapter = start_driver(["/nonexistent/driver-program"])
    outcome = adapter.call(Call("single"))
    assert isinstance(outcome, Crashed) and "cannot start the driver" in outcome.detail
    empty = DriverAdapter([])
    assert isinstance(empty.call(Call("single")), Crashed) and empty.pid is None
    empty.close()


def test_a_driver_importing_a_missing_module_never_says_hello(start_driver):
    adapter = start_driver([sys.executable, str(python_driver()[1]), "no_such_module_anywhere"])
    outcome = adapter.call(Call("single"))
    assert isinstance(outcome, Crashed)
    assert "did not start" in outcome.detail and "exited with status 2" in outcome.detail
    assert "no_such_module_anywhere" in outcome.stderr_tail


def test_a_stack_trace_on_stdout_instead_of_the_hello_is_quoted_beyond_its_first_line(start_driver):
    # "Traceback (most recent call last):" alone does not say where the driver failed to start.
    trace = b'Traceback (most recent call last):\n  File "mydriver.py", line 7, in <module>\nKeyError: 1\n'
    adapter = start_driver([sys.executable, "-c", f"import os; os.write(1, {trace!r}); os._exit(1)"])
    assert isinstance(adapter.failure, Crashed)
    assert ("no valid hello: not a JSON line: 'Traceback (most recent call last):' (Expecting value: line 1 "
            "column 1 (char 0)); then on stdout: '  File \"mydriver.py\", line 7, in <module>', "
            "'KeyError: 1'; it exited with status 1") in adapter.failure.detail


def test_a_silent_driver_fails_at_the_hello_timeout(start_driver):
    started = time.monotonic()
    adapter = start_driver([sys.executable, "-c", "import time; time.sleep(60)"], hello_timeout=0.3)
    assert 0.28 <= time.monotonic() - started <= 2.0
    assert isinstance(adapter.failure, Crashed) and "no hello within 0.3s" in adapter.failure.detail
    assert gone(adapter.pid)


def test_a_hello_without_its_newline_is_shown_not_called_silence(start_driver):
    adapter = start_driver(broken_driver("hello-no-newline"), hello_timeout=0.3)
    assert isinstance(adapter.failure, Crashed)
    assert "no hello within 0.3s (it wrote " in adapter.failure.detail
    assert "with no newline: '{\"type\": \"hello\"" in adapter.failure.detail


def test_run_and_bench_drivers_wait_for_their_hello_as_long_as_the_environment_says(monkeypatch):
    silent = driver_candidate("silent", [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setenv(HELLO_TIMEOUT_ENV, "0.3")
    adapter = silent.make_adapter()
    try:
        assert isinstance(adapter.failure, Crashed)
        assert "no hello within 0.3s (a driver slow to start may be given longer: " \
               "LSCONFORM_HELLO_TIMEOUT=SECONDS)" in adapter.failure.detail
    finally:
        adapter.close()
    monkeypatch.setenv(HELLO_TIMEOUT_ENV, "soon")
    assert registry.start_problem(silent) == \
        "LSCONFORM_HELLO_TIMEOUT='soon' is not a number of seconds above 0 (at most 86400)"


def test_an_unimplemented_answer_to_a_method_call_is_a_protocol_error(start_driver):
    # PROTOCOL.md section 4: only a global can be missing; a missing method is Lua's error.
    adapter = start_driver(broken_driver("garbage"))
    assert adapter.call(Call("nosuch")) == Unimplemented("nosuch")
    outcome = adapter.call(Call("receive", (), "method", Handle(1, "tcp-client")))
    assert isinstance(outcome, Crashed)
    assert "answers a global call only; a missing method 'receive' is an error" in outcome.detail


def test_a_driver_deaf_to_bye_is_given_one_wait_in_all_at_close(start_driver, monkeypatch):
    adapter = start_driver(broken_driver("deaf-to-bye"), bye_timeout=0.3)
    assert adapter.failure is None
    graces: list[float] = []
    finish = adapter._process.finish
    monkeypatch.setattr(adapter._process, "finish", lambda grace: (graces.append(grace), finish(grace))[1])
    pid = adapter.pid
    adapter.close()
    assert graces == [0.0], "the bye's wait is used up: no second one for the exit"
    assert gone(pid)


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to list descriptors")
@pytest.mark.parametrize("ending", ["close", "crash", "timeout"])
def test_no_descriptor_outlives_the_adapter(ending):
    before = open_fds()
    adapter = DriverAdapter(python_driver())
    if ending == "crash":
        assert isinstance(adapter.call(Call("broken")), Crashed)
    elif ending == "timeout":
        assert isinstance(adapter.call(Call("hang", deadline=0.2)), TimedOut)
    adapter.close()
    assert open_fds() - before == set()


def test_an_interrupted_hello_wait_kills_the_driver(tmp_path, monkeypatch):
    """Ctrl-C while a driver starts: it runs in a session of its own, so nothing else would stop it."""
    script = tmp_path / "slow-start.sh"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    started: list[int] = []

    def interrupted(self: DriverAdapter, timeout: float) -> None:
        started.append(self.pid)
        raise KeyboardInterrupt

    monkeypatch.setattr(DriverAdapter, "_read_hello", interrupted)
    with pytest.raises(KeyboardInterrupt):
        DriverAdapter([str(script)])
    assert started and not psutil.pid_exists(started[0])  # killed and reaped
