"""How the Lua driver writes out what no LuaSocket call returns: error objects that are not
strings, messages that start like a position, functions, and a callback argument it cannot encode.

``tests/lua/lua_values_driver.lua`` serves a few such functions through the driver's own
protocol loop; the lines go in and come out raw.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from lua_support import DRIVERS_LUA

from harness.adapters.driver_wire import decode_value

HELPER = Path(__file__).resolve().parent / "lua_values_driver.lua"


def session(runtime: str, calls: list[tuple[str, list[object]]]) -> subprocess.CompletedProcess[bytes]:
    lines = [json.dumps({"type": "call", "id": index, "function": function, "style": "global", "args": args})
             for index, (function, args) in enumerate(calls, start=1)]
    return subprocess.run([runtime, str(HELPER), str(DRIVERS_LUA)], input="\n".join(lines).encode() + b"\n",
                          capture_output=True, timeout=60, check=False)


def answers(runtime: str, calls: list[tuple[str, list[object]]]) -> list[dict[str, object]]:
    done = session(runtime, calls)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    assert messages[0]["type"] == "hello"
    return messages[1:]


@pytest.mark.parametrize(("kind", "message"), [
    # tostring gave "table: 0x55d0..." (a message of that text, its address new every run) and "nil".
    ("table", "(error object is a table value)"),
    ("nil", "(error object is a nil value)"),
    ("boolean", "(error object is a boolean value)"),
    ("number", "42"),
    ("tostring", "custom error"),
    # Positions Lua puts before a message go; a message that merely starts like one stays whole
    # (it was cut to "connection refused").
    ("positioned", "raised with a position"),
    ("chunk", "from a string chunk"),
    ("address", "localhost:8080: connection refused"),
])
def test_a_raised_error_object_is_passed_on_as_lua_c_reports_it(runtime: str, kind: str,
                                                                message: str) -> None:
    (answer,) = answers(runtime, [("raise", [kind])])
    assert answer == {"type": "error", "id": 1, "message": message}


def test_a_returned_function_is_a_handle_that_says_it_is_no_socket(runtime: str) -> None:
    function, socket = answers(runtime, [("give_function", []), ("give_socket", [])])
    assert function["values"] == [{"handle": 1, "kind": "unknown", "type": "function"}]
    assert socket["values"] == [{"handle": 2, "kind": "tcp-client"}]
    assert decode_value(function["values"][0]).type == "function"


def test_a_callback_argument_the_driver_cannot_encode_ends_the_driver(runtime: str) -> None:
    # Raised inside the callback, the failure reached the candidate as the callback's error, and the
    # harness saw the API call itself raise "table nested too deeply".
    done = session(runtime, [("give_cycle_to", [{"function": "sink"}])])
    assert done.returncode == 2, done
    assert b'"type":"error"' not in done.stdout
    assert b"callback sink: table nested too deeply" in done.stderr
