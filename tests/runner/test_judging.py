"""Judging one outcome: windows, order of outcomes, descriptions."""

from __future__ import annotations

from runner_support import raises, returns

from harness.adapters.base import Crashed, Raised, Returned, TimedOut, Unimplemented
from harness.judging import describe_expected, describe_observed, judge
from harness.scenario.matchers import Contains, Exact, TableMatcher, TypeIs
from harness.scenario.model import ExpectedOutcome, Verdict
from harness.values import LuaTable


def test_within_scales_only_the_upper_bound():
    expects = [returns(None, b"timeout", within=(0.2, 1.0))]
    timed_out = Returned((None, b"timeout"))
    assert judge(timed_out, expects, 1.4, {}, time_scale=1.5).verdict is Verdict.PASS
    assert judge(timed_out, expects, 1.4, {}, time_scale=1.0).verdict is Verdict.FAIL
    too_early = judge(timed_out, expects, 0.15, {}, time_scale=10.0)
    assert too_early.verdict is Verdict.FAIL
    assert "took 0.150s, outside [0.2, 10]s" in too_early.reason


def test_within_bounds_a_raise_as_well_as_a_return():
    # "raises at once" is a timing claim too: the right error after a second is not it.
    expects = [raises(b"invalid receive pattern", within=(0, 0.5))]
    message = "bad argument #2 to 'receive' (invalid receive pattern)"
    assert judge(Raised(message), expects, 0.01, {}).verdict is Verdict.PASS
    slow = judge(Raised(message), expects, 1.0, {})
    assert slow.verdict is Verdict.FAIL
    assert "took 1.000s, outside [0, 0.5]s" in slow.reason


def test_descriptions_name_values_windows_and_verdicts():
    assert describe_expected(returns(TypeIs("socket")), {}, 1.0) == "returns any socket"
    assert describe_expected(returns(), {}, 1.0) == "returns nothing"
    informational = returns(b"ab", verdict=Verdict.INFORMATIONAL, within=(0, 2))
    assert describe_expected(informational, {}, 2.0) == 'returns "ab" within [0, 4]s (informational)'
    assert describe_expected(raises(b"closed"), {}, 1.0) == 'raises a string containing "closed"'


def test_observed_descriptions():
    assert describe_observed(Returned((None, b"x")), 0.0123) == 'returned nil, "x" in 0.012s'
    assert describe_observed(Returned(()), 0) == "returned (no values) in 0.000s"
    assert describe_observed(Raised("boom"), 0) == 'raised "boom" in 0.000s'
    assert describe_observed(TimedOut(5.0), 5.1) == "no answer within the 5s deadline"
    assert describe_observed(Unimplemented("toip"), 0) == "not implemented: toip"
    assert describe_observed(Crashed("died\ntraceback"), 0) == "crashed: died"


def test_a_raised_message_beyond_latin_1_is_shown_as_the_bytes_it_was_judged_as():
    # An in-process candidate's "€" was shown as "?": a character the message does not hold. The
    # raises: matchers read it as its UTF-8 bytes, as a driver sends it (PROTOCOL.md section 2).
    euro = "bad \u20ac"
    assert describe_observed(Raised(euro), 0) == 'raised "bad \\226\\130\\172" in 0.000s'
    failed = judge(Raised(euro), [returns(1)], 0, {})
    assert 'raised "bad \\226\\130\\172" instead of returning' in failed.reason
    assert judge(Raised(euro), [raises("\u20ac".encode())], 0, {}).verdict is Verdict.PASS


def test_trailing_nils_are_not_significant():
    assert judge(Returned((b"a", None, None)), [returns(b"a")], 0, {}).verdict is Verdict.PASS
    assert judge(Returned((b"a",)), [returns(b"a", None)], 0, {}).verdict is Verdict.PASS


def test_raise_against_returns_only_and_return_against_raises_only():
    failed = judge(Raised("invalid receive pattern"), [returns(1)], 0, {})
    assert failed.verdict is Verdict.FAIL
    assert 'raised "invalid receive pattern" instead of returning' in failed.reason
    failed = judge(Returned((1,)), [raises(b"x")], 0, {})
    assert failed.verdict is Verdict.FAIL and "returned 1 instead of raising" in failed.reason
    failed = judge(Returned((None, None)), [raises(b"x")], 0, {})
    assert failed.reason.endswith(": returned nothing instead of raising")


