"""An SMTP mail transaction as data: the steps, and the message as sent (spec §13).

:func:`plan_message` checks the input and returns the whole dialogue as a list
of :class:`Step` values (what to send, which reply codes may follow); the
socket side in ``smtp.py`` just plays it. The sequence (RFC 821)::

    (greeting)            220
    HELO <domain>         250        domain: env SERVER_NAME, else "localhost"
    MAIL FROM:<from>      250
    RCPT TO:<addr>        250 or 251, once per recipient
    DATA                  354
    <message>             250
    QUIT                  (read, not judged; sent by smtp.py)

The message (:func:`message_data`) is the headers, one ``Name: value`` line
each in the table's order (names as given), an empty line, and the body,
with two rules that keep every line intact (DIVERGENCES.md #52):

* every line ending, CRLF, a lone LF or a lone CR, is sent as CRLF (a bare
  LF or CR is not a line ending to SMTP and some servers would merge or split
  lines);
* every line that starts with ``.`` gets a second one, the first line of the
  body included, so no line of the body can end the message early (1.3b
  missed the first line).

The body's last line is then terminated (a CRLF is added if the body does
not end with one) and ``.`` CRLF ends the data.

Refused before connecting: a CR, LF or other control character in the sender,
a recipient, a header or the HELO domain; a header name that is empty or has
``:``, spaces or controls; an empty recipient list ("no recipients"; 1.3b
reported success without sending anything, #51).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reference.protocols.errors import (
    BAD_ADDRESS_CHARACTER,
    BAD_DOMAIN_CHARACTER,
    BAD_HEADER_CHARACTER,
    BAD_HEADER_NAME,
    NO_RECIPIENTS,
    CallFailed,
)

SMTP_PORT = 25
SMTP_WAIT = 180.0
DEFAULT_DOMAIN = "localhost"

# Controls, and characters no Lua string can hold (they have no byte to send).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0100-\U0010ffff]")
_CONTROL_EXCEPT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u0100-\U0010ffff]")
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e\x80-\xff]+")  # printable, no ":" or space
_LINE_END = re.compile(rb"\r\n|\r|\n")
_ADDRESS_SEPARATORS = re.compile(r"[\s,]+")
_BRACKETED = re.compile(r"<([^<>]*)>")


@dataclass(frozen=True)
class Step:
    """One exchange: ``send`` (None: only read, for the greeting), then a reply in ``expect``."""

    send: bytes | None
    expect: frozenset[int]


def helo_domain(environment: Mapping[str, str]) -> str:
    """The HELO argument: ``SERVER_NAME`` from the environment, else "localhost"."""
    domain = environment.get("SERVER_NAME") or DEFAULT_DOMAIN
    if _CONTROL.search(domain) or " " in domain:
        raise CallFailed(BAD_DOMAIN_CHARACTER)
    return domain


def check_address(address: str) -> str:
    if _CONTROL.search(address):
        raise CallFailed(BAD_ADDRESS_CHARACTER)
    return address


def header_lines(headers: Iterable[tuple[str, str]]) -> bytes:
    """``Name: value`` CRLF per header (checked), as bytes."""
    lines = []
    for name, value in headers:
        if _CONTROL_EXCEPT_TAB.search(name + value):
            raise CallFailed(BAD_HEADER_CHARACTER)
        if not _HEADER_NAME.fullmatch(name):
            raise CallFailed(BAD_HEADER_NAME)
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")


def normalise_line_endings(data: bytes) -> bytes:
    """CRLF, lone CR and lone LF all become CRLF."""
    return _LINE_END.sub(b"\r\n", data)


def dot_stuff(data: bytes) -> bytes:
    """Double the ``.`` at the start of every line (lines end in CRLF)."""
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def message_data(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """What follows ``DATA``: headers, empty line, body, terminator."""
    text = dot_stuff(normalise_line_endings(header_lines(headers) + b"\r\n" + body))
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text + b".\r\n"


def plan_message(
    sender: str,
    recipients: Iterable[str],
    headers: Iterable[tuple[str, str]],
    body: bytes,
    domain: str,
) -> list[Step]:
    """The checked dialogue for one message (QUIT not included)."""
    sender = check_address(sender)
    recipients = [check_address(address) for address in recipients]
    if not recipients:
        raise CallFailed(NO_RECIPIENTS)
    data = message_data(headers, body)
    steps = [
        Step(None, frozenset({220})),
        Step(f"HELO {domain}\r\n".encode("latin-1"), frozenset({250})),
        Step(f"MAIL FROM:<{sender}>\r\n".encode("latin-1"), frozenset({250})),
    ]
    steps.extend(
        Step(f"RCPT TO:<{address}>\r\n".encode("latin-1"), frozenset({250, 251})) for address in recipients
    )
    steps.append(Step(b"DATA\r\n", frozenset({354})))
    steps.append(Step(data, frozenset({250})))
    return steps


def split_addresses(field: str) -> list[str]:
    """The recipients named in a ``mail{}`` field (``to``, ``cc``, ``bcc``).

    The field is split at commas; an item with ``<address>`` in it stands for
    that address (so "Fulano <f@x.org>" is one recipient, where 1.3b split at
    every space and made two bogus ones); other items are split at
    whitespace, as CGILua did.
    """
    addresses: list[str] = []
    for item in field.split(","):
        bracketed = _BRACKETED.search(item)
        if bracketed:
            address = bracketed.group(1).strip()
            if address:
                addresses.append(address)
        else:
            addresses.extend(word for word in _ADDRESS_SEPARATORS.split(item) if word)
    return addresses
