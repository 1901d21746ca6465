"""Lua-style argument coercion (reference/args.py)."""

from __future__ import annotations

import pytest

from reference.args import (
    ABSENT,
    check_data,
    check_number,
    check_port,
    check_text,
    format_number,
    lua_type,
    settle,
    to_number,
    trim,
    truncate,
)
from reference.errors import LuaError


def test_settle_makes_trailing_nones_absent_and_keeps_inner_nil() -> None:
    assert settle(("a", None, None), 3) == ["a", ABSENT, ABSENT]
    assert settle(("a", None, "c"), 3) == ["a", None, "c"]
    assert settle((), 2) == [ABSENT, ABSENT]


def test_settle_ignores_extra_arguments_like_lua() -> None:
    assert settle((1, 2, 3, 4), 2) == [1, 2]


def test_trim_drops_only_trailing_nones() -> None:
    assert trim((None, "x", None, None)) == (None, "x")
    assert trim(()) == ()


@pytest.mark.parametrize(
    ("text", "number"),
    [("8080", 8080.0), (" 1.5 ", 1.5), ("1e2", 100.0), (".5", 0.5), ("-3", -3.0), ("0x10", 16.0),
     (b"10", 10.0), ("\t7\n", 7.0), (memoryview(b"12"), 12.0)],
)
def test_numeric_strings_are_numbers(text: str | bytes, number: float) -> None:
    assert to_number(text) == number


@pytest.mark.parametrize("text", ["", "abc", "1_000", "1 2", "*l", "0x", "--1",
                                  "\uff18\uff10", "\u0662", "1e\u0662", "0x1p\u0661"])  # non-ASCII digits
def test_non_numeric_strings_are_not_numbers(text: str) -> None:
    assert to_number(text) is None


def test_booleans_are_not_numbers() -> None:
    assert to_number(True) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [(ABSENT, "number expected, got no value"), (None, "number expected, got nil"),
     ("abc", "number expected, got string"), ([], "number expected, got table"),
     (True, "number expected, got boolean")],
)
def test_check_number_names_the_lua_type(value: object, message: str) -> None:
    with pytest.raises(LuaError) as raised:
        check_number(value)
    assert str(raised.value) == message
    assert raised.value.message == message


def test_numbers_become_lua_text() -> None:
    assert check_data(1.5) == b"1.5"
    assert check_data(10) == b"10"
    assert check_data(0.1) == b"0.1"
    assert format_number(1e20) == "1e+20"


def test_data_strings_are_bytes_and_str_is_latin1() -> None:
    assert check_data(b"\x00\xff") == b"\x00\xff"
    assert check_data("caf\xe9") == b"caf\xe9"
    assert check_data(bytearray(b"ab")) == b"ab"


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "string expected, got nil"), (ABSENT, "string expected, got no value"),
     ({}, "string expected, got table"),
     ("\u20ac", "string expected, got text with characters above U+00FF")],
)
def test_check_data_rejects_non_strings(value: object, message: str) -> None:
    with pytest.raises(LuaError) as raised:
        check_data(value)
    assert str(raised.value) == message


def test_check_text_accepts_str_bytes_and_numbers() -> None:
    assert check_text(b"*l") == "*l"
    assert check_text(memoryview(b"*a")) == "*a"  # lua_type calls it a string, so it is one
    assert check_text("*w") == "*w"
    assert check_text(127) == "127"
    with pytest.raises(LuaError, match="string expected, got nil"):
        check_text(None)


@pytest.mark.parametrize(("value", "port"),
                         [(80, 80), ("8080", 8080), (80.9, 80), (-1, 65535), (65536 + 7, 7)])
def test_ports_are_truncated_to_16_bits(value: object, port: int) -> None:
    assert check_port(value) == port


def test_truncate_never_raises() -> None:
    assert truncate(2.7) == 2
    assert truncate(-2.7) == -2
    assert truncate(float("nan")) == 0
    assert truncate(float("inf")) > 2**60


def test_lua_type_names() -> None:
    assert [lua_type(v) for v in (ABSENT, None, 1, b"", {}, print, object())] == [
        "no value", "nil", "number", "string", "table", "function", "userdata"]
