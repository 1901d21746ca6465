"""Check steps against real fake servers and callbacks: matches, mismatches, waiting, outcome sets."""

from __future__ import annotations

import ftplib
import hashlib
import http.client
import io
import re
import smtplib
import socket
import threading
from collections.abc import Iterator

import pytest
from runner_support import loc

from fakeservers import FakeServer, from_config
from fakeservers.payload import BodyRecord
from harness.callbacks import CallbackSet
from harness.inspection import Inspector, content_mismatch
from harness.judging import Judgement
from harness.scenario.matchers import AnyValue, Digest, Exact, Length, Range, Regex
from harness.scenario.model import CallbackSpec, CheckCallbackStep, CheckOutcome, CheckStep, Verdict
from harness.scenario.record_matchers import Absent, CommandMatcher, InOrder, NoneOf, PartialTable
from harness.transcript import Transcript


def request_matcher(**fields: object) -> PartialTable:
    return PartialTable(tuple((name.encode(), value) for name, value in fields.items()))


def headers(**fields: object) -> PartialTable:
    return PartialTable(tuple((name.replace("_", "-").encode(), value) for name, value in fields.items()))


@pytest.fixture
def http_server() -> Iterator[FakeServer]:
    with from_config("http", {"routes": [{"path": "/index.html", "body": "hello"}]}) as server:
        yield server


def inspector(server: FakeServer | None = None, callbacks: CallbackSet | None = None,
              window: float = 5.0) -> Inspector:
    transcript = Transcript()
    return Inspector({"web": server} if server else {}, callbacks or CallbackSet((), transcript), {},
                     transcript, window)


def get(server: FakeServer, path: str = "/index.html") -> bytes:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request("GET", path, headers={"User-Agent": "tester"})
        return connection.getresponse().read()
    finally:
        connection.close()


def check(*outcomes: CheckOutcome, server: str = "http") -> CheckStep:
    return CheckStep(peer="web", server=server, outcomes=outcomes, location=loc(40))


def test_matching_request_passes(http_server: FakeServer) -> None:
    assert get(http_server) == b"hello"
    step = check(CheckOutcome({"count": 1, "requests": (
        request_matcher(method=Exact(b"GET"), target=Exact(b"/index.html"),
                        headers=headers(user_agent=Exact(b"tester"), authorization=Absent())),)}))
    assert inspector(http_server).judge(step).verdict is Verdict.PASS


def test_mismatch_names_the_field_and_both_values(http_server: FakeServer) -> None:
    get(http_server)
    step = check(CheckOutcome({"requests": (request_matcher(headers=headers(user_agent=Exact(b"curl"))),)}))
    judgement = inspector(http_server).judge(step)
    assert judgement.verdict is Verdict.FAIL
    assert 'requests[0].headers.user-agent: expected "curl", got "tester"' in judgement.reason
    assert '"tester"' in judgement.actual
    assert judgement.expected == ('requests: [{headers={user-agent="curl", ...}, ...}]',)


def test_wrong_number_of_requests_fails_after_the_server_settled(http_server: FakeServer) -> None:
    get(http_server)
    get(http_server)
    judgement = inspector(http_server).judge(check(CheckOutcome({"count": 1})))
    assert judgement.verdict is Verdict.FAIL and "count: expected 1 requests, received 2" in judgement.reason


def test_check_waits_for_a_request_still_on_its_way(http_server: FakeServer) -> None:
    """While the client's connection is open the check waits on server events, not on a clock."""
    step = check(CheckOutcome({"requests": (request_matcher(target=Exact(b"/index.html")),)}))
    results: list[Verdict] = []
    with socket.create_connection((http_server.host, http_server.port), timeout=5) as client:
        http_server.transcript.wait_for(lambda event: True, 5)  # the server saw the connection open
        judging = threading.Thread(target=lambda: results.append(inspector(http_server).judge(step).verdict))
        judging.start()
        client.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
        while client.recv(4096):
            pass
    judging.join(10)
    assert results == [Verdict.PASS]


