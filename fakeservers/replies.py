"""Scripted faults for line-based servers (SMTP, FTP): canned replies, delays, stalls.

A scenario names a *reply point* and says what happens there:

* ``GREETING``: the server's first reply on a connection;
* a command verb (``RCPT``, ``RETR``, ``quit``: any case): the first reply
  to that command;
* ``VERB-DONE``: the reply that ends a command's data phase: SMTP
  ``DATA-DONE`` (after the message's final dot), FTP ``RETR-DONE``,
  ``STOR-DONE``, ``NLST-DONE``... (after the transfer).

Three keys use reply points::

    replies: {RCPT: "550 no such user", DATA: "451-temp\\r\\n451 fail"}
    delay: {GREETING: 0.3}        # or one number: before every reply
    stall: [DATA-DONE]            # never reply there; stay connected until stopped

A canned reply is sent verbatim followed by CRLF (so a multi-line reply is
written with ``\\r\\n`` between its lines, and a malformed one is possible).
A list gives one reply per occurrence of the point on a connection, ``null``
meaning "the server's own reply"; past the end of the list the server
replies normally.

What a canned reply does to the command depends on its code:

* 1xx, 2xx or 3xx (a positive reply): the command runs as usual and only the
  text of its reply changes (so ``RCPT: "251 will forward"`` still adds the
  recipient);
* anything else (4xx, 5xx, or not a reply at all): the command has no
  effect; the server only answers with the canned text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeservers.config import ConfigError, Fields, as_bytes, as_list, as_number, describe, join

GREETING = "GREETING"
DONE_SUFFIX = "-DONE"
_POINT_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:-DONE)?$")


def is_positive(reply: bytes) -> bool:
    """Whether a reply's code is 1xx-3xx, the codes after which a command takes effect."""
    return len(reply) >= 3 and reply[:3].isdigit() and reply[:1] in (b"1", b"2", b"3")


def done_point(verb: str) -> str:
    return verb + DONE_SUFFIX


@dataclass(frozen=True)
class ReplyScript:
    """Canned replies, delays and stalls by reply point (see the module docstring)."""

    replies: Mapping[str, tuple[bytes | None, ...] | bytes] = field(default_factory=dict)
    delays: Mapping[str, float] = field(default_factory=dict)
    every_delay: float = 0.0
    stalls: frozenset[str] = frozenset()

    def reply_for(self, point: str, occurrence: int) -> bytes | None:
        """The canned text for the ``occurrence``-th (from 0) time ``point`` is reached, if any."""
        rule = self.replies.get(point)
        if isinstance(rule, bytes) or rule is None:
            return rule
        return rule[occurrence] if occurrence < len(rule) else None

    def delay_for(self, point: str) -> float:
        return self.delays.get(point, self.every_delay)

    def stalls_at(self, point: str) -> bool:
        return point in self.stalls


class Occurrences:
    """Counts how often each reply point was reached on one connection."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def next(self, point: str) -> int:
        count = self._counts.get(point, 0)
        self._counts[point] = count + 1
        return count


def _point(raw: Any, field: str, done_verbs: Iterable[str]) -> str:
    if not isinstance(raw, str):
        raise ConfigError(field, f"expected a reply point (GREETING, a command, VERB-DONE), "
                                 f"got {describe(raw)}")
    point = raw.upper()
    if not _POINT_RE.match(point):
        raise ConfigError(field, f"{raw!r} is not a reply point "
                                 "(GREETING, a command such as RCPT, or VERB-DONE)")
    if point.endswith(DONE_SUFFIX):
        verbs = tuple(done_verbs)
        if point[: -len(DONE_SUFFIX)] not in verbs:
            choices = ", ".join(done_point(verb) for verb in verbs)
            raise ConfigError(field, f"{raw!r}: only these commands have a -DONE reply: {choices}")
    return point


class _Points:
    """The reply points of one key (``replies``, ``delay`` or ``stall``) as read so far, by spelling.

    Points are upper-cased (``rcpt`` is ``RCPT``), so two spellings of one
    point in the same key silently overrode each other, the later winning;
    a second spelling is refused instead, naming the first.
    """

    def __init__(self, done_verbs: tuple[str, ...]) -> None:
        self._done_verbs = done_verbs
        self._spellings: dict[str, Any] = {}

    def read(self, raw: Any, field: str) -> str:
        point = _point(raw, field, self._done_verbs)
        if point in self._spellings:
            raise ConfigError(field, f"duplicate reply point {point} "
                                     f"(also written as {self._spellings[point]!r})")
        self._spellings[point] = raw
        return point


def read_reply_script(fields: Fields, done_verbs: Iterable[str]) -> ReplyScript:
    """The ``replies``, ``delay``, ``stall`` and ``greeting`` keys of a server configuration.

    ``greeting: TEXT`` is a shorthand for ``replies: {GREETING: TEXT}``.
    """
    done_verbs = tuple(done_verbs)
    replies: dict[str, tuple[bytes | None, ...] | bytes] = {}
    if "replies" in fields:
        raw_replies = fields.get("replies")
        if not isinstance(raw_replies, Mapping):
            raise ConfigError(fields.field("replies"), f"expected a mapping, got {describe(raw_replies)}")
        reply_points = _Points(done_verbs)
        for key, value in raw_replies.items():
            key_field = join(fields.field("replies"), str(key))
            point = reply_points.read(key, key_field)
            if isinstance(value, (str, bytes, bytearray)):
                replies[point] = as_bytes(value, key_field)
            elif not isinstance(value, list | tuple):
                raise ConfigError(key_field, f"expected a reply (text or bytes) or a list of replies, "
                                             f"got {describe(value)}")
            else:
                replies[point] = tuple(None if item is None else as_bytes(item, item_field)
                                       for item_field, item in as_list(value, key_field))
    delays: dict[str, float] = {}
    every_delay = 0.0
    if "delay" in fields:
        raw_delay = fields.get("delay")
        if isinstance(raw_delay, Mapping):
            delay_points = _Points(done_verbs)
            for key, value in raw_delay.items():
                key_field = join(fields.field("delay"), str(key))
                delays[delay_points.read(key, key_field)] = as_number(value, key_field)
        else:
            every_delay = as_number(raw_delay, fields.field("delay"))
    stalls: set[str] = set()
    if "stall" in fields:
        raw_stall = fields.get("stall")
        if isinstance(raw_stall, str):
            stalls.add(_point(raw_stall, fields.field("stall"), done_verbs))
        else:
            stall_points = _Points(done_verbs)
            stalls.update(stall_points.read(item, item_field)
                          for item_field, item in as_list(raw_stall, fields.field("stall")))
    if "greeting" in fields:
        if GREETING in replies:
            raise ConfigError(fields.field("greeting"), "give the greeting here or in replies, not both")
        replies[GREETING] = fields.data("greeting")
    return ReplyScript(replies, delays, every_delay, frozenset(stalls))
