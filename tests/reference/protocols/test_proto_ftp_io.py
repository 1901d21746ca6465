"""The FTP functions against a local passive-mode server: commands, data, errors, callbacks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from proto_fakes import FtpFake
from proto_servers import closed_port, random_loopback_hosts

import reference
from reference.protocols import errors
from reference.protocols.ftp import ftp_get, ftp_getindirect, ftp_put, ftp_putindirect

ANONYMOUS = ["USER anonymous", "PASS anonymous@anonymous.org"]


class Recorder:
    def __init__(self, answer: Any = 1) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer = answer

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.answer(*args) if callable(self.answer) else self.answer


def test_binary_download_with_anonymous_login() -> None:
    with FtpFake(files={"pub/lua/lua.tar.gz": bytes(range(256)) * 100}) as server:
        assert ftp_get(server.url("/pub/lua/lua.tar.gz"), "b") == (bytes(range(256)) * 100,)
    assert server.commands == [*ANONYMOUS, "CWD pub/lua", "TYPE I", "PASV", "RETR lua.tar.gz", "QUIT"]


def test_directory_listing_is_the_nlst_stream() -> None:
    with FtpFake(files={"pub/a.txt": b"", "pub/b.txt": b"", "top.txt": b""}) as server:
        assert ftp_get(server.url("/pub/")) == (b"a.txt\r\nb.txt\r\n",)
        assert ftp_get(server.url("/")) == (b"top.txt\r\n",)
    assert server.commands[2:6] == ["CWD pub", "TYPE A", "PASV", "NLST"]
    assert "CWD" not in " ".join(server.commands[7:])


def test_user_and_password_from_the_url() -> None:
    with FtpFake(files={"f": b"x"}, passwords={"diego": "nehab"}) as server:
        assert ftp_get(server.url("/f", userinfo="diego:nehab@")) == (b"x",)
        assert ftp_get(server.url("/f", userinfo="diego:wrong@")) == (None, "530 login incorrect")
    assert server.commands[:2] == ["USER diego", "PASS nehab"]


def test_user_without_password_sends_an_empty_one_only_when_asked() -> None:
    with FtpFake(files={"f": b"x"}, passwords={"open": None, "asks": ""}) as server:
        assert ftp_get(server.url("/f", userinfo="open@")) == (b"x",)
        first = list(server.commands)
        assert ftp_get(server.url("/f", userinfo="asks@")) == (b"x",)
    assert first[:2] == ["USER open", "TYPE A"]
    assert server.commands[len(first) : len(first) + 2] == ["USER asks", "PASS"]


def test_greeting_120_then_220() -> None:
    with FtpFake(files={"f": b"x"}, replies={"GREETING": b"120 wait\r\n220 now\r\n"}) as server:
        assert ftp_get(server.url("/f")) == (b"x",)


@pytest.mark.parametrize(
    ("kind", "command"), [(None, "TYPE A"), ("a", "TYPE A"), ("b", "TYPE I"), ("i", "TYPE I")]
)
def test_transfer_types(kind: str | None, command: str) -> None:
    with FtpFake(files={"f": b"a\r\nb\n"}) as server:
        assert ftp_get(server.url("/f"), kind) == (b"a\r\nb\n",)  # no conversion either way
    assert command in server.commands


def test_upload() -> None:
    with FtpFake() as server:
        assert ftp_put(server.url("/incoming/hello"), "hello world!") == (None,)
    assert server.files == {"incoming/hello": b"hello world!"}
    assert server.commands[2:] == ["CWD incoming", "TYPE A", "PASV", "STOR hello", "QUIT"]


def test_upload_from_a_send_callback() -> None:
    pieces = iter([(b"abc", 5), (b"de", 5), (b"", 5)])
    with FtpFake() as server:
        assert ftp_putindirect(server.url("/up.bin"), lambda: next(pieces), "b") == (None,)
    assert server.files == {"up.bin": b"abcde"}
    assert next(pieces, "used up") == "used up"


def test_download_to_a_receive_callback() -> None:
    data = b"q" * 10000
    callback = Recorder()
    with FtpFake(files={"f": data}) as server:
        assert ftp_getindirect(server.url("/f"), callback, "b") == (None,)
    assert b"".join(call[0] for call in callback.calls) == data
    assert callback.calls[-1] == (b"", None) and all(call[0] for call in callback.calls[:-1])
    assert max(len(call[0]) for call in callback.calls) <= 4096


def test_an_empty_file() -> None:
    callback = Recorder()
    with FtpFake(files={"empty": b""}) as server:
        assert ftp_get(server.url("/empty")) == (b"",)
        assert ftp_getindirect(server.url("/empty"), callback) == (None,)
    assert callback.calls == [(b"", None)]


def test_a_retr_error_is_returned_at_once() -> None:
    callback = Recorder()
    with FtpFake() as server:
        assert ftp_get(server.url("/missing")) == (None, "550 no such file")
        assert ftp_getindirect(server.url("/missing"), callback) == ("550 no such file",)
    assert callback.calls == [(None, "550 no such file")]
    assert server.commands[-2:] == ["RETR missing", "QUIT"]


def test_an_error_after_the_transfer_gives_no_partial_data() -> None:
    callback = Recorder()
    with FtpFake(files={"f": b"partial"}, after_transfer=b"451 aborted\r\n") as server:
        assert ftp_get(server.url("/f")) == (None, "451 aborted")
        assert ftp_getindirect(server.url("/f"), callback) == ("451 aborted",)
        assert ftp_put(server.url("/g"), b"data") == ("451 aborted",)
    assert callback.calls == [(b"partial", None), (None, "451 aborted")]


@pytest.mark.parametrize(
    ("replies", "error"),
    [
        ({"GREETING": b"421 busy\r\n"}, "421 busy"),
        ({"CWD": b"550 no such dir\r\n"}, "550 no such dir"),
        ({"TYPE": b"504-not\r\n504 that type\r\n"}, "504-not\n504 that type"),
        ({"PASV": b"502 no passive\r\n"}, "502 no passive"),
        ({"PASV": b"227 nothing to see\r\n"}, errors.BAD_PASV_REPLY),
        ({"STOR": b"553 denied\r\n"}, "553 denied"),
    ],
)
def test_unexpected_replies_are_the_error(replies: dict[str, bytes], error: str) -> None:
    with FtpFake(replies=replies) as server:
        assert ftp_put(server.url("/dir/f"), b"x") == (error,)
    assert server.commands[-1] == "QUIT"


def test_connection_refused() -> None:
    assert ftp_get(f"ftp://127.0.0.1:{closed_port()}/f") == (None, "connection refused")


@pytest.fixture
def decoy() -> Iterator[tuple[socket.socket, str]]:
    """A listener on another loopback address: where a hostile PASV reply points."""
    for host in random_loopback_hosts():
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((host, 0))
        except OSError:
            listener.close()
            continue
        listener.listen(4)
        listener.setblocking(False)
        try:
            yield listener, host
        finally:
            listener.close()
        return
    pytest.skip("no free loopback address for the decoy listener")


def test_a_pasv_reply_naming_another_host_is_not_followed(decoy: tuple[socket.socket, str]) -> None:
    listener, host = decoy
    fake = FtpFake(files={"f": b"from the real server"}, pasv_host=host.replace(".", ","))
    with fake as server:
        assert ftp_get(server.url("/f")) == (b"from the real server",)
    assert server.data_connections == 1
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody came to the host the reply named


def test_a_pasv_reply_naming_a_remote_host_still_reaches_the_control_peer() -> None:
    with FtpFake(files={"f": b"ok"}, pasv_host="203,0,113,9") as server:
        assert ftp_get(server.url("/f")) == (b"ok",)


def endless_file() -> dict[str, bytes]:
    return {"big": b"b" * (8 << 20)}


def test_aborting_a_download_stops_it_and_ends_the_session() -> None:
    callback = Recorder(lambda *args: None if len(callback.calls) == 3 else 1)
    with FtpFake(files=endless_file(), after_transfer=b"426 connection closed\r\n") as server:
        assert ftp_getindirect(server.url("/big"), callback, "b") == (errors.ABORTED,)
    assert len(callback.calls) == 3
    assert server.commands[-1] == "QUIT"


def test_a_send_callback_abort_ends_the_upload() -> None:
    answers = iter([(b"abc", 10), (None, "source gone")])
    with FtpFake(after_transfer=b"226 ok\r\n") as server:
        assert ftp_putindirect(server.url("/f"), lambda: next(answers)) == ("source gone",)
    assert server.commands[-1] == "QUIT"
    assert server.files["f"] == b"abc"


def test_url_problems_are_returned_without_connecting() -> None:
    callback = Recorder()
    port = closed_port()
    assert ftp_get(f"ftp://127.0.0.1:{port}") == (None, errors.NO_PATH)
    assert ftp_getindirect(f"ftp://127.0.0.1:{port}", callback) == (errors.NO_PATH,)
    assert callback.calls == [(None, errors.NO_PATH)]
    assert ftp_put(f"ftp://127.0.0.1:{port}/dir/", b"x") == (errors.PUT_TO_DIRECTORY,)
    assert ftp_get(f"http://127.0.0.1:{port}/f") == (None, errors.BAD_SCHEME)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ftp_get("ftp://h/f", "x"),
        lambda: ftp_get("ftp://h/f", "binary"),
        lambda: ftp_get("ftp://h/f", "B"),
        lambda: ftp_put("ftp://h/f", "data", "A"),
        lambda: ftp_get({}),
        lambda: ftp_put("ftp://h/f"),
        lambda: ftp_put("ftp://h/f", {}),
        lambda: ftp_getindirect("ftp://h/f", "not callable"),
        lambda: ftp_putindirect("ftp://h/f", None),
    ],
)
def test_misuse_raises(call: Any) -> None:
    with pytest.raises(reference.LuaError):
        call()


def test_an_exception_in_a_callback_propagates_and_the_session_ends() -> None:
    class CallbackBroke(Exception):
        pass

    def explode(*args: object) -> object:
        raise CallbackBroke

    with FtpFake(files={"f": b"data"}) as server, pytest.raises(CallbackBroke):
        ftp_getindirect(server.url("/f"), explode)
    assert server.commands[-1] == "QUIT"