def test_unsettled_server_is_judged_when_the_window_ends(http_server: FakeServer) -> None:
    with socket.create_connection((http_server.host, http_server.port), timeout=5):
        http_server.transcript.wait_for(lambda event: True, 5)
        judgement = inspector(http_server, window=0.2).judge(check(CheckOutcome({"count": 1})))
    assert judgement.verdict is Verdict.FAIL and "received 0" in judgement.reason


def test_first_matching_outcome_gives_its_verdict(http_server: FakeServer) -> None:
    get(http_server)
    step = check(CheckOutcome({"count": 2}),
                 CheckOutcome({"count": 1}, verdict=Verdict.INFORMATIONAL, note="one request only"))
    judgement = inspector(http_server, window=0.5).judge(step)
    assert judgement.verdict is Verdict.INFORMATIONAL and "one request only" in judgement.reason


def test_ftp_commands_stored_files_and_logins() -> None:
    options = {"accounts": [{"user": "luasocket", "password": "password", "files": {"incoming/": None}}]}
    with from_config("ftp", options) as server:
        client = ftplib.FTP()
        client.connect(server.host, server.port, timeout=5)
        client.login("luasocket", "password")
        client.storbinary("STOR incoming/a.bin", io.BytesIO(b"\x00abc\r\n"))
        client.quit()
        any_part = ("verb", "text", "line")
        step = CheckStep("web", "ftp", (CheckOutcome({
            "commands": (CommandMatcher(("verb",), Exact(b"USER")),
                         CommandMatcher(("text",), Exact(b"PASS password")),
                         CommandMatcher(("line",), Exact(b"TYPE I\r\n")),
                         CommandMatcher(any_part, AnyValue()),  # PASV or EPSV
                         CommandMatcher(any_part, Regex(re.compile(b"^STOR .*\r\n$"))),
                         CommandMatcher(("verb",), Exact(b"QUIT"))),
            "stored": (("/incoming/a.bin", Exact(b"\x00abc\r\n")), ("/elsewhere", Absent())),
            "logins": (request_matcher(user=Exact(b"luasocket"), password=Exact(b"password"),
                                       accepted=Exact(True)),),
            "transfers": (request_matcher(verb=Exact(b"STOR"), mode=Regex(re.compile(b"^E?PASV$"))),),
        }),), loc(50))
        judgement = inspector(server).judge(step)
    assert judgement.verdict is Verdict.PASS, judgement.reason


def test_a_stored_file_the_client_never_uploaded_fails() -> None:
    options = {"accounts": [{"user": "luasocket", "password": "password", "files": {"incoming/": None}}]}
    with from_config("ftp", options) as server:
        step = CheckStep("web", "ftp", (CheckOutcome({"stored": (("/incoming/a.bin", Exact(b"abc")),)}),),
                         loc(52))
        judgement = inspector(server).judge(step)
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason == 'check web: stored[/incoming/a.bin]: expected "abc", nothing was stored there'


def test_smtp_commands_are_checked_as_sent() -> None:
    """aiosmtpd accepts "MAIL FROM: a@test"; the command lines still show what the client wrote."""
    with from_config("smtp", {}) as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.helo("client.test")
            client.docmd("MAIL", "FROM: a@test")
            client.docmd("RCPT", "TO:<b@test>")
        exact = (CommandMatcher(("verb",), Exact(b"HELO")),
                 CommandMatcher(("line",), Exact(b"MAIL FROM:<a@test>\r\n")),
                 CommandMatcher(("text",), Exact(b"RCPT TO:<b@test>")),
                 CommandMatcher(("verb",), Exact(b"QUIT")))
        step = check(CheckOutcome({"commands": exact, "count": 0}), server="smtp")
        judgement = inspector(server).judge(step)
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason == ('check web: commands[1]: expected the command line '
                                '"MAIL FROM:<a@test>\\r\\n", '
                                'got "MAIL FROM: a@test\\r\\n"')


def _anonymous_ftp_session(server: FakeServer, *commands: str) -> None:
    """Log in anonymously, send ``commands`` (each answered), quit: USER, PASS, the commands, QUIT."""
    client = ftplib.FTP()
    client.connect(server.host, server.port, timeout=5)
    client.login()
    for command in commands:
        client.sendcmd(command)
    client.quit()


