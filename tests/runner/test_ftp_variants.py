"""The FTP scenarios against the reference with one rule broken, or one free choice made otherwise.

Each test patches one piece of the in-process reference, as a port could
differ, and runs a shipped scenario: a rule the manual (or the RFC it cites)
fixes must FAIL and say where, a choice it leaves open must not. Every
scenario here first PASSes unpatched, so the patch is what changes the
verdict.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import unquote

import pytest
from altered_reference import run_shipped

import reference.protocols.callbacks as callbacks
import reference.protocols.control as control
import reference.protocols.ftp as ftp
import reference.protocols.ftp_session as ftp_session
from harness.scenario.model import Verdict
from reference.protocols.callbacks import CallbackSource, Collector
from reference.protocols.errors import BAD_PASV_REPLY, CallFailed
from reference.protocols.ftp_session import FtpPlan
from reference.protocols.replies import Reply


def _passes_unpatched(scenario_id: str) -> None:
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.PASS, result.reason


def test_a_pasv_reply_without_parentheses_fails_a_client_that_looks_for_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.data.pasv-reply-without-parentheses"
    _passes_unpatched(scenario_id)

    def in_parentheses_only(text: str) -> tuple[str, int]:
        match = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", text)
        if match is None:
            raise CallFailed(BAD_PASV_REPLY)
        numbers = [int(group) for group in match.groups()]
        return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]

    monkeypatch.setattr(ftp, "parse_pasv", in_parentheses_only)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'expected "hello", got nil (returned nil, "invalid PASV reply")' in result.reason


def test_a_multi_line_login_reply_fails_a_client_reading_one_line_per_command(
        monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.login.multiline-230"
    _passes_unpatched(scenario_id)
    real_command, real_reply = control.ControlChannel.command, control.ControlChannel.reply
    queued: list[Reply] = []

    def first_line_only(self: control.ControlChannel, line: str) -> Reply:
        if queued:  # the rest of the last reply is read as the answer to this command
            self.conn.send((line + "\r\n").encode("latin-1"))
            return queued.pop(0)
        reply = real_command(self, line)
        first, *rest = reply.text.split("\n")
        queued.extend(Reply(int(text[:3]), text) for text in rest)
        return Reply(int(first[:3]), first)

    monkeypatch.setattr(control.ControlChannel, "command", first_line_only)
    monkeypatch.setattr(control.ControlChannel, "reply",
                        lambda self: queued.pop(0) if queued else real_reply(self))
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'expected "hi", got nil (returned nil, "230-Uploads go to incoming.")' in result.reason


def test_credentials_decoded_in_the_user_alone_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.login.percent-encoded-credentials"
    _passes_unpatched(scenario_id)
    real_parse = ftp_session.parse_url

    def password_as_written(text: str) -> Any:
        url = real_parse(text)
        encoded = url.password.replace(":", "%3A").replace("@", "%40") if url.password else url.password
        return dataclasses.replace(url, password=encoded)

    monkeypatch.setattr(ftp_session, "parse_url", password_as_written)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'logins[0].password: expected "p:w@d", got "p%3Aw%40d"' in result.reason


@pytest.mark.parametrize(("binary", "verdict"), [(False, Verdict.FAIL), (True, Verdict.NON_STRICT)],
                         ids=["typecode-dropped", "typecode-honoured"])
def test_a_type_parameter_is_sent_as_written_or_honoured_never_dropped(
        monkeypatch: pytest.MonkeyPatch, binary: bool, verdict: Verdict) -> None:
    scenario_id = "ftp.get.path.type-parameter"
    _passes_unpatched(scenario_id)
    real_plan = ftp.plan_transfer

    def typecode_stripped(url: str, is_binary: bool, upload: bool) -> FtpPlan:
        return real_plan(re.sub(r";type=i\Z", "", url), binary or is_binary, upload)

    monkeypatch.setattr(ftp, "plan_transfer", typecode_stripped)
    result = run_shipped(scenario_id)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.FAIL:
        assert 'got "TYPE A\\r\\n"' in result.reason


@pytest.mark.parametrize("scenario_id", [
    "ftp.getindirect.abort.with-message", "ftp.getindirect.abort.without-message",
    "ftp.getindirect.abort.stalled-transfer", "ftp.getindirect.seed.callback-aborts",
])
def test_an_abort_scenario_fails_a_client_that_failed_before_any_data(
        monkeypatch: pytest.MonkeyPatch, scenario_id: str) -> None:
    # a wrong anonymous user: the login fails and the callback's first call is (nil, "530 ..."),
    # to which it answers as to a piece, with nil and its message: the abort never came
    _passes_unpatched(scenario_id)
    monkeypatch.setattr(ftp_session, "ANONYMOUS_USER", "ftp")
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'first: value 1: expected any string, got nil (called with nil, "530 ' in result.reason


class _EarlySource(CallbackSource):
    """Calls the send callback ``early`` times when made, before the client connects; the last
    of those calls is the first piece."""

    early = 1

    def __init__(self, callback: Any) -> None:
        super().__init__(callback)
        for _ in range(self.early):
            self._started = super().start()

    def start(self) -> int:
        return self._started


@pytest.mark.parametrize(("early", "verdict"), [(1, Verdict.NON_STRICT), (2, Verdict.FAIL)])
def test_a_send_callback_called_before_stor_is_non_strict_once_and_a_fail_twice(
        monkeypatch: pytest.MonkeyPatch, early: int, verdict: Verdict) -> None:
    scenario_id = "ftp.putindirect.error.stor-rejected"
    _passes_unpatched(scenario_id)
    monkeypatch.setattr(_EarlySource, "early", early)
    monkeypatch.setattr(ftp, "CallbackSource", _EarlySource)
    result = run_shipped(scenario_id)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.FAIL:
        assert "count: expected 0 calls, there were 2" in result.reason


@dataclasses.dataclass(frozen=True)
class _NamedListing(FtpPlan):
    """A listing sent as ``NLST <directory>`` from the login directory, without CWD."""

    listed: str = ""

    def transfer_command(self, upload: bool) -> str:
        return f"NLST {self.listed}" if self.name is None and not upload else super().transfer_command(upload)


def test_a_nested_listing_named_from_the_login_directory_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.listing.nested-directory"
    _passes_unpatched(scenario_id)
    real_plan = ftp.plan_transfer

    def named(url: str, binary: bool, upload: bool) -> FtpPlan:
        plan = real_plan(url, binary, upload)
        if plan.name is not None or plan.directory is None:
            return plan
        fields = {field.name: getattr(plan, field.name) for field in dataclasses.fields(FtpPlan)}
        return _NamedListing(**{**fields, "directory": None}, listed=plan.directory)

    monkeypatch.setattr(ftp, "plan_transfer", named)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.PASS, result.reason


def test_a_refused_epsv_is_judged_as_a_refused_pasv(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.error.pasv-rejected"
    _passes_unpatched(scenario_id)
    real_command = control.ControlChannel.command

    def epsv(self: control.ControlChannel, line: str) -> Reply:
        return real_command(self, "EPSV" if line == "PASV" else line)

    def epsv_port(text: str) -> tuple[str, int]:
        match = re.search(r"\(\|\|\|(\d+)\|\)", text)
        if match is None:
            raise CallFailed(BAD_PASV_REPLY)
        return "127.0.0.1", int(match.group(1))

    monkeypatch.setattr(control.ControlChannel, "command", epsv)
    monkeypatch.setattr(ftp, "PASV_OK", frozenset({229}))
    monkeypatch.setattr(ftp, "parse_pasv", epsv_port)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.PASS, result.reason
    served = run_shipped("ftp.get.wire.passive-mode")  # the patch works: the file comes by EPSV
    assert served.verdict is Verdict.PASS, served.reason


def test_a_plain_nil_from_the_final_call_taken_as_an_abort_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.getindirect.chunks.final-call-nil-is-fine"
    _passes_unpatched(scenario_id)

    def nil_aborts(self: callbacks.CallbackSink) -> None:
        self._finished = True
        result = callbacks.returns(self._callback(b"", None))
        if not result or result[0] is None:
            raise CallFailed("aborted by callback")

    monkeypatch.setattr(callbacks.CallbackSink, "end", nil_aborts)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'got "aborted by callback"' in result.reason


def _decoding(monkeypatch: pytest.MonkeyPatch, directory: bool, name: bool) -> None:
    """Plans with the directory and/or the file name percent-decoded after the split."""
    real_plan = ftp.plan_transfer

    def decoded(url: str, binary: bool, upload: bool) -> FtpPlan:
        plan = real_plan(url, binary, upload)
        return dataclasses.replace(
            plan,
            directory=unquote(plan.directory) if directory and plan.directory else plan.directory,
            name=unquote(plan.name) if name and plan.name else plan.name)

    monkeypatch.setattr(ftp, "plan_transfer", decoded)


@pytest.mark.parametrize(("directory", "name", "verdict", "returned"), [
    (True, True, Verdict.NON_STRICT, None),
    (False, True, Verdict.FAIL, "only the name decoded"),
    (True, False, Verdict.FAIL, "only the directory decoded"),
], ids=["both-decoded", "name-only", "directory-only"])
def test_a_path_is_decoded_whole_or_not_at_all(
        monkeypatch: pytest.MonkeyPatch, directory: bool, name: bool, verdict: Verdict,
        returned: str | None) -> None:
    scenario_id = "ftp.get.path.percent-escape-in-directory-and-name"
    _passes_unpatched(scenario_id)
    _decoding(monkeypatch, directory, name)
    result = run_shipped(scenario_id)
    assert result.verdict is verdict, result.reason
    if returned is not None:
        assert f'got "{returned}"' in result.reason


def test_an_encoded_slash_decoded_inside_its_name_is_non_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.path.encoded-slash-in-name"
    _passes_unpatched(scenario_id)
    _decoding(monkeypatch, True, True)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.NON_STRICT, result.reason


def test_an_encoded_slash_decoded_before_the_split_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # the whole URL decoded first: "d/x%2Fy.txt" is split as CWD d/x, RETR y.txt
    scenario_id = "ftp.get.path.encoded-slash-in-name"
    _passes_unpatched(scenario_id)
    real_plan = ftp.plan_transfer
    monkeypatch.setattr(ftp, "plan_transfer",
                        lambda url, binary, upload: real_plan(unquote(url), binary, upload))
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'transfers[0].argument: expected "x/y.txt", got "y.txt"' in result.reason


def test_a_type_d_parameter_dropped_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.path.type-d-parameter"
    _passes_unpatched(scenario_id)
    real_plan = ftp.plan_transfer
    monkeypatch.setattr(ftp, "plan_transfer",
                        lambda url, binary, upload: real_plan(re.sub(r";type=d\Z", "", url), binary, upload))
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'expected "as written", got nil (returned nil, "550 ' in result.reason


class _LineEndsConverted(Collector):
    """A download with every CRLF turned into LF, whatever the type."""

    def data(self) -> bytes:
        return super().data().replace(b"\r\n", b"\n")


def test_a_binary_listing_with_its_line_ends_converted_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.listing.binary-type"
    _passes_unpatched(scenario_id)
    monkeypatch.setattr(ftp, "Collector", _LineEndsConverted)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'expected "one\\r\\ntwo\\r\\n", got "one\\ntwo\\n"' in result.reason


def test_an_empty_anonymous_password_is_another_password_in_the_upper_case_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the password is "PASS" alone, as the reference sends the empty password of user:@host
    scenario_id = "ftp.get.wire.upper-case-commands"
    _passes_unpatched(scenario_id)
    monkeypatch.setattr(ftp_session, "ANONYMOUS_PASSWORD", "")
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.NON_STRICT, result.reason
    assert "another password for the anonymous login" in result.reason


def test_an_empty_anonymous_password_sent_in_lower_case_still_fails_the_upper_case_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    scenario_id = "ftp.get.wire.upper-case-commands"
    real_command = control.ControlChannel.command

    def lower_case_pass(self: control.ControlChannel, line: str) -> Reply:
        return real_command(self, "pass" if line == "PASS" else line)

    monkeypatch.setattr(ftp_session, "ANONYMOUS_PASSWORD", "")
    monkeypatch.setattr(control.ControlChannel, "command", lower_case_pass)
    result = run_shipped(scenario_id)
    assert result.verdict is Verdict.FAIL
    assert 'got "pass\\r\\n"' in result.reason
