"""What an FTP URL asks for, command lines and PASV replies (spec §15), no network."""

from __future__ import annotations

import pytest

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.ftp_session import (
    ANONYMOUS_PASSWORD,
    FtpPlan,
    command,
    data_host,
    parse_pasv,
    plan_transfer,
)


def failure(call: object) -> str:
    with pytest.raises(CallFailed) as caught:
        call()  # type: ignore[operator]
    return caught.value.message


def test_anonymous_by_default() -> None:
    plan = plan_transfer("ftp://ftp.example.org/pub/lua/lua.tar.gz", True, False)
    assert plan == FtpPlan(
        "ftp.example.org", 21, "anonymous", ANONYMOUS_PASSWORD, "pub/lua", "lua.tar.gz", True
    )


def test_user_and_password_from_the_url() -> None:
    plan = plan_transfer("ftp://diego:nehab@h:2121/manual.html", False, False)
    assert (plan.user, plan.password, plan.port, plan.directory, plan.name) == (
        "diego",
        "nehab",
        2121,
        None,
        "manual.html",
    )


def test_user_without_password_gets_an_empty_one() -> None:
    assert plan_transfer("ftp://diego@h/f", False, False).password == ""
    assert plan_transfer("ftp://diego:@h/f", False, False).password == ""


@pytest.mark.parametrize(
    ("url", "directory", "name"),
    [
        ("ftp://h/pub/lua/", "pub/lua", None),
        ("ftp://h/", None, None),
        ("ftp://h//abs/dir/f", "/abs/dir", "f"),
        ("ftp://h/f", None, "f"),
        ("h/a b/c d", "a b", "c d"),
    ],
)
def test_directory_and_name(url: str, directory: str | None, name: str | None) -> None:
    plan = plan_transfer(url, False, False)
    assert (plan.directory, plan.name) == (directory, name)


def test_a_url_without_path_is_an_error() -> None:
    assert failure(lambda: plan_transfer("ftp://h", False, False)) == errors.NO_PATH


def test_storing_to_a_directory_is_an_error() -> None:
    assert failure(lambda: plan_transfer("ftp://h/pub/", False, True)) == errors.PUT_TO_DIRECTORY
    assert failure(lambda: plan_transfer("ftp://h/", False, True)) == errors.PUT_TO_DIRECTORY


def test_only_ftp_urls() -> None:
    assert failure(lambda: plan_transfer("http://h/f", False, False)) == errors.BAD_SCHEME


def test_percent_escapes_in_the_path_are_sent_as_written() -> None:
    plan = plan_transfer("ftp://h/a%0d%0aDELE%20x", False, False)
    assert plan.name == "a%0d%0aDELE%20x"
    assert plan.transfer_command(False) == "RETR a%0d%0aDELE%20x"


def test_commands() -> None:
    plan = plan_transfer("ftp://h/d/f", True, False)
    assert plan.type_command == "TYPE I"
    assert plan_transfer("ftp://h/d/f", False, False).type_command == "TYPE A"
    assert plan.transfer_command(False) == "RETR f"
    assert plan.transfer_command(True) == "STOR f"
    assert plan_transfer("ftp://h/d/", False, False).transfer_command(False) == "NLST"
    assert command("PASS", "") == "PASS"
    assert command("CWD", "a b") == "CWD a b"


@pytest.mark.parametrize("argument", ["f\r\nDELE x", "f\n", "f\r", "f\x00"])
def test_commands_refuse_control_characters(argument: str) -> None:
    assert failure(lambda: command("RETR", argument)) == errors.BAD_PATH_CHARACTER


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("227 Entering Passive Mode (127,0,0,1,163,127)", ("127.0.0.1", 41855)),
        ("227 Entering Passive Mode 10,1,2,3,0,21", ("10.1.2.3", 21)),
        ("227-multi\n227 =192,168,0,9,4,1", ("192.168.0.9", 1025)),
    ],
)
def test_pasv_replies(text: str, address: tuple[str, int]) -> None:
    assert parse_pasv(text) == address


@pytest.mark.parametrize(
    "text",
    [
        "227 no numbers", "227 (1,2,3,4,5)", "227 (256,0,0,1,1,1)", "227 (1,2,3,4,0,0)",
        "227 (1,2,3,4,1,999)", "227 (127,0,0,1,4,1000)", "227 (1127,0,0,1,4,1)", "227 (1,2,3,4,5,6,7)",
    ],
)
def test_bad_pasv_replies(text: str) -> None:
    assert failure(lambda: parse_pasv(text)) == errors.BAD_PASV_REPLY


def test_the_data_connection_always_goes_to_the_control_peer() -> None:
    assert data_host("10.9.8.7", "127.0.0.1") == "127.0.0.1"
    assert data_host("127.0.0.1", "127.0.0.1") == "127.0.0.1"
