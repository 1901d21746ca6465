"""The reference FTP client against a real ProFTPD: downloads, uploads, logins, listings, server errors.

Downloads are compared with the bytes the site module wrote, uploads with
what ProFTPD wrote to disk, and the server's command log shows what the
client actually said (passive mode, upper-case commands, the login).
"""

from __future__ import annotations

import uuid

from interop_callbacks import DigestSink, piecewise, sha256
from interop_daemon import LogCursor
from interop_proftpd import LISTING, PASSWORD, USER, FtpInstance, session_commands

import reference as ls


def _user_url(ftp: FtpInstance, password: str) -> str:
    """The base URL with the virtual user's credentials, percent-encoding the password's space."""
    return ftp.base_url.replace("ftp://", f"ftp://{USER}:{password.replace(' ', '%20')}@")


def test_anonymous_binary_download_is_byte_for_byte(proftpd: FtpInstance) -> None:
    assert ls.ftp_get(proftpd.base_url + "/pub/file.bin", "b") == (proftpd.site.files["anon/pub/file.bin"],)


def test_multi_block_download_through_getindirect(proftpd: FtpInstance) -> None:
    sink = DigestSink()
    assert ls.ftp_getindirect(proftpd.base_url + "/pub/big.bin", sink, "b") == (None,)
    assert sink.endings == [(b"", None)]
    assert sink.sha256.hexdigest() == sha256(proftpd.site.files["anon/pub/big.bin"])


def test_ascii_download_gets_the_server_line_endings(proftpd: FtpInstance) -> None:
    # TYPE A: ProFTPD sends network line endings (CRLF); the client converts nothing (DIVERGENCES.md P12).
    data = proftpd.site.files["anon/pub/lines.txt"]
    assert ls.ftp_get(proftpd.base_url + "/pub/lines.txt", "a") == (data.replace(b"\n", b"\r\n"),)


def test_transfer_uses_passive_mode_and_the_documented_commands(proftpd: FtpInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"  # a name no other test asks for picks this session out of the log
    (proftpd.site.anon_root / "pub" / name).write_bytes(b"passive")
    log = LogCursor(proftpd.site.commands_log)
    assert ls.ftp_get(f"{proftpd.base_url}/pub/{name}", "b") == (b"passive",)

    def finished(lines: list[str]) -> bool:
        commands = session_commands(lines, f"RETR {name}")
        return commands is not None and commands[-1] == "QUIT"

    said = session_commands(log.wait_for(finished), f"RETR {name}")
    assert said == ["USER anonymous", "PASS (hidden)", "CWD pub", "TYPE I", "PASV", f"RETR {name}", "QUIT"]


def test_listing_is_the_nlst_output_byte_for_byte(proftpd: FtpInstance) -> None:
    expected = b"".join(name.encode() + b"\r\n" for name in sorted(LISTING))
    assert ls.ftp_get(proftpd.base_url + "/pub/listing/", "b") == (expected,)


def test_missing_file_returns_the_server_reply_text(proftpd: FtpInstance) -> None:
    assert ls.ftp_get(proftpd.base_url + "/pub/missing.bin", "b") == (
        None,
        "550 missing.bin: No such file or directory",
    )


def test_anonymous_upload_lands_in_the_incoming_folder(proftpd: FtpInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    sent = b"\x00anonymous upload\r\n.\r\n\xff" * 100
    assert ls.ftp_put(f"{proftpd.base_url}/incoming/{name}", sent, "b") == (None,)
    assert (proftpd.site.incoming / name).read_bytes() == sent


def test_anonymous_upload_elsewhere_is_refused_with_the_server_text(proftpd: FtpInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    assert ls.ftp_put(f"{proftpd.base_url}/pub/{name}", b"not allowed", "b") == (
        f"550 {name}: Operation not permitted",
    )
    assert not (proftpd.site.anon_root / "pub" / name).exists()


def test_streamed_upload_through_putindirect(proftpd: FtpInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    sent = bytes(index * 13 % 256 for index in range(200_003))
    assert ls.ftp_putindirect(f"{proftpd.base_url}/incoming/{name}", piecewise(sent, 10_000), "b") == (None,)
    assert sha256((proftpd.site.incoming / name).read_bytes()) == sha256(sent)


def test_authenticated_download_from_the_users_home(proftpd: FtpInstance) -> None:
    url = _user_url(proftpd, PASSWORD) + "/private.bin"
    assert ls.ftp_get(url, "b") == (proftpd.site.files["home/alice/private.bin"],)


def test_authenticated_upload_is_stored_in_the_users_home(proftpd: FtpInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    sent = b"written by alice\r\n\x00\xff"
    assert ls.ftp_put(f"{_user_url(proftpd, PASSWORD)}/{name}", sent, "b") == (None,)
    assert (proftpd.site.home / name).read_bytes() == sent


def test_wrong_password_returns_the_login_refusal(proftpd: FtpInstance) -> None:
    assert ls.ftp_get(_user_url(proftpd, "wrong") + "/private.bin", "b") == (None, "530 Login incorrect.")
