"""The in-process adapter against a small fake module (no network)."""

from __future__ import annotations

import threading
import time
import types

import fake_luasocket
import pytest

from harness.adapters.base import Call, Crashed, Raised, Returned, TimedOut, Unimplemented
from harness.adapters.driver_loops import RepeatRequest
from harness.adapters.inprocess import InProcessAdapter
from harness.values import Handle, LuaFunction, LuaTable


@pytest.fixture
def adapter():
    instance = InProcessAdapter(fake_luasocket, "fake", fake_luasocket.__version__, join_timeout=2.0)
    yield instance
    instance.close()


def worker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "lsconform-call-fake"]


def test_info_comes_from_the_module(adapter):
    assert (adapter.info.name, adapter.info.version) == ("fake", "0.0-fake")
    assert adapter.info.capabilities == frozenset({"fake"})


def test_scalars_pass_through_and_tables_become_lists_or_dicts(adapter):
    array = LuaTable(array=[b"a", 2])
    mixed = LuaTable(array=[b"first"], hash={b"key": True, 5: 1.5})
    outcome = adapter.call(Call("typenames", (b"x", 1, 2.5, True, None, array, mixed, LuaTable())))
    assert outcome == Returned((b"bytes", b"int", b"float", b"bool", b"NoneType", b"list", b"dict", b"list"))
    outcome = adapter.call(Call("echo", (array, mixed)))
    assert isinstance(outcome, Returned)
    assert outcome.values[0] == LuaTable(array=[b"a", 2])
    assert outcome.values[1] == LuaTable(array=[b"first"], hash={b"key": True, 5: 1.5})


def test_str_results_become_bytes_and_none_means_no_values(adapter):
    assert adapter.call(Call("single")) == Returned((b"one value",))
    assert adapter.call(Call("nothing")) == Returned(())


def test_socket_objects_become_stable_handles(adapter):
    outcome = adapter.call(Call("same_socket_twice"))
    assert isinstance(outcome, Returned)
    sock, table = outcome.values
    assert isinstance(sock, Handle) and sock.kind == "udp"
    assert table == LuaTable(array=[sock])
    again = adapter.call(Call("echo", (sock,)))
    assert again == Returned((sock,))


def test_method_calls_and_missing_methods(adapter):
    (sock,) = adapter.call(Call("socket_of", (b"tcp-client",))).values
    assert adapter.call(Call("getsockname", (), "method", sock)) == Returned((b"127.0.0.1", 4242))
    assert adapter.call(Call("accept", (), "method", sock)) == Raised(
        "attempt to call method 'accept' (a nil value)")


def test_missing_global_is_unimplemented(adapter):
    assert adapter.call(Call("toip", (b"localhost",))) == Unimplemented("toip")
    assert adapter.call(Call("LuaError")) == Unimplemented("LuaError"), "a class is not an API function"


def test_lua_error_is_raised_other_exceptions_crash(adapter):
    assert adapter.call(Call("misuse")) == Raised("bad argument #1 to 'misuse' (invalid receive pattern)")
    crashed = adapter.call(Call("broken"))
    assert isinstance(crashed, Crashed)
    assert "ZeroDivisionError: internal bug" in crashed.detail
    assert "Traceback" in crashed.detail


def test_results_without_a_lua_meaning_crash(adapter):
    crashed = adapter.call(Call("strange"))
    assert isinstance(crashed, Crashed)
    assert "<object object at" in crashed.detail


def test_unknown_handle_crashes(adapter):
    assert isinstance(adapter.call(Call("echo", (Handle(99),))), Crashed)


def test_callbacks_route_to_the_handler(adapter):
    seen = []

    def handler(name, args):
        seen.append((name, args))
        return (b"chunk", 7)

    adapter.set_callback_handler(handler)
    outcome = adapter.call(Call("apply", (LuaFunction("source"), b"ctx")))
    assert outcome == Returned((b"chunk", 7))
    assert seen == [("source", (b"ctx", b"from the candidate"))]


def test_callback_without_a_handler_crashes(adapter):
    outcome = adapter.call(Call("apply", (LuaFunction("sink"),)))
    assert isinstance(outcome, Crashed) and "no callback handler" in outcome.detail


def test_release_closes_the_given_sockets(adapter):
    (sock,) = adapter.call(Call("socket_of", (b"tcp-client",))).values
    (other,) = adapter.call(Call("socket_of", (b"tcp-client",))).values
    adapter.release([sock])
    objects = adapter._handles.objects()
    assert [obj.close_count for obj in objects] == [1, 0]


def test_deadline_times_out_and_close_releases_the_stuck_call():
    adapter = InProcessAdapter(fake_luasocket, "fake", "x", join_timeout=2.0)
    try:
        (sock,) = adapter.call(Call("socket_of", (b"tcp-client",))).values
        started = time.monotonic()
        outcome = adapter.call(Call("receive", (sock, b"*l"), deadline=0.2))
        elapsed = time.monotonic() - started
        assert outcome == TimedOut(0.2)
        assert 0.18 <= elapsed <= 1.5
        busy = adapter.call(Call("echo", ()))
        assert isinstance(busy, Crashed) and "still running" in busy.detail
        assert worker_threads(), "the stuck call is still on the worker"
    finally:
        adapter.close()
    assert worker_threads() == [], "close() ended the worker once the stuck call returned"
    assert isinstance(adapter.call(Call("echo", ())), Crashed), "a closed adapter refuses calls"


def test_close_without_any_call_starts_no_thread():
    adapter = InProcessAdapter(fake_luasocket, "fake", "x")
    adapter.close()
    assert worker_threads() == []


def test_a_crash_shows_the_candidates_frames_not_the_adapters_own():
    # The adapter's line that makes the call ("result = function(*args)") led every traceback and
    # took the room a report's one-line reason had for the candidate's file and line.
    module = types.ModuleType("lsc_crashing_candidate")
    exec(compile("def connect(host, port):\n    return helper(host)\n\n"
                 "def helper(host):\n    return host.nonexistent\n\n"
                 "def bind(host):\n    return ()\n", "/src/mymod.py", "exec"), module.__dict__)
    adapter = InProcessAdapter(module, "crashing", "0", join_timeout=2.0)
    try:
        crashed = adapter.call(Call("connect", (b"127.0.0.1", 80)))
        assert isinstance(crashed, Crashed)
        assert crashed.detail.startswith("connect raised AttributeError: ")
        assert "inprocess.py" not in crashed.detail
        assert crashed.detail.count('File "/src/mymod.py"') == 2  # connect, then helper
        repeated, _ = adapter.call_repeated(Call("connect", (b"127.0.0.1", 80)), RepeatRequest(3))
        assert "inprocess.py" not in repeated.detail and 'File "/src/mymod.py", line 5' in repeated.detail
        # The call itself failed (a wrong number of arguments): no frame of the candidate's, no traceback.
        wrong = adapter.call(Call("bind", (b"127.0.0.1", 0)))
        assert wrong.detail == "bind raised TypeError: bind() takes 1 positional argument but 2 were given"
    finally:
        adapter.close()