def test_a_mismatch_shows_the_time_when_the_outcome_had_a_window():
    failed = judge(Returned((b"", b"timeout")), [returns(b"late", within=(0.15, 2.0))], 0.0004, {})
    assert failed.reason.endswith('value 1: expected "late", got "" (returned "", "timeout" in 0.000s)')


def test_several_outcomes_report_each_miss():
    failed = judge(Returned((3,)), [returns(1), returns(2, verdict=Verdict.NON_STRICT)], 0, {})
    assert "outcome 1: value 1: expected 1, got 3; outcome 2 (non-strict): value 1: expected 2, got 3" \
        in failed.reason
    assert failed.expected == ("returns 1", "returns 2 (non-strict)")


def test_a_timeout_or_crash_still_says_what_the_step_wanted():
    """"No answer within 5s" alone would hide that the call should have raised at once."""
    expects = [raises(b"receivefrom on connected socket")]
    hung = judge(TimedOut(5.0), expects, 5.0, {})
    assert hung.verdict is Verdict.TIMEOUT
    assert hung.expected == ('raises a string containing "receivefrom on connected socket"',)
    assert hung.reason == ('no answer within the 5s deadline; wanted: raises a string containing '
                           '"receivefrom on connected socket"')
    died = judge(Crashed("segfault"), [], 0.1, {})
    assert died.verdict is Verdict.CRASH and died.expected == ("returns normally (any values)",)


def test_a_call_that_ends_where_it_should_still_be_blocked_fails():
    # A pending outcome names no values: any return or raise would otherwise match it.
    still_blocked = ExpectedOutcome(pending=True, verdict=Verdict.INFORMATIONAL, note="the 2001 wait")
    returned = judge(Returned((None, b"timeout")), [still_blocked], 0.1, {})
    assert returned.verdict is Verdict.FAIL
    assert "should still be blocked" in returned.reason
    assert judge(Raised("closed"), [still_blocked], 0.1, {}).verdict is Verdict.FAIL


def test_a_call_still_blocked_at_its_deadline_gets_the_pending_outcomes_own_verdict():
    quirk = ExpectedOutcome(pending=True, verdict=Verdict.INFORMATIONAL,
                            note="the 2001 release waits 60 s for a data connection")
    judgement = judge(TimedOut(3.0), [returns(None, b"550 denied"), quirk], 3.0, {})
    assert judgement.verdict is Verdict.INFORMATIONAL
    assert judgement.reason == "the 2001 release waits 60 s for a data connection"
    assert judge(TimedOut(3.0), [ExpectedOutcome(pending=True)], 3.0, {}).verdict is Verdict.PASS


def test_a_missing_global_is_unimplemented_unless_the_step_expects_luas_error_for_it():
    missing = Unimplemented("timeout")
    assert judge(missing, [returns()], 0, {}).verdict is Verdict.UNIMPLEMENTED
    other_error = raises(b"invalid timeout mode")
    assert judge(missing, [returns(), other_error], 0, {}).verdict is Verdict.UNIMPLEMENTED
    anticipated = ExpectedOutcome(raises=Contains(b"attempt to call"), verdict=Verdict.INFORMATIONAL,
                                  note="the 2001 release had no global timeout", stop=True)
    judgement = judge(missing, [returns(), anticipated], 0, {})
    assert (judgement.verdict, judgement.reason, judgement.stops) == (
        Verdict.INFORMATIONAL, "the 2001 release had no global timeout", True)
    assert judgement.actual == ("not implemented: timeout, judged as Lua's error "
                                "\"attempt to call global 'timeout' (a nil value)\"")


def test_a_raise_in_other_words_is_non_strict_and_shows_both_texts():
    """The manual gives raised errors no text; 1.3b's (spec §3.3) is PASS, another wording NON-STRICT."""
    expects = [raises(b"invalid receive pattern")]
    own = judge(Raised("bad argument #2 to 'receive' (unknown pattern '*x')"), expects, 0.01, {})
    assert own.verdict is Verdict.NON_STRICT
    assert own.reason == ('raised "bad argument #2 to \'receive\' (unknown pattern \'*x\')", '
                          'where 1.3b raises a string containing "invalid receive pattern": the manual '
                          'gives raised errors no text (spec §3.3), so another message is non-strict')
    assert own.expected == ('raises a string containing "invalid receive pattern"',)


