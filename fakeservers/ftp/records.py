"""What the fake FTP server records, and the state its sessions share.

``FtpReceived`` is the protocol's view of what clients did: every command
line (verb upper-cased for matching, the raw line kept), every data
transfer with the data-connection mode that was set up for it (PASV, EPSV,
PORT or EPRT: clients differ, and LuaSocket 1.3b only ever uses PORT), and
every stored file, as bytes or, above ``record_limit``, as length + SHA-256.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fakeservers.events import WireTranscript
from fakeservers.ftp.config import FtpConfig
from fakeservers.payload import BodyRecord


@dataclass(frozen=True)
class FtpCommand:
    connection: int
    line: bytes  # exactly as received, CRLF included
    verb: str  # upper-cased
    argument: str

    @classmethod
    def parse(cls, connection: int, line: bytes) -> FtpCommand:
        """A command line as received (its CRLF, or a bare LF, ending it) split into verb and argument."""
        body = line[:-2] if line.endswith(b"\r\n") else line.removesuffix(b"\n")
        verb, _, argument = body.decode("utf-8", "replace").partition(" ")
        return cls(connection, line, verb.upper(), argument)


@dataclass(frozen=True)
class Transfer:
    connection: int
    verb: str  # RETR, STOR, NLST, ...
    argument: str
    mode: str | None  # the last of PASV/EPSV/PORT/EPRT sent on the connection before it, if any


@dataclass(frozen=True)
class StoredFile:
    """A file a client uploaded; ``content.data`` is None when only the digest was kept."""

    connection: int
    user: str
    path: str  # as the client's FTP path, from the home: "/incoming/file.txt"
    content: BodyRecord
    complete: bool  # False when the transfer was cut short

    @property
    def data(self) -> bytes | None:
        return self.content.data


@dataclass(frozen=True)
class FtpReceived:
    commands: tuple[FtpCommand, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    stored: tuple[StoredFile, ...] = ()

    @property
    def modes(self) -> list[str | None]:
        """The data-connection mode of each transfer, in order."""
        return [transfer.mode for transfer in self.transfers]

    def verbs(self, connection: int | None = None) -> list[str]:
        return [command.verb for command in self.commands
                if connection is None or command.connection == connection]

    def stored_file(self, path: str) -> StoredFile | None:
        """The last upload to ``path`` (with or without its leading "/")."""
        wanted = "/" + path.lstrip("/")
        return next((item for item in reversed(self.stored) if item.path == wanted), None)


@dataclass
class FtpState:
    """Shared by the server loop and every session; the lock guards the records."""

    config: FtpConfig
    transcript: WireTranscript
    authorizer: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    commands: list[FtpCommand] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    stored: list[StoredFile] = field(default_factory=list)
    live: set[Any] = field(default_factory=set)  # open control sessions, closed at stop
    stopping: bool = False

    def add(self, record: FtpCommand | Transfer | StoredFile) -> None:
        with self.lock:
            if isinstance(record, FtpCommand):
                self.commands.append(record)
            elif isinstance(record, Transfer):
                self.transfers.append(record)
            else:
                self.stored.append(record)

    def snapshot(self) -> FtpReceived:
        with self.lock:
            return FtpReceived(tuple(self.commands), tuple(self.transfers), tuple(self.stored))
