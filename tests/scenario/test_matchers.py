"""Every matcher, positive and negative, and the outcome-level helpers."""

from __future__ import annotations

import hashlib
import re

import pytest

from harness.scenario.matchers import (
    AnyValue,
    Contains,
    Digest,
    ErrorClass,
    Exact,
    Length,
    OneOf,
    Range,
    RefEquals,
    Regex,
    Reworded,
    TableMatcher,
    TypeIs,
    Unordered,
    describe_returns,
    match_raises,
    match_returns,
)
from harness.scenario.model import Ref
from harness.scenario.record_matchers import Absent, CommandMatcher, InOrder, PartialTable, explain
from harness.scenario.refs import UnresolvedRef, resolve
from harness.values import Handle, LuaFunction, LuaTable

SOCK = Handle(7, "tcp-client")
NO_ENV: dict[str, object] = {}


@pytest.mark.parametrize(("matcher", "accepted", "rejected"), [
    (Exact(b"abc"), [b"abc"], [b"abd", "abc", None, 3]),
    (Exact(1), [1, 1.0], [True, b"1", 2]),
    # Numbers compare exactly: a byte count one off, or a float in its 7th digit, is another number.
    (Exact(200000), [200000, 200000.0], [200001, 199999]),
    (Exact(0.1), [0.1], [0.1000001]),
    (Exact(True), [True], [1, False]),
    (Exact(None), [None], [False, b""]),
    (Exact(LuaTable.from_python([b"a", 2])), [LuaTable.from_python([b"a", 2])],
     [LuaTable.from_python([b"a"]), LuaTable.from_python({"x": 1})]),
    (Exact(LuaTable.from_python({"x": 1})), [LuaTable.from_python({"x": 1})],
     [LuaTable.from_python({"x": 1, "y": 2}), LuaTable.from_python({}), LuaTable.from_python({"y": 1})]),
    (AnyValue(), [None, 0, b"", SOCK, LuaTable()], []),
    (TypeIs("socket"), [SOCK, Handle(1, "udp")], [None, b"sock", LuaTable()]),
    (TypeIs("string"), [b"", b"x"], [None, 1]),
    (TypeIs("number"), [0, 2.5], [True, b"1"]),
    (TypeIs("nil"), [None], [False, 0]),
    (TypeIs("boolean"), [False, True], [0, None]),
    (TypeIs("table"), [LuaTable()], [b"{}"]),
    (TypeIs("function"), [LuaFunction("cb")], [None]),
    (Regex(re.compile(rb"^ab+c$")), [b"abc", b"abbbc"], [b"ac", b"xabc", None, 3]),
    (Regex(re.compile(rb"\d+")), [b"port 80 open"], [b"no digits"]),
    (Contains(b"invalid receive pattern"),
     [b"bad argument #1 to 'receive' (invalid receive pattern)"], [b"invalid pattern", None]),
    (Contains(b"closed"), [b"operation on closed socket"], [b"Closed", b"CLOSED"]),  # case matters
    (Length(3), [b"abc", b"\0\0\0"], [b"ab", b"abcd", 3, None]),
    (Length(0), [b""], [b"a"]),
    (Range(0.18, 1.5), [0.18, 1, 1.5], [0.17, 1.51, True, b"1", None]),
    (Range(None, 0), [-5, 0], [0.001]),
    (Range(10, None), [10, 1e9], [9.99]),
    (OneOf((Exact(b"timeout"), Exact(b"closed"))), [b"timeout", b"closed"], [b"refused", None]),
    (OneOf((TypeIs("nil"), Length(2))), [None, b"ab"], [b"abc"]),
    (ErrorClass("resolver"), [b"host not found", b"name server error"], [b"connection refused",
                                                                          b"error: host not found"]),
    (ErrorClass("resolver", within_message=True), [b"error: host not found"], [b"connection refused"]),
    (ErrorClass("connect"), [b"connection refused", b"address not availabe"], [b"host not found"]),
    (ErrorClass("bind"), [b"address already in use", b"listen error"], [b"timeout"]),
    (ErrorClass("socket"), [b"insuffucient buffer space"], [b"insufficient buffer space"]),
    # A refusal in any words, but not in the words of another failure (unless it names the refusal too).
    (Reworded("refused"), [b"connection refused", b"Connection refused (os error 111)", b"ECONNREFUSED",
                           b"dial tcp 127.0.0.1:9: connect: connection refused", b"connect failed",
                           b"refused: connection closed"],
     [b"timeout", b"connection timed out", b"closed", b"Network is unreachable", b"host not found",
      b"Name or service not known", None, 111]),
])
def test_matcher_accepts_and_rejects(matcher, accepted, rejected) -> None:
    for value in accepted:
        assert matcher.matches(value, NO_ENV), f"{matcher} should accept {value!r}"
    for value in rejected:
        assert not matcher.matches(value, NO_ENV), f"{matcher} should reject {value!r}"


