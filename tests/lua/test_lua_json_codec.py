"""The Lua driver's JSON codec carries every byte, and refuses what is not a byte.

Lines go through ``tests/lua/lua_json_echo.lua``, which decodes each one with
the driver's own codec (``drivers/lua/lsdriver/json.lua`` and
``values.lua``) and writes the value back re-encoded. The inputs are made
the way the harness makes them (``harness/adapters/driver_wire.py``: UTF-8,
``ensure_ascii=False``) and also with every non-ASCII code point escaped,
since PROTOCOL.md allows both.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from lua_support import DRIVERS_LUA

from harness.adapters.driver_wire import decode_value, encode_value
from harness.values import Handle, LuaTable, lua_equal

ECHO = Path(__file__).resolve().parent / "lua_json_echo.lua"
ALL_BYTES = bytes(range(256))


def echo(runtime: str, lines: list[str]) -> list[bytes]:
    """Each line through the Lua codec and back; the raw output lines."""
    feed = "".join(line + "\n" for line in lines).encode("utf-8")
    completed = subprocess.run([runtime, str(ECHO), str(DRIVERS_LUA)], input=feed, capture_output=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    output = completed.stdout.split(b"\n")
    assert output[-1] == b""
    assert len(output) - 1 == len(lines)
    return output[:-1]


def as_string(data: bytes) -> str:
    """A JSON string literal for bytes, one code point per byte."""
    return data.decode("latin-1")


def returned_bytes(line: bytes) -> bytes:
    assert not line.startswith(b"ERROR"), line
    value = json.loads(line)
    assert isinstance(value, str)
    return value.encode("latin-1")


@pytest.mark.parametrize("ascii_only", [True, False], ids=["escaped", "utf8"])
def test_every_byte_value_round_trips_alone_and_together(runtime: str, ascii_only: bool) -> None:
    singles = [json.dumps(as_string(bytes([byte])), ensure_ascii=ascii_only) for byte in range(256)]
    together = json.dumps(as_string(ALL_BYTES * 2), ensure_ascii=ascii_only)
    output = echo(runtime, [*singles, together])
    for byte, line in enumerate(output[:256]):
        assert returned_bytes(line) == bytes([byte]), f"byte {byte:#04x}: {line!r}"
    assert returned_bytes(output[256]) == ALL_BYTES * 2


def test_the_driver_writes_pure_ascii_with_no_raw_control_bytes(runtime: str) -> None:
    output = echo(runtime, [json.dumps(as_string(ALL_BYTES), ensure_ascii=False)])
    assert all(32 <= byte < 127 for byte in output[0]), output[0]
    # Bytes >= 0x80 and control bytes go out as \u00XX, as PROTOCOL.md §2 asks.
    assert b"\\u00ff" in output[0] and b"\\u0000" in output[0]


@pytest.mark.parametrize("text", ["\\u0100", "\u0100", "\u20ac", "\\ud83d\\ude00", "a\U0001f600"],
                         ids=["escaped-u0100", "utf8-u0100", "euro", "escaped-surrogates", "utf8-emoji"])
def test_a_code_point_above_u00ff_is_refused(runtime: str, text: str) -> None:
    (line,) = echo(runtime, [f'"{text}"'])
    assert line.startswith(b"ERROR json:"), line
    assert b"above U+00FF" in line


def test_escapes_json_allows_decode_to_the_same_bytes(runtime: str) -> None:
    (line,) = echo(runtime, ['"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"'])
    assert returned_bytes(line) == b'"\\/\b\f\n\r\tA\xe9'


VALUES = [
    None, True, False, 0, -1, 2**53, -(2**53), 0.25, -1.5, 1e300, -1e-300,
    b"", ALL_BYTES,
    LuaTable(),
    LuaTable(array=[b"a", 2, True, LuaTable(array=[b"nested"])]),
    LuaTable(hash={b"name": b"localhost", b"alias": LuaTable(), b"ip": LuaTable(array=[b"127.0.0.1"]),
                   7: b"seven", True: b"yes", 0.5: b"half"}),
    LuaTable(array=[1, 2], hash={4: b"after a hole"}),
]


def test_protocol_values_round_trip_through_the_lua_codec(runtime: str) -> None:
    lines = [json.dumps(encode_value(value), ensure_ascii=False, separators=(",", ":")) for value in VALUES]
    output = echo(runtime, lines)
    for value, line in zip(VALUES, output, strict=True):
        assert not line.startswith(b"ERROR"), line
        back = decode_value(json.loads(line))
        assert lua_equal(back, value), f"{value!r} came back as {back!r}"


def test_a_socket_key_is_written_as_its_handle_and_a_table_key_is_refused(runtime: str) -> None:
    # Dropped keys made a select result indexed by socket too look like 1.3b's plain array.
    sockets, table_key = echo(runtime, ["!socket-keys", "!table-key"])
    back = decode_value(json.loads(sockets))
    assert isinstance(back, LuaTable)
    socket = Handle(1, "tcp-client")
    assert back.array == [socket] and back[socket] == socket
    assert sorted(type(key).__name__ for key in back.hash) == ["Handle", "Handle"]  # the socket, and print
    assert table_key.startswith(b"ERROR a table used as a table key cannot be written out"), table_key


def test_integers_are_written_without_a_fraction(runtime: str) -> None:
    output = echo(runtime, ["8080", "1e3", "-0.0", "2.5"])
    assert output[:2] == [b"8080", b"1000"]
    assert json.loads(output[2]) == 0 and json.loads(output[3]) == 2.5


@pytest.mark.parametrize("line", ['{"table": {"array": [], "hash": [[null, 1]]}}', '{"handle": 99}',
                                  '{"what": 1}', "[1, 2]", '"unterminated', "01x", "tru"])
def test_malformed_lines_and_values_are_refused(runtime: str, line: str) -> None:
    (output,) = echo(runtime, [line])
    assert output.startswith(b"ERROR"), output