def test_a_raise_stays_a_fail_where_it_is_not_a_rewording():
    pattern = [raises(b"invalid receive pattern")]
    # 1.3b's text for another misuse: the candidate found another error than the step's
    closed = judge(Raised("operation on closed socket"), pattern, 0.01, {})
    # Lua's own error for a method the socket lacks: the API is incomplete, nothing was reported
    missing = judge(Raised("attempt to call method 'receive' (a nil value)"), pattern, 0.01, {})
    # outside the passing outcome's window
    slow = judge(Raised("no such pattern"), [raises(b"invalid receive pattern", within=(0, 0.5))], 1.0, {})
    # a raise where the step wants a return, even beside a non-passing raise outcome
    informational = raises(b"attempt to call", verdict=Verdict.INFORMATIONAL)
    instead = judge(Raised("timeout is not a number"), [returns(), informational], 0.01, {})
    assert [j.verdict for j in (closed, missing, slow, instead)] == [Verdict.FAIL] * 4


def test_result_tables_that_also_carry_their_length_as_n_are_non_strict():
    """Lua 4 kept an array's length in n; 1.3b's result tables have none (spec §7, §9)."""
    ready = [returns(LuaTable(array=[b"a"]), LuaTable())]  # as select(...) would give {a}, {}
    counted = Returned((LuaTable(array=[b"a"], hash={b"n": 1}), LuaTable(hash={b"n": 0})))
    judged = judge(counted, ready, 0.01, {})
    assert judged.verdict is Verdict.NON_STRICT
    assert "carry n, their length (the Lua 4 convention)" in judged.reason
    nested = [returns(LuaTable(hash={b"name": b"h", b"ip": LuaTable(array=[b"127.0.0.1"])}))]
    inner = Returned((LuaTable(hash={b"name": b"h", b"ip": LuaTable(array=[b"127.0.0.1"], hash={b"n": 1})}),))
    assert judge(inner, nested, 0.01, {}).verdict is Verdict.NON_STRICT


def test_an_n_is_forgiven_only_when_it_is_the_length_and_the_only_difference():
    ready = [returns(LuaTable(array=[b"a"]), LuaTable())]
    wrong_count = Returned((LuaTable(array=[b"a"], hash={b"n": 2}), LuaTable()))
    wrong_member = Returned((LuaTable(array=[b"b"], hash={b"n": 1}), LuaTable()))
    only_informational = [returns(LuaTable(array=[b"a"]), verdict=Verdict.INFORMATIONAL)]
    counted = Returned((LuaTable(array=[b"a"], hash={b"n": 1}),))
    verdicts = [judge(wrong_count, ready, 0.01, {}).verdict, judge(wrong_member, ready, 0.01, {}).verdict,
                judge(counted, only_informational, 0.01, {}).verdict]
    assert verdicts == [Verdict.FAIL] * 3


def test_an_http_status_without_its_version_is_non_strict():
    """The manual's example gives the status as "401 Authentication Required"; 1.3b's is the whole line."""
    expects = [returns(b"denied", TypeIs("table"), b"HTTP/1.1 401 Authorization Required", None)]
    short = Returned((b"denied", LuaTable(), b"401 Authorization Required"))
    judged = judge(short, expects, 0.01, {})
    assert judged.verdict is Verdict.NON_STRICT
    assert 'status "401 Authorization Required" without its HTTP version' in judged.reason
    indirect = [returns(TypeIs("table"), b"HTTP/1.0 200 OK")]  # the indirect functions: headers, status
    assert judge(Returned((LuaTable(), b"200 OK")), indirect, 0.01, {}).verdict is Verdict.NON_STRICT


def test_a_status_is_forgiven_its_version_only_when_that_is_the_only_difference():
    expects = [returns(b"ok", TypeIs("table"), b"HTTP/1.1 200 OK", None)]
    other_code = Returned((b"ok", LuaTable(), b"201 Created"))
    reason_only = Returned((b"ok", LuaTable(), b"OK"))
    other_version = Returned((b"ok", LuaTable(), b"HTTP/1.0 200 OK"))
    other_body = Returned((b"no", LuaTable(), b"200 OK"))
    with_error = Returned((b"ok", LuaTable(), b"200 OK", b"closed"))
    informational_only = [returns(b"ok", TypeIs("table"), b"HTTP/1.1 200 OK", verdict=Verdict.INFORMATIONAL)]
    not_a_status = [returns(b"HTTP/1.1 is a version")]
    verdicts = [judge(outcome, expects, 0.01, {}).verdict
                for outcome in (other_code, reason_only, other_version, other_body, with_error)]
    verdicts.append(judge(Returned((b"ok", LuaTable(), b"200 OK")), informational_only, 0.01, {}).verdict)
    verdicts.append(judge(Returned((b"is a version",)), not_a_status, 0.01, {}).verdict)
    assert verdicts == [Verdict.FAIL] * 7