def test_digest_checks_hash_and_optional_length() -> None:
    payload = b"x" * 1000
    sha = hashlib.sha256(payload).hexdigest()
    assert Digest("sha256", sha).matches(payload, NO_ENV)
    assert Digest("sha256", sha.upper(), 1000).matches(payload, NO_ENV)
    assert not Digest("sha256", sha, 999).matches(payload, NO_ENV)
    assert not Digest("sha256", sha).matches(payload + b"x", NO_ENV)
    assert not Digest("sha256", sha).matches(None, NO_ENV)
    assert Digest("md5", hashlib.md5(payload).hexdigest()).matches(payload, NO_ENV)


def test_table_matcher_array_needs_same_length_and_elements() -> None:
    matcher = TableMatcher(((1, Exact(b"a")), (2, TypeIs("number"))))
    assert matcher.matches(LuaTable.from_python([b"a", 5]), NO_ENV)
    assert not matcher.matches(LuaTable.from_python([b"a", 5, 6]), NO_ENV)
    assert not matcher.matches(LuaTable.from_python([b"a"]), NO_ENV)
    assert not matcher.matches(LuaTable.from_python([b"b", 5]), NO_ENV)
    assert not matcher.matches(b"a", NO_ENV)


def test_table_matcher_mapping_needs_exactly_those_keys() -> None:
    matcher = TableMatcher(((b"code", Exact(200)), (b"status", Regex(re.compile(rb"^HTTP/1\.\d 200")))))
    good = LuaTable.from_python({"code": 200, "status": b"HTTP/1.1 200 OK"})
    assert matcher.matches(good, NO_ENV)
    extra = LuaTable.from_python({"code": 200, "status": b"HTTP/1.1 200 OK", "n": 1})
    assert not matcher.matches(extra, NO_ENV)
    assert not matcher.matches(LuaTable.from_python({"code": 200}), NO_ENV)


def test_table_matcher_integer_keys_match_array_part() -> None:
    matcher = TableMatcher(((1, Exact(b"a")), (b"n", Exact(1))))
    table = LuaTable.from_python({1: b"a", "n": 1})
    assert table.array == [b"a"]
    assert matcher.matches(table, NO_ENV)


def test_table_matcher_tells_boolean_keys_from_the_numbers_python_equates_them_with() -> None:
    # {"a", [true]="b"} read as {1: "b"} (True == 1 in a Python dict): t[1] is "a", and it passed as {"b"}.
    shadowed = LuaTable(array=[b"a"])
    shadowed[True] = b"b"
    assert not TableMatcher(((1, Exact(b"b")),)).matches(shadowed, NO_ENV)
    assert TableMatcher(((1, Exact(b"a")), (True, Exact(b"b")))).matches(shadowed, NO_ENV)
    zero = LuaTable()
    zero[0] = b"zero"
    assert not TableMatcher(((False, Exact(b"zero")),)).matches(zero, NO_ENV)
    assert not Exact(LuaTable(hash={False: b"zero"})).matches(zero, NO_ENV)