def _verbs(*names: bytes) -> tuple[CommandMatcher, ...]:
    return tuple(CommandMatcher(("verb",), Exact(name)) for name in names)


def test_a_record_count_mismatch_also_names_the_first_difference() -> None:
    """Not only "expected 3, received 4": which command differs, or what came after the matching ones."""
    with from_config("ftp", {"anonymous": {"files": {"pub/hello.txt": "hello"}}}) as server:
        _anonymous_ftp_session(server, "CWD pub")
        judge = inspector(server).judge

        def verbs(*names: bytes) -> CheckStep:
            return CheckStep("web", "ftp", (CheckOutcome({"commands": _verbs(*names)}),), loc(51))

        differs = judge(verbs(b"USER", b"PASS", b"QUIT"))
        extra = judge(verbs(b"USER", b"PASS", b"CWD"))
        short = inspector(server, window=0.3).judge(verbs(b"USER", b"PASS", b"CWD", b"QUIT", b"NOOP", b"X"))
    counts = "check web: commands: expected 3, received 4"
    assert differs.reason == (f'{counts}; the first difference: commands[2]: '
                              'expected a command with verb "QUIT", got "CWD pub\\r\\n"')
    assert extra.reason.startswith(f"{counts}; the first 3 match, then came {{")
    assert '"QUIT"' in extra.reason
    # "then nothing came" did not say what was missing (a QUIT never sent)
    assert short.reason == ("check web: commands: expected 6, received 4; the first 4 match, "
                            'then nothing came: missing a command with verb "NOOP" and 1 more')


def test_a_list_written_none_passes_whatever_else_came_and_names_the_forbidden_entry() -> None:
    """``{none: [...]}`` fixes no order or length: only the listed kinds of entry fail it."""
    with from_config("ftp", {"anonymous": {"files": {"pub/hello.txt": "hello"}}}) as server:
        _anonymous_ftp_session(server, "CWD pub")

        def forbid(*names: bytes) -> Judgement:
            step = CheckStep("web", "ftp", (CheckOutcome({"commands": NoneOf(_verbs(*names))}),), loc(53))
            return inspector(server).judge(step)

        allowed = forbid(b"DELE", b"RETR")
        caught = forbid(b"DELE", b"CWD")
    assert allowed.verdict is Verdict.PASS, allowed.reason
    assert caught.verdict is Verdict.FAIL
    assert caught.reason == ('check web: commands[2]: "CWD pub\\r\\n" is a command with verb "CWD", '
                             'which must not arrive (none of [a command with verb "DELE", '
                             'a command with verb "CWD"])')
    assert caught.expected == ('commands: none of [a command with verb "DELE", a command with verb "CWD"]',)


def test_content_kept_as_digest_only_is_matched_by_length_and_sha256() -> None:
    data = b"x" * 3000
    record = BodyRecord(len(data), hashlib.sha256(data).hexdigest())
    assert content_mismatch(Length(3000), record, {}) is None
    assert content_mismatch(Digest("sha256", hashlib.sha256(data).hexdigest(), 3000), record, {}) is None
    assert content_mismatch(AnyValue(), record, {}) is None
    assert "got 3000 bytes" in content_mismatch(Length(2999), record, {})
    assert "only the length (3000) and SHA-256 were kept" in content_mismatch(Exact(data), record, {})


def test_long_content_that_differs_is_shown_around_the_first_difference() -> None:
    # Both cut to their first 200 bytes, a stored file and its expected content looked the same.
    data = b"line\r\n" * 100
    stored = BodyRecord(len(data), hashlib.sha256(data).hexdigest(), data=data[:-2] + b"\n")
    problem = content_mismatch(Exact(data), stored, {})
    assert problem == ('first difference at offset 598: expected ..."line\\r\\nline\\r\\nline\\r\\n", '
                       'got ..."line\\r\\nline\\r\\nline\\n" (expected 600 bytes, got 599)')
    sink = CallbackSet((CallbackSpec("sink", "receive"),), Transcript())
    sink.handle("sink", (data[:-1],))
    step = CheckCallbackStep("sink", (CheckOutcome({"data": Exact(data)}),), loc(62))
    judgement = inspector(callbacks=sink).judge(step)
    assert judgement.reason.startswith("check-callback sink: data: first difference at offset 599: ")


