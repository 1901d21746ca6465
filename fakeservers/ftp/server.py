"""The fake FTP server: pyftpdlib on its own IOLoop in the server thread.

(With ``sink: true`` the lean upload engine of ``sink_server`` serves instead.)

Each server gets a private ``IOLoop`` (pyftpdlib's default is a process-wide
singleton, which would tie parallel servers together), a temporary home tree
and a ``DummyAuthorizer`` built from the configuration. The loop is run one
poll at a time with a short timeout so that ``stop`` is noticed promptly;
closing closes every session (data channels and stalled transfers
included), the listener and the loop, then removes the home tree.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from fakeservers.addresses import bind_configured
from fakeservers.base import FakeServer
from fakeservers.ftp.config import ANONYMOUS, FtpConfig, read_ftp_config
from fakeservers.ftp.files import HomeTree
from fakeservers.ftp.handler import ScriptedFTPHandler
from fakeservers.ftp.records import FtpReceived, FtpState
from fakeservers.ftp.sink_server import FtpSinkLoop
from fakeservers.thread import ServingLoop

POLL_SECONDS = 0.05
READ_PERMS = "elr"
WRITE_PERMS = "elradfmwMT"

# pyftpdlib configures root logging to stderr on first use unless its logger has a handler.
logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())


class FtpServer(FakeServer):
    """A scriptable FTP server (see ``fakeservers.ftp.config`` for the options)."""

    kind = "ftp"

    def __init__(self, config: FtpConfig | None = None, ready_timeout: float | None = None) -> None:
        self.config = config or FtpConfig()
        super().__init__(ready_timeout)
        self._state = FtpState(self.config, self.transcript)

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None, prefix: str = "") -> FtpServer:
        return cls(read_ftp_config(raw, prefix))

    def _make_loop(self) -> ServingLoop:
        self._serving: _PyftpdlibLoop | FtpSinkLoop = (
            FtpSinkLoop(self) if self.config.sink else _PyftpdlibLoop(self))
        return self._serving

    @property
    def files_root(self) -> Path | None:
        """The temporary directory holding every home while the server runs (None otherwise, or a sink)."""
        serving = self._serving
        return serving.homes.root if isinstance(serving, _PyftpdlibLoop) else None

    @property
    def received(self) -> FtpReceived:
        """Commands, transfers (with their data-connection mode) and stored files so far."""
        return self._state.snapshot()


class _PyftpdlibLoop:
    def __init__(self, server: FtpServer) -> None:
        self.server = server
        self.stopping = threading.Event()
        self.homes = HomeTree()
        self.ioloop: Any = None
        self.listener: socket.socket | None = None

    def bind(self) -> tuple[str, int]:
        config = self.server.config
        state = self.server._state
        homes = self.homes.build(config.logins)
        authorizer = DummyAuthorizer()
        for account in config.logins:
            perms = WRITE_PERMS if account.writable else READ_PERMS
            if account.user == ANONYMOUS:
                with warnings.catch_warnings():  # write access for anonymous is deliberate when asked for
                    warnings.simplefilter("ignore", RuntimeWarning)
                    authorizer.add_anonymous(str(homes[ANONYMOUS]), perm=perms)
            else:
                authorizer.add_user(account.user, account.password, str(homes[account.user]), perm=perms)
        state.authorizer = authorizer
        self.listener = bind_configured(config.host, config.port)
        self.ioloop = IOLoop()
        ftp_server = FTPServer(self.listener, ScriptedFTPHandler, ioloop=self.ioloop)
        ftp_server.lsconform_state = state
        return self.listener.getsockname()[:2]

    def serve(self) -> None:
        while not self.stopping.is_set():
            self.ioloop.loop(timeout=POLL_SECONDS, blocking=False)

    def shutdown(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        state = self.server._state
        state.stopping = True
        for session in list(state.live):
            with contextlib.suppress(Exception):
                session.close()
        if self.ioloop is not None:
            self.ioloop.close()  # the listener and anything still registered
        if self.listener is not None:
            self.listener.close()
        self.homes.remove()
