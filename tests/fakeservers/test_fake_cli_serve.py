"""``lsconform serve``: a standalone fake server in a child process, stopped by a signal."""

from __future__ import annotations

import contextlib
import ftplib
import http.client
import os
import queue
import re
import select
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_support import TIMEOUT

from harness.cli.main import main
from harness.cli.serve import _line_of

REPO = Path(__file__).resolve().parents[2]
ADDRESS_RE = re.compile(r"listening on (\S+):(\d+)")
STARTUP_TIMEOUT = 60.0
"""Seconds for a ``serve`` child to say it listens: its start-up imports the CLI, which took 2.5 s for
two children started together on an idle 2-core machine and nearly 5 s under load (only a failing
run waits this long; replies keep ``TIMEOUT``)."""


class ServeProcess:
    """``python -m harness.cli serve ...`` with its stdout read line by line in a thread."""

    def __init__(self, *args: str, sigint_ignored: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "harness.cli", "serve", *args]
        ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, preexec_fn=ignore)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for_line(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        """The first (new) stdout line matching ``pattern``; fails on end of output or timeout."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {timeout}s; saw {self.seen}")
            if line is None:
                pytest.fail(f"output ended before a line matching {pattern!r}; saw {self.seen}")
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match

    def address(self) -> tuple[str, int]:
        match = self.wait_for_line(ADDRESS_RE.pattern, STARTUP_TIMEOUT)
        return match.group(1), int(match.group(2))

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str, str]:
        self.process.send_signal(signum)
        return self.finish()

    def finish(self) -> tuple[int, str, str]:
        """Wait for the exit; the exit code, all of stdout and all of stderr."""
        code = self.process.wait(timeout=TIMEOUT)
        self._reader.join(TIMEOUT)
        while (line := self.lines.get_nowait()) is not None:
            self.seen.append(line)
        assert self.process.stderr is not None
        return code, "\n".join(self.seen), self.process.stderr.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        self._reader.join(TIMEOUT)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def serve() -> Iterator[type[ServeProcess]]:
    started: list[ServeProcess] = []

    class Tracked(ServeProcess):
        def __init__(self, *args: str, sigint_ignored: bool = False) -> None:
            super().__init__(*args, sigint_ignored=sigint_ignored)
            started.append(self)

    yield Tracked
    for process in started:
        process.close()


def test_serve_http_prints_events_and_stops_on_ctrl_c(serve: type[ServeProcess], tmp_path: Path) -> None:
    config = tmp_path / "http.yaml"
    config.write_text("routes:\n- path: /hello\n  body: !hex '68 69'\n")
    process = serve("http", "--config", str(config), "--port", "0")
    host, port = process.address()
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/hello")
        assert connection.getresponse().read() == b"hi"
    finally:
        connection.close()
    process.wait_for_line(r"command b'GET /hello HTTP/1\.1\\r\\n'")
    process.wait_for_line(r"connection closed by server")
    code, out, err = process.stop(signal.SIGINT)
    assert code == 0, err
    assert "http server stopped after 1 connection(s)" in out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_when_signalled_as_soon_as_it_listens(serve: type[ServeProcess],
                                                                  signum: int) -> None:
    """The listening line is the cue to stop: a signal right after it is a clean stop, not an interrupt."""
    process = serve("http", "--port", "0")
    process.address()
    code, out, err = process.stop(signum)
    assert code == 0, err
    assert "http server stopped after 0 connection(s)" in out


def test_serve_stops_on_ctrl_c_even_when_started_with_sigint_ignored(serve: type[ServeProcess]) -> None:
    """``lsconform serve ... &`` from a script starts with SIGINT ignored: Python installs no handler."""
    process = serve("http", "--port", "0", sigint_ignored=True)
    process.address()
    code, out, err = process.stop(signal.SIGINT)
    assert code == 0, err
    assert "http server stopped after 0 connection(s)" in out


def test_serve_smtp_and_ftp_stop_on_sigterm(serve: type[ServeProcess]) -> None:
    smtp = serve("smtp", "--host", "auto", "--port", "0")
    ftp = serve("ftp", "--port", "0")
    host, port = smtp.address()
    assert host.startswith("127.") and host != "127.0.0.1"
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as client:
        assert client.noop()[0] == 250
    ftp_host, ftp_port = ftp.address()
    with ftplib.FTP() as client:
        assert client.connect(ftp_host, ftp_port, timeout=TIMEOUT).startswith("220")
    ftp.wait_for_line(r"connection from")
    for process, kind in ((smtp, "smtp"), (ftp, "ftp")):
        code, out, err = process.stop(signal.SIGTERM)
        assert code == 0, err
        assert f"{kind} server stopped after 1 connection(s)" in out


def test_serve_stops_once_its_reader_is_gone() -> None:
    """``serve ... | head -1``: the next event finds stdout closed; the server stops, exit 141.

    Before, the print raised in the session thread that reported the event,
    and the server went on serving with no one reading its output.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "harness.cli", "serve", "smtp", "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
        match = ADDRESS_RE.search(process.stdout.readline()) if ready else None
        assert match, "no listening line"
        process.stdout.close()
        # The connection's first event finds the output closed, and the server stops, maybe before
        # its greeting: read whatever comes until it closes the connection.
        address = (match.group(1), int(match.group(2)))
        with socket.create_connection(address, TIMEOUT) as client, contextlib.suppress(ConnectionError):
            while client.recv(4096):
                pass
        assert process.wait(timeout=TIMEOUT) == 141
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
        if process.stderr is not None:
            process.stderr.close()


def test_serve_reports_a_bad_configuration_with_its_line(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("routes:\n- path: /a\n- path: /b\n  status: abc\n")
    assert main(["serve", "http", "--config", str(config)]) == 2
    assert f"{config}:4: routes[1].status: expected a whole number 100-999" in capsys.readouterr().err
    assert main(["serve", "ftp", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    config.write_text("greeting: !hex 'zz'\n")
    assert main(["serve", "smtp", "--config", str(config)]) == 2
    assert "'z' is not a hex digit" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "65536", "-5", "eighty"])
def test_serve_refuses_a_port_option_out_of_range(port: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "good.yaml"
    config.write_text("routes:\n- path: /a\n  body: hi\n\nport: 8080\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "http", "--config", str(config), f"--port={port}"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --port: expected a whole number 0-65535, not '{port}'" in err
    assert str(config) not in err


def test_serve_blames_a_bad_host_option_on_the_option(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "good.yaml"
    config.write_text("routes:\n- path: /a\nhost: 127.0.0.1\nport: 0\n")
    assert main(["serve", "http", "--config", str(config), "--host", ""]) == 2
    err = capsys.readouterr().err
    assert "error: --host '': expected an address, got empty text" in err
    assert str(config) not in err
    assert main(["serve", "smtp", "--host", ""]) == 2  # no file at all: still the option
    assert "error: --host '': expected an address, got empty text" in capsys.readouterr().err
    config.write_text("routes:\n- path: /a\nport: 99999\n")  # the file's own value: still its line
    assert main(["serve", "http", "--config", str(config), "--host", "127.0.0.1"]) == 2
    assert f"{config}:3: port: expected a whole number 0-65535" in capsys.readouterr().err


def test_line_of_follows_the_field_path() -> None:
    from harness.scenario.located import YList, YMap

    route = YMap(3)
    route["status"] = "abc"
    route.key_lines["status"] = 4
    routes = YList(2)
    routes.append(route)
    routes.item_lines.append(3)
    top = YMap(1)
    top["routes"] = routes
    top.key_lines["routes"] = 1
    upload = YMap(6)
    upload["size"] = "big"
    upload.key_lines["size"] = 7
    uploads = YMap(5)
    uploads["/up.bin"] = upload
    uploads.key_lines["/up.bin"] = 6
    top["expect_uploads"] = uploads
    top.key_lines["expect_uploads"] = 5
    assert _line_of(top, "routes[0].status") == 4
    assert _line_of(top, "routes[0].missing") == 3
    assert _line_of(top, "nowhere") == 1
    assert _line_of(top, "expect_uploads[/up.bin].size") == 7  # a key with dots, in brackets
