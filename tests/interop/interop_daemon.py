"""Run a real server in the foreground for a test: start, wait until it listens, stop without leftovers.

Every server runs from a temporary directory of its own (configuration,
logs, pid file, spool), in a process group of its own, so that stopping it
can find everything it forked: nginx workers, proftpd session processes,
exim's reception and delivery processes. ``Daemon.stop`` terminates the
leader, waits, kills what is still alive, and reports stragglers instead
of leaving them behind.

Readiness is polled until a deadline: the servers print nothing reliable
when they are ready, so we wait until one of the server's own processes has
a listening socket on its port (a connect alone could reach whoever won a
race for that port) and a TCP connect to it completes. A server that exits
while we wait fails the start with its own log text; if that text says the
address was in use (the port found free was taken in between), the start is
tried again with a new port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

READY_TIMEOUT = 15.0
STOP_GRACE = 5.0
POLL_INTERVAL = 0.02
START_ATTEMPTS = 3
ADDRESS_IN_USE = "address already in use"


def poll_until(condition: Callable[[], bool], timeout: float) -> bool:
    """True as soon as ``condition()`` holds; False if it still does not after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)


def describe(proc: psutil.Process) -> str:
    """A process's command line for a message, or its pid once it is gone."""
    try:
        return " ".join(proc.cmdline()) or str(proc.pid)
    except psutil.Error:
        return str(proc.pid)


def require_server(binary: str, package: str) -> str:
    """The path of ``binary``, or skip: these servers need root and their Debian package."""
    if os.geteuid() != 0:
        pytest.skip(
            f"{package}: interop servers run as root (they bind port 25 and switch users); "
            f"running as uid {os.geteuid()}"
        )
    found = shutil.which(binary) or next(
        (str(Path(folder) / binary) for folder in ("/usr/sbin", "/sbin") if (Path(folder) / binary).exists()),
        None,
    )
    if found is None:
        pytest.skip(f"{binary} not found: install the Debian package {package} (.ci/run installs it)")
    return found


@contextlib.contextmanager
def workdir(name: str) -> Iterator[Path]:
    """A fresh directory for one server instance, readable by the users servers switch to; removed after."""
    path = Path(tempfile.mkdtemp(prefix=f"lsconform-{name}-"))
    try:
        path.chmod(0o755)  # worker processes run as nobody/Debian-exim and must reach their files
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class LogCursor:
    """New lines of a log file since the cursor was made: what one test's exchange added.

    Servers write some log lines after the client already has its answer
    (nginx logs a request when it finalises it), so readers wait for lines.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace").splitlines()

    def wait_for(self, condition: Callable[[list[str]], bool], timeout: float = READY_TIMEOUT) -> list[str]:
        """The new lines once ``condition`` holds for them; an AssertionError shows them if it never does."""
        if not poll_until(lambda: condition(self.lines()), timeout):
            raise AssertionError(
                f"{self.path.name}: condition not met in {timeout} s; new lines: {self.lines()}"
            )
        return self.lines()


@dataclass(frozen=True)
class Launch:
    """How to start one attempt: the command, where it will listen, which logs explain a failure."""

    argv: list[str]
    host: str
    port: int
    logs: tuple[Path, ...] = ()


class DaemonFailed(RuntimeError):
    """The server did not come up, or did not go away cleanly."""


@dataclass
class Daemon:
    """One running server process (and the processes it forked), started by :func:`start_daemon`."""

    name: str
    root: Path
    launch: Launch
    process: subprocess.Popen[bytes]
    output: Path
    stragglers: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.launch.host

    @property
    def port(self) -> int:
        return self.launch.port

    def log_text(self) -> str:
        """The server's own output and logs, for failure messages."""
        parts = []
        for path in (self.output, *self.launch.logs):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')}")
        return "\n".join(parts)

    def owns_listener(self) -> bool:
        """Whether the server itself (not some other process on a reused port) listens on its port."""
        try:
            leader = psutil.Process(self.process.pid)
            processes = [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return False
        for proc in processes:
            with contextlib.suppress(psutil.Error):
                for conn in proc.net_connections(kind="tcp"):
                    if conn.status == psutil.CONN_LISTEN and conn.laddr.port == self.port:
                        return conn.laddr.ip in (self.host, "0.0.0.0")
        return False

    def wait_listening(self, timeout: float = READY_TIMEOUT) -> None:
        """Return once the server listens and a TCP connect to it succeeds; raise if it exits or times out.

        The listening socket must belong to the server's processes: after a
        lost race for the port, a connect alone would reach the other owner.
        """

        def accepts() -> bool:
            if self.process.poll() is not None:
                return True
            if not self.owns_listener():
                return False
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.5):
                return True
            return False

        if not poll_until(accepts, timeout):
            raise DaemonFailed(f"{self.name} did not listen on {self.host}:{self.port} in {timeout} s")
        if self.process.poll() is not None:
            raise DaemonFailed(f"{self.name} exited with {self.process.returncode}\n{self.log_text()}")

    def members(self) -> list[psutil.Process]:
        """Live processes of this server: its process group, or a command line naming its directory."""
        marker = str(self.root)
        found = []
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            try:
                in_group = os.getpgid(proc.pid) == self.process.pid
            except ProcessLookupError:
                continue
            if in_group or any(marker in part for part in proc.info["cmdline"] or ()):
                found.append(proc)
        return found

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Terminate, wait, kill if needed; processes it forked that outlive it are killed and recorded.

        ``grace`` is how long the leader, then its forked processes, may take
        to finish on their own (a delivery or session process may be ending).
        """
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.stragglers.append(f"{self.name} leader ignored SIGTERM")
            self.process.kill()
            self.process.wait(STOP_GRACE)
        if poll_until(lambda: not self.members(), grace):
            return
        for proc in self.members():
            self.stragglers.append(describe(proc))
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        if not poll_until(lambda: not self.members(), STOP_GRACE):
            raise DaemonFailed(f"{self.name}: processes survived SIGKILL: {self.members()}")


def start_daemon(
    name: str, root: Path, prepare: Callable[[], Launch], attempts: int = START_ATTEMPTS
) -> Daemon:
    """Start the server ``prepare`` describes and wait until it listens.

    ``prepare`` is called once per attempt, so that it can choose a fresh port
    (and rewrite the configuration) when the previous one was taken.
    """
    failure = ""
    for attempt in range(1, attempts + 1):
        launch = prepare()
        output = root / f"{name}.attempt{attempt}.out"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                launch.argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=root,
                start_new_session=True,
            )
        daemon = Daemon(name, root, launch, process, output)
        try:
            daemon.wait_listening()
            return daemon
        except DaemonFailed as error:
            daemon.stop()
            failure = str(error)
            if ADDRESS_IN_USE not in daemon.log_text().lower():
                break
    raise DaemonFailed(failure)
