"""The interop helpers themselves, without the real servers: skips, addresses, process control, parsing.

These run everywhere (no root, no Debian package), so a broken fixture
helper shows up as a failure here rather than as a confusing error in the
server tests. Process tests use a small Python HTTP server as the daemon.
"""

from __future__ import annotations

import base64
import hashlib
import random
import socket
import sys
import time
from pathlib import Path

import interop_net
import psutil
import pytest
from interop_daemon import (
    Daemon,
    DaemonFailed,
    Launch,
    LogCursor,
    poll_until,
    require_server,
    start_daemon,
    workdir,
)
from interop_exim import parse_stored
from interop_net import NoFreeAddress, free_loopback_address, free_port, random_loopback_address
from interop_nginx import INCLUDE, ssha_entry, ssi_page
from interop_proftpd import session_commands


def _http_server(port: int, prefix: tuple[str, ...] = ()) -> Launch:
    """A throwaway daemon: Python's HTTP server on ``port`` (optionally behind a shell prefix)."""
    argv = [*prefix, sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    return Launch(argv, "127.0.0.1", port)


def test_require_server_skips_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match="run as root.*uid 1000"):
        require_server("sh", "dash")


def test_require_server_skips_naming_the_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    with pytest.raises(
        pytest.skip.Exception, match="no-such-daemon-x not found: install the Debian package pkg-x"
    ):
        require_server("no-such-daemon-x", "pkg-x")


def test_require_server_finds_an_existing_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)
    assert Path(require_server("sh", "dash")).name == "sh"


def test_random_loopback_addresses_avoid_the_named_ranges() -> None:
    rng = random.Random(7)
    for _ in range(500):
        first, second, third, fourth = (int(part) for part in random_loopback_address(rng).split("."))
        assert first == 127 and 16 <= second <= 254 and 0 <= third <= 255 and 1 <= fourth <= 254


def test_free_loopback_address_can_be_bound() -> None:
    port = free_port()
    address = free_loopback_address(port)
    assert address.startswith("127.") and address != "127.0.0.1"
    with socket.socket() as sock:
        sock.bind((address, port))


def test_no_free_loopback_address_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interop_net, "port_is_free", lambda host, port: False)
    with pytest.raises(NoFreeAddress, match=r"0\.0\.0\.0:25"):
        free_loopback_address(25)


def test_poll_until_returns_as_soon_as_the_condition_holds() -> None:
    calls = iter([False, False, True])
    assert poll_until(lambda: next(calls), 5.0)


def test_poll_until_gives_up_after_its_timeout() -> None:
    started = time.monotonic()
    assert not poll_until(lambda: False, 0.2)
    assert 0.18 <= time.monotonic() - started <= 1.5


def test_log_cursor_reads_only_what_was_appended(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("old line\n")
    cursor = LogCursor(log)
    with log.open("a") as appender:
        appender.write("new one\nnew two\n")
    assert cursor.wait_for(lambda lines: len(lines) == 2) == ["new one", "new two"]
    with pytest.raises(AssertionError, match="new two"):
        cursor.wait_for(lambda lines: len(lines) == 3, timeout=0.1)


def test_daemon_starts_listening_and_stops_without_leftovers() -> None:
    with workdir("support") as root:
        daemon = start_daemon("http.server", root, lambda: _http_server(free_port()))
        with socket.create_connection((daemon.host, daemon.port), timeout=5):
            pass
        daemon.stop()
        assert daemon.process.returncode is not None
        assert daemon.stragglers == []
        assert daemon.members() == []
    assert not root.exists()


def test_daemon_start_retries_when_the_port_was_taken() -> None:
    with socket.socket() as taken, workdir("support") as root:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1], free_port()])
        daemon = start_daemon("http.server", root, lambda: _http_server(next(ports)))
        try:
            assert daemon.port != taken.getsockname()[1]
            assert "address already in use" in (root / "http.server.attempt1.out").read_text().lower()
        finally:
            daemon.stop()


def test_daemon_that_exits_fails_the_start_with_its_output() -> None:
    with workdir("support") as root, pytest.raises(DaemonFailed, match="(?s)exited with 3.*broken config"):
        command = [sys.executable, "-c", "import sys; print('broken config'); sys.exit(3)"]
        start_daemon("broken", root, lambda: Launch(command, "127.0.0.1", free_port()))


def test_daemon_stop_kills_and_reports_a_forked_straggler() -> None:
    with workdir("support") as root:
        # The shell forks a long sleep into the server's process group, then becomes the server.
        prefix = ("sh", "-c", 'sleep 300 & exec "$@"', "sh")
        daemon: Daemon = start_daemon("forking", root, lambda: _http_server(free_port(), prefix))
        sleeper = [proc for proc in daemon.members() if proc.name() == "sleep"]
        assert len(sleeper) == 1
        daemon.stop(grace=0.3)
        assert any("sleep 300" in entry for entry in daemon.stragglers)
        assert not sleeper[0].is_running() or sleeper[0].status() == psutil.STATUS_ZOMBIE


def test_ssha_entry_verifies_like_a_server_would() -> None:
    user, _, hashed = ssha_entry("reader", "open sesame", b"saltsalt").strip().partition(":")
    raw = base64.b64decode(hashed.removeprefix("{SSHA}"))
    digest, salt = raw[:20], raw[20:]
    assert user == "reader" and salt == b"saltsalt"
    assert digest == hashlib.sha1(b"open sesame" + salt).digest()
    assert digest != hashlib.sha1(b"wrong" + salt).digest()


def test_ssi_page_expands_every_include() -> None:
    page, expanded = ssi_page(b"PART", 3)
    assert page.count(INCLUDE) == 3
    assert expanded == b"<p>head</p>\nPART\nPART\nPART\n<p>tail</p>\n"


def test_stored_message_keeps_its_body_bytes() -> None:
    stored = parse_stored(b"Subject: hi\nX-Two: 2\n\n.line\n\nafter empty\n")
    assert stored.headers["Subject"] == "hi" and stored.headers["X-Two"] == "2"
    assert stored.body == b".line\n\nafter empty\n"


def test_session_commands_are_grouped_by_process() -> None:
    lines = ["10 USER anonymous", "11 USER alice", "10 RETR a.bin", "11 RETR b.bin", "10 QUIT ", "12 QUIT "]
    assert session_commands(lines, "RETR a.bin") == ["USER anonymous", "RETR a.bin", "QUIT"]
    assert session_commands(lines, "RETR c.bin") is None