def test_tables_with_nil_holes_are_the_tables_lua_sees() -> None:
    # A Python candidate's [1, None, 3] is Lua's {1, nil, 3}, i.e. {[1]=1, [3]=3}, as the Lua driver sends it.
    with_hole = LuaTable(array=[1, None, 3])
    sparse = LuaTable(array=[1], hash={3: 3})
    assert TableMatcher(((1, Exact(1)), (3, Exact(3)))).matches(with_hole, NO_ENV)
    assert Exact(sparse).matches(with_hole, NO_ENV) and Exact(with_hole).matches(sparse, NO_ENV)
    assert Exact(LuaTable(array=[1])).matches(LuaTable(array=[1, None]), NO_ENV)
    assert not TableMatcher(((1, Exact(1)), (2, Exact(3)))).matches(with_hole, NO_ENV)


def test_a_table_cannot_hold_false_beside_0_or_true_beside_1_in_its_hash_part() -> None:
    # Python would merge them into one entry: the harness would judge a table the candidate never returned.
    table = LuaTable()
    table[0] = b"zero"
    with pytest.raises(ValueError, match="both 0 and false"):
        table[False] = b"no"
    table[False] = None  # removing false leaves 0 alone
    assert table.hash == {0: b"zero"} and type(next(iter(table.hash))) is int


def test_an_expected_nan_matches_a_nan() -> None:
    # "expected nan, got nan" was a FAIL: NaN == NaN is false in Python and in Lua alike.
    nan = float("nan")
    assert Exact(nan).matches(nan, NO_ENV)
    assert not Exact(nan).matches(1.0, NO_ENV) and not Exact(1.0).matches(nan, NO_ENV)
    assert Exact(LuaTable(array=[nan])).matches(LuaTable(array=[nan]), NO_ENV)


def test_a_returned_function_is_not_a_socket() -> None:
    # A driver sends a function, a userdata or a coroutine as a handle with its Lua type
    # (PROTOCOL.md section 2).
    function = Handle(3, "unknown", "function")
    assert not TypeIs("socket").matches(function, NO_ENV)
    assert TypeIs("function").matches(function, NO_ENV)
    assert TypeIs("socket").matches(Handle(4, "unknown"), NO_ENV)  # a socket of unknown kind
    ok, detail = match_returns([TypeIs("socket")], (function,), NO_ENV)
    assert not ok and detail == "value 1: expected any socket, got <function #3>"


def test_unordered_pairs_every_element_once() -> None:
    a, b = Handle(1), Handle(2)
    env = {"a": a, "b": b}
    matcher = Unordered((RefEquals("a"), RefEquals("b")))
    assert matcher.matches(LuaTable.from_python([b, a]), env)
    assert matcher.matches(LuaTable.from_python([a, b]), env)
    assert not matcher.matches(LuaTable.from_python([a, a]), env)
    assert not matcher.matches(LuaTable.from_python([a]), env)
    assert not matcher.matches(LuaTable.from_python({1: a, 2: b, "x": 1}), env)
    # A Python candidate's [b, a, None] is Lua's {b, a}; [a, None, b] is {[1]=a, [3]=b}, no array of two.
    assert matcher.matches(LuaTable(array=[b, a, None]), env)
    assert not matcher.matches(LuaTable(array=[a, None, b]), env)
    assert not matcher.matches(LuaTable(array=[a], hash={True: b}), env)
    # Backtracking: the first value fits both matchers, the second only the first.
    loose = Unordered((TypeIs("number"), Exact(1)))
    assert loose.matches(LuaTable.from_python([2, 1]), NO_ENV)
    assert loose.matches(LuaTable.from_python([1, 2]), NO_ENV)
    assert not loose.matches(LuaTable.from_python([2, 3]), NO_ENV)