def _resolved(ip: bytes) -> TableMatcher:
    return TableMatcher(((b"name", TypeIs("string")), (b"alias", TypeIs("table")),
                         (b"ip", TableMatcher(((1, Exact(ip)),)))))


def _table(**fields: object) -> LuaTable:
    return LuaTable.from_python({key.encode(): value for key, value in fields.items()})


def test_a_resolved_table_with_more_fields_is_non_strict():
    """The manual: "a table with all information returned by the resolver", in the form name, alias, ip."""
    expects = [returns(b"127.0.0.1", _resolved(b"127.0.0.1"))]
    more = _table(name=b"localhost", alias=LuaTable(), ip=LuaTable(array=[b"127.0.0.1"]), family=b"inet")
    judged = judge(Returned((b"127.0.0.1", more)), expects, 0.01, {})
    assert judged.verdict is Verdict.NON_STRICT
    assert "more fields than name, alias and ip (family)" in judged.reason


def test_more_resolved_fields_are_forgiven_only_when_that_is_the_only_difference():
    expects = [returns(b"127.0.0.1", _resolved(b"127.0.0.1"))]
    ip = LuaTable(array=[b"127.0.0.1"])
    no_alias = _table(name=b"localhost", ip=ip, family=b"inet")
    wrong_ip = _table(name=b"localhost", alias=LuaTable(), ip=LuaTable(array=[b"10.0.0.1"]), family=b"inet")
    numbered = LuaTable(array=[b"x"], hash={b"name": b"localhost", b"alias": LuaTable(), b"ip": ip})
    outcomes = [Returned((b"127.0.0.1", no_alias)), Returned((b"127.0.0.1", wrong_ip)),
                Returned((b"127.0.0.1", numbered)), Returned((b"10.0.0.1", _table(
                    name=b"localhost", alias=LuaTable(), ip=ip, family=b"inet")))]
    verdicts = [judge(outcome, expects, 0.01, {}).verdict for outcome in outcomes]
    other_table = [returns(_table(code=200))]
    verdicts.append(judge(Returned((_table(code=200, name=b"", alias=b"", ip=b""),)), other_table, 0.01,
                          {}).verdict)
    informational = [returns(b"127.0.0.1", _resolved(b"127.0.0.1"), verdict=Verdict.INFORMATIONAL)]
    more = _table(name=b"localhost", alias=LuaTable(), ip=ip, family=b"inet")
    verdicts.append(judge(Returned((b"127.0.0.1", more)), informational, 0.01, {}).verdict)
    assert verdicts == [Verdict.FAIL] * 6


def test_an_unimplemented_reason_names_the_missing_global_and_that_a_method_does_not_stand_in():
    # A candidate with sock:receive but no global receive read "does not implement 'receive'" and
    # could not see why: the reason says it is the global form that is missing.
    method = judge(Unimplemented("receive"), [returns(b"x")], 0, {})
    assert method.verdict is Verdict.UNIMPLEMENTED
    assert method.reason.startswith("the candidate has no global function 'receive' ")
    assert "receive(sock, ...) is sock:receive(...)" in method.reason
    plain = judge(Unimplemented("bind"), [returns()], 0, {})
    assert plain.reason == "the candidate has no global function 'bind'"


def test_one_table_holding_the_expected_values_fails_and_says_so():
    """A Python candidate's ``return [None, "closed"]`` is one Lua table: a FAIL whose reason says why."""
    expects = [returns(None, b"closed"), returns(None, b"timeout", verdict=Verdict.NON_STRICT)]
    listed = judge(Returned((LuaTable(array=[None, b"closed"]),)), expects, 0.01, {})
    assert listed.verdict is Verdict.FAIL
    assert listed.reason.endswith(
        "; the one table returned holds what a passing outcome expects as 2 separate values "
        "(a Python candidate returns several values as a tuple; a list is one table)")
    # Only when the spread values would pass: a table with other contents, or one a non-passing outcome
    # alone would take, or a table with named keys, gets the plain reason.
    other = judge(Returned((LuaTable(array=[None, b"refused"]),)), expects, 0.01, {})
    non_strict_only = judge(Returned((LuaTable(array=[None, b"timeout"]),)), expects, 0.01, {})
    named = judge(Returned((LuaTable(array=[None, b"closed"], hash={b"x": 1}),)), expects, 0.01, {})
    assert [j.verdict for j in (other, non_strict_only, named)] == [Verdict.FAIL] * 3
    assert not any("separate values" in j.reason for j in (other, non_strict_only, named))
