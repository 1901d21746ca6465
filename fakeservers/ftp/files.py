"""Home directories for the fake FTP server, in a temporary tree removed at stop.

pyftpdlib serves a real filesystem, so each account's files are written to
``<tmp>/<n>-home`` when the server starts. Generated contents are written
chunk by chunk, so a 1 GiB file costs disk, not memory. The whole tree is
removed when the server stops, whatever the client uploaded meanwhile.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fakeservers.ftp.config import Account


class HomeTree:
    """Creates one home per account on ``build`` and removes them all on ``remove``."""

    def __init__(self) -> None:
        self.root: Path | None = None

    def build(self, accounts: Sequence[Account]) -> dict[str, Path]:
        """Write every account's files; returns user name -> home directory."""
        self.root = Path(tempfile.mkdtemp(prefix="lsconform-ftp-"))
        homes: dict[str, Path] = {}
        for index, account in enumerate(accounts):
            home = self.root / f"{index}-home"
            home.mkdir()
            for name, payload in account.files.items():
                target = home / name
                if payload is None:
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as file:
                    for piece in payload.chunks():
                        file.write(piece)
            homes[account.user] = home
        return homes

    def remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
