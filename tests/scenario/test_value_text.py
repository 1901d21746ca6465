"""How Lua values are shown in reasons: escapes Lua reads back, long strings, differences."""

from __future__ import annotations

from harness.scenario.matchers import Exact, TableMatcher, value_mismatch
from harness.values import LuaTable, long_difference, lua_repr, show_difference


def test_a_decimal_escape_before_a_digit_takes_three_digits() -> None:
    # Lua reads "\00123" as byte 1 then "23": NUL then "0123" must be "\0000123", as %q writes it.
    assert lua_repr(b"\x000123") == '"\\0000123"'
    assert lua_repr(b"\x01\x029") == '"\\1\\0029"'
    assert lua_repr(b"\x00a\x00") == '"\\0a\\0"'


def test_a_long_string_keeps_its_head_and_its_tail() -> None:
    # The wrong tail of a 4 MB send, or a missing CR at the end of a line, was cut off.
    shown = lua_repr(b"x" * 1000 + b"tail\r", 80)
    assert shown == '"' + "x" * 60 + '"..."' + "x" * 15 + 'tail\\r" (1005 bytes)'
    assert lua_repr(b"short", 80) == '"short"'


def test_show_difference_centres_on_the_first_differing_byte() -> None:
    expected = bytes(range(256))
    text = show_difference(expected, expected.upper())
    assert text.startswith("first difference at offset 97: expected ...")
    assert '^_`abcdefghijklmnop"..., got ...' in text and '^_`ABCDEFGHIJKLMNOP"...' in text


def test_show_difference_of_a_prefix_gives_both_lengths() -> None:
    line = b"0123456789" * 10
    assert show_difference(line + b"\r", line) == (
        'first difference at offset 100: expected ..."4567890123456789\\r", got ..."4567890123456789" '
        "(expected 101 bytes, got 100)")
    assert show_difference(b"ab", b"abc") == 'first difference at offset 2: expected "ab", got "abc" ' \
                                            "(expected 2 bytes, got 3)"


def test_long_difference_is_only_for_strings_too_long_to_show() -> None:
    assert long_difference(b"x", b"y") is None
    assert long_difference(b"x" * 300, b"x" * 300) is None
    assert long_difference(b"x" * 300, 3) is None
    assert long_difference(b"x" * 300, b"x" * 299 + b"y") is not None


def test_a_record_table_mismatch_names_each_key_that_differs() -> None:
    # An HTTP header table with one name kept in its case and one value trimmed:
    # the two tables side by side hid which key differed.
    matcher = TableMatcher(((b"content-length", Exact(b"2")), (b"server", Exact(b"spaced  "))))
    returned = LuaTable.from_python({b"Content-Length": b"2", b"server": b"spaced"})
    assert value_mismatch(matcher, returned, {}) == (
        'expected {["content-length"]="2", server="spaced  "}, '
        'got {["Content-Length"]="2", server="spaced"}: '
        'no key "content-length"; ["server"]: expected "spaced  ", got "spaced"; '
        'an unexpected key "Content-Length" (= "2")')


def test_an_array_table_mismatch_stays_expected_and_got() -> None:
    assert value_mismatch(TableMatcher(((1, Exact(b"a")),)), LuaTable.from_python([b"b"]), {}) == \
        'expected {"a"}, got {"b"}'
