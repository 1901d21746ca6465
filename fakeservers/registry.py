"""The fake server kinds by name, and building one from a scenario's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakeservers.base import FakeServer
from fakeservers.config import ConfigError
from fakeservers.ftp import FtpServer
from fakeservers.http import HttpServer
from fakeservers.smtp import SmtpServer

SERVER_KINDS: dict[str, type[HttpServer] | type[SmtpServer] | type[FtpServer]] = {
    "smtp": SmtpServer,
    "http": HttpServer,
    "ftp": FtpServer,
}


def from_config(kind: str, raw: Mapping[str, Any] | None, prefix: str = "") -> FakeServer:
    """A configured, not yet started server of ``kind``; ``ConfigError`` names the bad field."""
    server_class = SERVER_KINDS.get(kind)
    if server_class is None:
        raise ConfigError(prefix, f"unknown server kind {kind!r}; expected one of {', '.join(SERVER_KINDS)}")
    return server_class.from_config(raw, prefix)