def test_check_callback_compares_calls_counts_data_and_digest() -> None:
    transcript = Transcript()
    found = CallbackSet((CallbackSpec("sink", "receive"),), transcript)
    found.handle("sink", (b"hel",))
    found.handle("sink", (b"lo",))
    found.handle("sink", (b"",))
    judge = inspector(callbacks=found).judge
    good = CheckOutcome({"count": 3, "data": Exact(b"hello"), "first": (Exact(b"hel"),),
                         "last": (Exact(b""), Exact(None)),
                         "calls": ((Exact(b"hel"),), (Exact(b"lo"),), (Exact(b""),)),
                         "digest": Digest("sha256", hashlib.sha256(b"hello").hexdigest(), 5)})
    assert judge(CheckCallbackStep("sink", (good,), loc(60))).verdict is Verdict.PASS
    wrong = CheckCallbackStep("sink", (CheckOutcome({"calls": ((Exact(b"hel"),), (Exact(b"LO"),),
                                                              (Exact(b""),))}),), loc(61))
    judgement = judge(wrong)
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason.startswith('check-callback sink: calls[1]: value 1: expected "LO", got "lo"')
    assert '{"hel"}, {"lo"}, {""}' in judgement.actual


def test_alternatives_that_miss_the_same_way_are_reported_once() -> None:
    transcript = Transcript()
    found = CallbackSet((CallbackSpec("sink", "receive"),), transcript)
    found.handle("sink", (b"x",))
    found.handle("sink", (b"y",))
    one_call = CheckOutcome({"calls": ((Exact(b""),),)})
    also_one = CheckOutcome({"calls": ((Exact(b""),),), "count": 1}, Verdict.INFORMATIONAL)
    judgement = inspector(callbacks=found).judge(CheckCallbackStep("sink", (one_call, also_one), loc(63)))
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason == ('check-callback sink: calls: expected 1 calls, there were 2; '
                                'the first difference: calls[0]: value 1: expected "", got "x"')


def test_calls_of_another_count_name_the_call_missing_or_extra() -> None:
    found = CallbackSet((CallbackSpec("sink", "receive"),), Transcript())
    found.handle("sink", (b"hello",))
    judge = inspector(callbacks=found).judge
    end_left_out = CheckOutcome({"calls": ((Exact(b"hello"),), (Exact(b""),))})
    judgement = judge(CheckCallbackStep("sink", (end_left_out,), loc(65)))
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason == ('check-callback sink: calls: expected 2 calls, there were 1; '
                                'the first 1 match, then no call with ("")')
    found.handle("sink", (b"",))
    found.handle("sink", (b"",))
    judgement = judge(CheckCallbackStep("sink", (end_left_out,), loc(66)))
    assert judgement.reason == ('check-callback sink: calls: expected 2 calls, there were 3; '
                                'the first 2 match, then came an extra call with ("")')
    wrong_first = CheckOutcome({"calls": ((Exact(b"help"),), (Exact(b""),))})
    judgement = judge(CheckCallbackStep("sink", (wrong_first,), loc(67)))
    assert judgement.reason.startswith('check-callback sink: calls: expected 2 calls, there were 3; '
                                       'the first difference: calls[0]: value 1: '
                                       'expected "help", got "hello"')


