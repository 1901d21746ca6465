"""In-process fake SMTP, HTTP and FTP servers that scenarios script and inspect.

Each server starts on an ephemeral port (``start()``, or ``with``), stops
cleanly (``stop()``), is configured from plain data (``from_config``, the
shape a scenario's ``peers:`` entry carries), and records what clients sent:
``transcript`` (every byte, command and reply, per connection) and
``received`` (the protocol's own view). See ``fakeservers/README.md``.
"""

from fakeservers.addresses import can_bind_privileged
from fakeservers.base import FakeServer, ServerStopError
from fakeservers.config import ConfigError
from fakeservers.events import Closed, Command, Event, Note, Opened, Received, Reply, WireTranscript
from fakeservers.ftp import FtpServer
from fakeservers.http import HttpServer
from fakeservers.registry import SERVER_KINDS, from_config
from fakeservers.smtp import SmtpServer
from fakeservers.thread import ServerNotReady, ServerThread, ServingLoop

__all__ = [
    "SERVER_KINDS",
    "Closed",
    "Command",
    "ConfigError",
    "Event",
    "FakeServer",
    "FtpServer",
    "HttpServer",
    "Note",
    "Opened",
    "Received",
    "Reply",
    "ServerNotReady",
    "ServerStopError",
    "ServerThread",
    "ServingLoop",
    "SmtpServer",
    "WireTranscript",
    "can_bind_privileged",
    "from_config",
]
