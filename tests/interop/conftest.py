"""Fixtures for the interop tests: real nginx, ProFTPD and Exim, one private instance per module and worker.

Each fixture skips (saying why) without root or without its Debian package,
builds the server's files in a temporary directory, starts the server in
the foreground on loopback and yields what the tests compare against. At
the end of the module the server is stopped and its directory removed;
``no_leftover_processes`` then checks that this process has no child left
that it did not have before the module, and ``no_leaked_sockets`` checks,
test by test, that the reference closed every socket it opened.

Module scope keeps the whole folder fast (a server starts once per worker
that runs one of its tests, not once per test); under pytest-xdist each
worker has its own instance, on its own port or loopback address.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from interop_daemon import (
    STOP_GRACE,
    Daemon,
    Launch,
    describe,
    poll_until,
    require_server,
    start_daemon,
    workdir,
)
from interop_exim import EximInstance, exim_config, prepare_dirs
from interop_net import LOOPBACK, NoFreeAddress, free_loopback_address, free_port
from interop_nginx import ECHO_MODULE, NginxInstance, build_site, nginx_config
from interop_proftpd import CryptUnavailable, FtpInstance, proftpd_config
from interop_proftpd import build_site as build_ftp_site


def _live_children() -> set[int]:
    alive = set()
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
    return alive


def _stop(daemon: Daemon) -> None:
    daemon.stop()
    assert not daemon.stragglers, f"{daemon.name} left processes that had to be killed: {daemon.stragglers}"


@pytest.fixture(scope="module", autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """After the module's servers stopped, no child process of ours may remain."""
    before = _live_children()
    yield
    if not poll_until(lambda: not (_live_children() - before), STOP_GRACE):
        left = [
            describe(child) for child in psutil.Process().children(recursive=True) if child.pid not in before
        ]
        pytest.fail(f"processes left behind: {left}")


def _own_sockets() -> set[tuple[int, Any, Any]]:
    return {(conn.fd, conn.laddr, conn.raddr) for conn in psutil.Process().net_connections(kind="inet")}


@pytest.fixture(autouse=True)
def no_leaked_sockets() -> Iterator[None]:
    """Every socket a test's client calls opened in this process is closed when the test ends."""
    before = _own_sockets()
    yield
    leaked = _own_sockets() - before
    assert not leaked, f"sockets left open: {sorted(leaked, key=str)}"


@pytest.fixture(scope="module")
def nginx() -> Iterator[NginxInstance]:
    binary = require_server("nginx", "nginx-light")
    with workdir("nginx") as work:
        site = build_site(work / "www", work / "htpasswd")
        echo = ECHO_MODULE.exists()
        (work / "temp").mkdir()  # nginx creates its temp folders, but not their parent
        config = work / "nginx.conf"
        error_log = work / "error.log"

        def prepare() -> Launch:
            port = free_port()
            config.write_text(nginx_config(work, site.docroot, work / "htpasswd", LOOPBACK, port, echo))
            argv = [binary, "-e", str(error_log), "-p", str(work), "-c", str(config), "-g", "daemon off;"]
            return Launch(argv, LOOPBACK, port, (error_log,))

        daemon = start_daemon("nginx", work, prepare)
        try:
            yield NginxInstance(f"http://{LOOPBACK}:{daemon.port}", site, echo, work / "access.log")
        finally:
            _stop(daemon)


@pytest.fixture(scope="module")
def proftpd() -> Iterator[FtpInstance]:
    binary = require_server("proftpd", "proftpd-core")
    with workdir("proftpd") as work:
        try:
            site = build_ftp_site(work)
        except CryptUnavailable as error:
            pytest.skip(f"cannot hash the FTP user's password: {error}")
        config = work / "proftpd.conf"

        def prepare() -> Launch:
            port = free_port()
            config.write_text(proftpd_config(work, LOOPBACK, port))
            return Launch(
                [binary, "--nodaemon", "--config", str(config)], LOOPBACK, port, (work / "system.log",)
            )

        daemon = start_daemon("proftpd", work, prepare)
        try:
            yield FtpInstance(f"ftp://{LOOPBACK}:{daemon.port}", site)
        finally:
            _stop(daemon)


@pytest.fixture(scope="module")
def exim() -> Iterator[EximInstance]:
    binary = require_server("exim4", "exim4-daemon-light")
    with workdir("exim") as work:
        prepare_dirs(work)
        config = work / "exim.conf"
        logs = (work / "log" / "mainlog", work / "log" / "paniclog")

        def prepare() -> Launch:
            try:
                address = free_loopback_address(25)
            except NoFreeAddress as error:
                pytest.skip(str(error))
            config.write_text(exim_config(work, address))
            config.chmod(0o644)  # Exim refuses a -C file that others could change
            return Launch([binary, "-C", str(config), "-bdf"], address, 25, logs)

        daemon = start_daemon("exim", work, prepare)
        try:
            yield EximInstance(daemon.host, work / "mail", logs[0])
        finally:
            _stop(daemon)