def test_partial_table_reads_a_missing_field_as_nil() -> None:
    matcher = PartialTable(((b"user", Exact(b"luasocket")), (b"password", Exact(b"secret"))))
    both = LuaTable.from_python({"user": b"luasocket", "password": b"secret", "accepted": True})
    assert matcher.matches(both, NO_ENV)
    no_password = LuaTable.from_python({"user": b"luasocket", "accepted": True})
    assert not matcher.matches(no_password, NO_ENV)
    why = explain(matcher, no_password, NO_ENV, "logins[0]")
    assert why == 'logins[0].password: expected "secret", got nil'
    assert PartialTable(((b"password", Absent()),)).matches(no_password, NO_ENV)


def test_explain_shows_a_long_field_around_its_first_difference() -> None:
    body = b"a" * 300
    matcher = PartialTable(((b"body", Exact(body)),))
    why = explain(matcher, LuaTable.from_python({"body": body[:-1] + b"b"}), NO_ENV, "requests[0]")
    assert why.startswith("requests[0].body: first difference at offset 299: expected ...")


def test_ref_equals_uses_the_environment() -> None:
    env = {"c": SOCK, "srv.port": 4242}
    assert RefEquals("c").matches(Handle(7, "unknown"), env)
    assert not RefEquals("c").matches(Handle(8), env)
    assert RefEquals("srv.port").matches(4242, env)
    assert [ref.name for ref in RefEquals("c").refs()] == ["c"]
    with pytest.raises(UnresolvedRef, match="'missing'"):
        RefEquals("missing").matches(1, env)


def test_exact_resolves_refs_inside_tables() -> None:
    matcher = Exact(LuaTable.from_python([Ref("c")]))
    assert matcher.matches(LuaTable.from_python([SOCK]), {"c": SOCK})
    assert not matcher.matches(LuaTable.from_python([Handle(9)]), {"c": SOCK})
    assert [ref.name for ref in matcher.refs()] == ["c"]


def test_nested_matchers_report_their_refs() -> None:
    matcher = OneOf((RefEquals("a"), TableMatcher(((1, RefEquals("b")),)), Unordered((RefEquals("c"),))))
    assert sorted(ref.name for ref in matcher.refs()) == ["a", "b", "c"]
    assert list(Exact(b"x").refs()) == []


def test_resolve_substitutes_refs_and_keeps_the_rest() -> None:
    env = {"c": SOCK, "srv.host": b"127.0.0.1"}
    table = LuaTable.from_python({"host": Ref("srv.host")})
    resolved = resolve((Ref("c"), b"*l", table, None), env)
    assert resolved[0] == SOCK and resolved[1] == b"*l" and resolved[3] is None
    assert resolved[2][b"host"] == b"127.0.0.1"
    assert table[b"host"] == Ref("srv.host")  # the scenario's own value is untouched
    with pytest.raises(UnresolvedRef):
        resolve(Ref("nope"), env)


@pytest.mark.parametrize(("matcher", "text"), [
    (Exact(b"a\r\n"), '"a\\r\\n"'),
    (Exact(None), "nil"),
    (AnyValue(), "any value"),
    (TypeIs("socket"), "any socket"),
    (TypeIs("nil"), "nil"),
    (Regex(re.compile(rb"ab+")), "a string matching /ab+/"),
    (Regex(re.compile(b"\\A(?i:type a)\r\n\\Z\x01")), r"a string matching /\A(?i:type a)\r\n\Z\x01/"),
    (Contains(b"closed"), 'a string containing "closed"'),
    (Length(5), "a string of 5 bytes"),
    (Range(0.2, 1), "a number in [0.2, 1]"),
    (Range(None, 1), "a number in [-inf, 1]"),
    (OneOf((Exact(b"a"), Exact(None))), 'one of ("a" | nil)'),
    (TableMatcher(((1, Exact(1)), (2, Exact(b"x")))), '{1, "x"}'),
    (TableMatcher(((b"code", Exact(200)), (b"a b", Exact(1)))), '{code=200, ["a b"]=1}'),
    (Unordered((Exact(1), Exact(2))), "{1, 2} in any order"),
    (ErrorClass("resolver"), "a resolver error message"),
    (Digest("sha256", "ab" * 32, 10), "a string of 10 bytes with sha256 abababababababab..."),
])
def test_describe_is_lua_flavoured(matcher, text) -> None:
    assert matcher.describe(NO_ENV) == text