def test_a_count_too_high_names_the_first_extra_call() -> None:
    found = CallbackSet((CallbackSpec("sink", "receive"),), Transcript())
    found.handle("sink", (b"piece",))
    judge = inspector(callbacks=found).judge
    one_call = CheckOutcome({"count": 1})
    assert judge(CheckCallbackStep("sink", (one_call,), loc(68))).verdict is Verdict.PASS
    found.handle("sink", (None, b"disk full"))  # called again after it aborted
    judgement = judge(CheckCallbackStep("sink", (one_call,), loc(69)))
    assert judgement.verdict is Verdict.FAIL
    assert judgement.reason == ('check-callback sink: count: expected 1 calls, there were 2; '
                                'the first extra call had (nil, "disk full")')
    judgement = judge(CheckCallbackStep("sink", (CheckOutcome({"count": 3}),), loc(70)))
    assert judgement.reason == "check-callback sink: count: expected 3 calls, there were 2"


def test_a_first_outcome_that_is_not_a_pass_gives_its_own_verdict() -> None:
    found = CallbackSet((CallbackSpec("sink", "receive"),), Transcript())
    found.handle("sink", (b"",))
    quirk = CheckOutcome({"count": 1}, Verdict.INFORMATIONAL, note="the 2001 release calls it once more")
    step = CheckCallbackStep("sink", (quirk, CheckOutcome({"count": Range(1, None)})), loc(64))
    judgement = inspector(callbacks=found).judge(step)
    assert judgement.verdict is Verdict.INFORMATIONAL
    assert judgement.reason == "check-callback sink: the 2001 release calls it once more"


def test_check_callback_on_a_callback_never_called_fails() -> None:
    transcript = Transcript()
    found = CallbackSet((CallbackSpec("sink", "receive"),), transcript)
    step = CheckCallbackStep("sink", (CheckOutcome({"last": (Exact(b""),)}),), loc(62))
    judgement = inspector(callbacks=found).judge(step)
    assert judgement.verdict is Verdict.FAIL and "never called" in judgement.reason


def test_count_may_be_a_range(http_server: FakeServer) -> None:
    get(http_server)
    get(http_server)
    judge = inspector(http_server, window=0.5).judge
    assert judge(check(CheckOutcome({"count": Range(1, 3)}))).verdict is Verdict.PASS
    judgement = judge(check(CheckOutcome({"count": Range(3, None)})))
    assert judgement.verdict is Verdict.FAIL
    assert "count: expected a number in [3, inf] requests, received 2" in judgement.reason



def test_a_list_written_in_order_allows_extras_besides_and_groups_in_any_order() -> None:
    """``{in-order: [...], besides: [...]}``: the entries in order (a group in any order), extras allowed."""
    with from_config("ftp", {"anonymous": {"files": {"pub/hello.txt": "hello"}}}) as server:
        _anonymous_ftp_session(server, "NOOP", "TYPE A", "CWD pub")

        def judge(groups: tuple[tuple[bytes, ...], ...], besides: tuple[bytes, ...]) -> Judgement:
            expected = InOrder(tuple(_verbs(*group) for group in groups), _verbs(*besides))
            step = CheckStep("web", "ftp", (CheckOutcome({"commands": expected}),), loc(61))
            return inspector(server).judge(step)

        grouped = judge(((b"USER",), (b"PASS",), (b"CWD", b"TYPE"), (b"QUIT",)), (b"NOOP",))
        strict = judge(((b"USER",), (b"PASS",), (b"CWD",), (b"TYPE",), (b"QUIT",)), (b"NOOP",))
        no_extra = judge(((b"USER",), (b"PASS",), (b"TYPE", b"CWD"), (b"QUIT",)), (b"SYST",))
        missing = judge(((b"USER",), (b"PASS",), (b"TYPE", b"CWD"), (b"RETR",), (b"QUIT",)), (b"NOOP",))
    assert grouped.verdict is Verdict.PASS, grouped.reason
    assert strict.verdict is Verdict.FAIL
    assert strict.reason.startswith('check web: commands[3]: expected a command with verb "CWD" (or one of '
                                    '[a command with verb "NOOP"]), got "TYPE A\\r\\n"'), strict.reason
    assert no_extra.verdict is Verdict.FAIL
    assert 'got "NOOP\\r\\n"' in no_extra.reason, no_extra.reason
    assert missing.verdict is Verdict.FAIL
    assert "commands[5]" in missing.reason and 'RETR' in missing.reason, missing.reason
