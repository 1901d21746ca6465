"""What a fake server saw and did, as a timeline of small frozen records.

Every fake server keeps one ``WireTranscript``. Its entries are plain data so
that a scenario can check them and a report can print them:

* ``Opened`` / ``Closed``: a connection began or ended (``channel`` says
  whether it was the control connection or an FTP data connection);
* ``Received``: bytes exactly as they arrived, one entry per read;
* ``Command``: one command or request line exactly as received, line end
  included (an SMTP or FTP command, an HTTP request line);
* ``Reply``: bytes the server sent (for large bodies: the first
  ``REPLY_KEEP`` bytes and the full ``size``);
* ``Note``: anything else worth knowing (a delay started, a stall, a
  data connection mode, a body summarised by its digest); a ``warning``
  note says the client did something the configuration did not foresee
  (a request no route answers, a malformed request), which a failure's
  reason repeats.

Connections are numbered from 1 in the order they were accepted, so a test
can say "the second connection sent ...". Times are seconds since the
transcript was created (the server's construction).

Servers write from their own threads while tests read from theirs, so every
access takes the lock; ``wait_for`` lets a test wait for an event instead of
sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

REPLY_KEEP = 64 * 1024
"""Bytes of one reply kept in the transcript; ``Reply.size`` has the full length."""

CONTROL = "control"
DATA = "data"


@dataclass(frozen=True)
class Event:
    at: float
    connection: int

    def describe(self) -> str:
        """One human line, as ``lsconform serve`` prints it."""
        return f"#{self.connection}"


@dataclass(frozen=True)
class Opened(Event):
    peer: str
    channel: str = CONTROL

    def describe(self) -> str:
        return f"#{self.connection} {_channel(self.channel)}connection from {self.peer}"


@dataclass(frozen=True)
class Closed(Event):
    by: str  # "client", "server" or "stop"
    channel: str = CONTROL

    def describe(self) -> str:
        return f"#{self.connection} {_channel(self.channel)}connection closed by {self.by}"


@dataclass(frozen=True)
class Received(Event):
    data: bytes
    channel: str = CONTROL

    def describe(self) -> str:
        return f"#{self.connection} {_channel(self.channel)}>> {_show(self.data)}"


@dataclass(frozen=True)
class Command(Event):
    line: bytes

    @property
    def verb(self) -> str:
        """The first word, upper-cased: clients may send commands in any case."""
        words = self.line.split(None, 1)
        return words[0].decode("latin-1").upper() if words else ""

    def describe(self) -> str:
        return f"#{self.connection} command {_show(self.line)}"


@dataclass(frozen=True)
class Reply(Event):
    data: bytes
    size: int
    channel: str = CONTROL

    @property
    def complete(self) -> bool:
        return len(self.data) == self.size

    def describe(self) -> str:
        more = "" if self.complete else f" (+{self.size - len(self.data)} bytes)"
        return f"#{self.connection} {_channel(self.channel)}<< {_show(self.data)}{more}"


@dataclass(frozen=True)
class Note(Event):
    text: str
    warning: bool = False  # the client did something the configuration did not foresee

    def describe(self) -> str:
        return f"#{self.connection} {self.text}"


E = TypeVar("E", bound=Event)
Listener = Callable[[Event], None]


def _channel(channel: str) -> str:
    return "" if channel == CONTROL else f"{channel} "


def _show(data: bytes, limit: int = 200) -> str:
    shown = repr(data[:limit])
    return shown + ("..." if len(data) > limit else "")


class WireTranscript:
    """A thread-safe, append-only list of events with live listeners."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._changed = threading.Condition()
        self._events: list[Event] = []
        self._listeners: list[Listener] = []
        self._connections = 0

    def new_connection(self) -> int:
        """The number for the next accepted control connection."""
        with self._changed:
            self._connections += 1
            return self._connections

    def opened(self, connection: int, peer: tuple[str, int] | str, channel: str = CONTROL) -> None:
        shown = peer if isinstance(peer, str) else f"{peer[0]}:{peer[1]}"
        self._add(Opened(self._now(), connection, shown, channel))

    def closed(self, connection: int, by: str, channel: str = CONTROL) -> None:
        self._add(Closed(self._now(), connection, by, channel))

    def received(self, connection: int, data: bytes, channel: str = CONTROL) -> None:
        if data:
            self._add(Received(self._now(), connection, bytes(data), channel))

    def command(self, connection: int, line: bytes) -> None:
        self._add(Command(self._now(), connection, bytes(line)))

    def reply(self, connection: int, data: bytes, size: int | None = None, channel: str = CONTROL) -> None:
        self._add(Reply(self._now(), connection, bytes(data[:REPLY_KEEP]),
                        len(data) if size is None else size, channel))

    def note(self, connection: int, text: str, warning: bool = False) -> None:
        self._add(Note(self._now(), connection, text, warning))

    # -- reading ------------------------------------------------------------

    def all(self) -> list[Event]:
        """A snapshot of every event so far, in order."""
        with self._changed:
            return list(self._events)

    def events(self, kind: type[E], connection: int | None = None) -> list[E]:
        """A snapshot of the events of one type, optionally of one connection."""
        with self._changed:
            return [event for event in self._events if isinstance(event, kind)
                    and (connection is None or event.connection == connection)]

    def received_bytes(self, connection: int | None = None, channel: str = CONTROL) -> bytes:
        """Everything received on a channel, concatenated byte for byte."""
        return b"".join(event.data for event in self.events(Received, connection) if event.channel == channel)

    def commands(self, connection: int | None = None) -> list[bytes]:
        """Command and request lines exactly as received."""
        return [event.line for event in self.events(Command, connection)]

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float) -> Event | None:
        """The first event (past or future) that satisfies ``predicate``, or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for event in self._events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self._events)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every new event, from the server's thread."""
        with self._changed:
            self._listeners.append(listener)

    # -- internals ------------------------------------------------------------

    def _now(self) -> float:
        return round(time.monotonic() - self._start, 6)

    def _add(self, event: Event) -> None:
        with self._changed:
            self._events.append(event)
            listeners = list(self._listeners)
            self._changed.notify_all()
        for listener in listeners:
            listener(event)