def test_describe_shows_ref_values_when_known() -> None:
    assert RefEquals("c").describe({"c": SOCK}) == "c (= <tcp-client #7>)"
    assert RefEquals("c").describe(NO_ENV) == "c"
    assert Exact(Ref("n")).describe({"n": 3}) == "3"


def test_match_returns_trims_trailing_nils_on_both_sides() -> None:
    assert match_returns([Exact(b"abc"), Exact(None)], (b"abc",), NO_ENV) == (True, "")
    assert match_returns([Exact(b"abc")], (b"abc", None, None), NO_ENV) == (True, "")
    assert match_returns([], (None,), NO_ENV) == (True, "")
    assert match_returns([Exact(None), Exact(b"timeout")], (None, b"timeout"), NO_ENV) == (True, "")


def test_match_returns_compares_missing_positions_with_nil() -> None:
    assert match_returns([Exact(b"a"), AnyValue()], (b"a",), NO_ENV)[0]
    assert match_returns([Exact(b"a"), TypeIs("nil")], (b"a",), NO_ENV)[0]
    ok, detail = match_returns([Exact(b"a"), Exact(b"timeout")], (b"a",), NO_ENV)
    assert not ok
    assert detail.startswith('value 2: expected "timeout", got nil')
    ok, detail = match_returns([Exact(b"a")], (b"a", b"extra"), NO_ENV)
    assert not ok and 'value 2: expected nil, got "extra"' in detail


def test_match_returns_names_the_first_difference() -> None:
    expected = [Exact(b"ab"), Exact(None), Exact(b"timeout")]
    ok, detail = match_returns(expected, (b"a", None, b"timeout"), NO_ENV)
    assert not ok
    assert detail == ('value 1: expected "ab", got "a" '
                      '(expected "ab", nil, "timeout"; returned "a", nil, "timeout")')


def test_match_returns_shows_the_whole_result_beyond_the_value_it_names() -> None:
    # The error message after a nil is what explains it: "got nil" alone hid "421 made up".
    ok, detail = match_returns([Exact(b"<html>manual</html>")], (None, b"421 made up"), NO_ENV)
    assert not ok
    assert detail == 'value 1: expected "<html>manual</html>", got nil (returned nil, "421 made up")'
    ok, detail = match_returns([Exact(b"late")], (b"", b"timeout"), NO_ENV, took="in 0.000s")
    assert detail == 'value 1: expected "late", got "" (returned "", "timeout" in 0.000s)'
    ok, detail = match_returns([Exact(b"a"), Exact(b"b")], (b"x",), NO_ENV, observed_as="called with")
    assert detail == 'value 1: expected "a", got "x" (expected "a", "b")'
    ok, detail = match_returns([Exact(b"a")], (None, 7), NO_ENV, observed_as="called with")
    assert detail.endswith("(called with nil, 7)")


def test_match_returns_adds_nothing_when_the_named_value_is_all_there_is() -> None:
    assert match_returns([Exact(b"x")], (b"X",), NO_ENV) == (False, 'value 1: expected "x", got "X"')
    assert match_returns([Exact(b"x")], (), NO_ENV) == (False, 'value 1: expected "x", got nil')


def test_match_returns_shows_two_long_strings_around_their_first_difference() -> None:
    # Cut on their own, both showed the same first 200 bytes: the difference at 297 was invisible.
    expected = bytes(range(256)) * 2
    got = expected[:297] + b"Z" + expected[298:]
    ok, detail = match_returns([Exact(expected)], (got,), NO_ENV)
    assert not ok
    assert detail.startswith("value 1: first difference at offset 297: expected ...")
    assert detail.endswith('"...')
    assert "'(Z*+" in detail and "bytes" not in detail  # same lengths: not repeated
    ok, detail = match_returns([RefEquals("body")], (b"y" * 300,), {"body": b"y" * 301})
    assert detail == 'value 1: first difference at offset 300: expected ..."yyyyyyyyyyyyyyyyy", ' \
                     'got ..."yyyyyyyyyyyyyyyy" (expected 301 bytes, got 300)'


def test_describe_returns_renders_the_list() -> None:
    assert describe_returns([Exact(b"a"), Exact(None)], NO_ENV) == '"a"'
    assert describe_returns([], NO_ENV) == "(no values)"


def test_match_raises_matches_the_message() -> None:
    message = "bad argument #1 to 'receive' (invalid receive pattern)"
    assert match_raises(Contains(b"invalid receive pattern"), message, NO_ENV) == (True, "")
    ok, detail = match_raises(Contains(b"operation on closed socket"), message, NO_ENV)
    assert not ok
    assert "is not a string containing \"operation on closed socket\"" in detail
    assert match_raises(Regex(re.compile(rb"#\d+ to")), message, NO_ENV)[0]
    assert match_raises(AnyValue(), "anything", NO_ENV)[0]
    # Characters beyond Latin-1 in a candidate's message do not break matching.
    assert match_raises(Contains("€".encode()), "cost €", NO_ENV)[0]


def _command(line: bytes) -> LuaTable:
    text = line.rstrip(b"\r\n")
    return LuaTable(hash={b"line": line, b"text": text, b"verb": text.split(b" ")[0].upper()})


def test_in_order_tries_every_reading_of_overlapping_entries_before_failing() -> None:
    """A group whose first entry would take the wrong command, an extra that is also expected."""
    either = CommandMatcher(("verb", "text", "line"), Regex(re.compile(rb"\A(?i:cwd|type)")))
    cwd = CommandMatcher(("verb",), Exact(b"CWD"))
    noop = CommandMatcher(("verb",), Exact(b"NOOP"))
    overlapping = InOrder(((CommandMatcher(("verb",), Exact(b"USER")),), (either, cwd)), (noop,))
    sent = [_command(b"USER u\r\n"), _command(b"CWD pub\r\n"), _command(b"TYPE A\r\n")]
    # read greedily, `either` takes the CWD and no entry is left for the TYPE
    assert overlapping.violation("commands", sent, {}) is None
    # a NOOP expected in order and also allowed besides: the second NOOP is the extra, wherever it stands
    twice = InOrder(((noop,), (cwd,)), (noop,))
    assert twice.violation("commands", [_command(b"NOOP\r\n"), _command(b"NOOP\r\n"), _command(b"CWD x\r\n")],
                           {}) is None
    # but nothing stands in for a missing entry: the report names where the plain reading went wrong
    assert twice.violation("commands", [_command(b"NOOP\r\n"), _command(b"NOOP\r\n")], {}) == (
        'commands: then nothing came: missing a command with verb "CWD"')
    assert overlapping.violation("commands", sent[:2] + [_command(b"PWD\r\n")], {}) == (
        'commands[2]: expected a command with verb "CWD" (or one of [a command with verb "NOOP"]), '
        'got "PWD\\r\\n"')


def test_a_refusal_reported_as_another_failure_names_the_word() -> None:
    ok, detail = match_returns([Exact(None), Reworded("refused")], [None, b"connection timed out"], NO_ENV)
    assert not ok
    assert detail == ('value 2: expected a refused message in any words, got "connection timed out", '
                      "which names another failure ('timed out') "
                      "(expected nil, a refused message in any words; "
                      'returned nil, "connection timed out")')
