"""FTP transfers as data: what a URL asks for, the commands, the PASV reply (spec §15).

The socket side (``ftp.py``) plays this sequence on the control connection
(RFC 959; commands in upper case, 1.3b sent lower case, DIVERGENCES.md #43)::

    (greeting)        220, or 120 and then 220
    USER <user>       230, or 331 and then PASS <password>: 230 or 202
    CWD <directory>   250 (or 200), only when the URL has a directory part
    TYPE I | TYPE A   200
    PASV              227: the data connection is made at once
    RETR <name> | NLST | STOR <name>    125 or 150, then the transfer
    (after the data)  226 or 250
    QUIT              (read, not judged)

What the URL decides (:func:`plan_transfer`), after ``url.parse_url`` refused
any control character:

* user and password: ``anonymous`` / ``anonymous@anonymous.org`` when the URL
  names no user; the URL's otherwise. ``user@host`` with no password sends
  ``PASS`` with an empty password, and only if the server asks for one with
  331 (1.3b never sent it, leaving the session unauthenticated, #49).
* the path (one leading ``/`` removed) is a directory and a file name; a path
  ending in ``/`` (or just ``/``) asks for a listing of that directory
  (``NLST``, no argument, after the CWD). ``ftp://host//abs/dir/f`` changes to
  the absolute directory ``/abs/dir``. A URL with no path at all is refused
  ("invalid URL: no path"; 1.3b raised, #48), and so is storing to a
  directory URL ("invalid path", before connecting).

PASV (1.3b only had active mode, #42): the six numbers are looked for
anywhere in the 227 text. The data connection always goes to the control
connection's peer with the port named: a PASV reply naming another host is
not followed there, since a hostile or confused server could otherwise aim
the client at a third machine. The host it names is only checked for form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reference.protocols.errors import (
    BAD_PASV_REPLY,
    BAD_PATH_CHARACTER,
    BAD_SCHEME,
    NO_PATH,
    PUT_TO_DIRECTORY,
    CallFailed,
)
from reference.protocols.url import parse_url

FTP_PORT = 21
FTP_WAIT = 60.0
FTP_BLOCK = 4096  # bytes per data read, as in 1.3b
ANONYMOUS_USER = "anonymous"
ANONYMOUS_PASSWORD = "anonymous@anonymous.org"

GREETING_WAIT = frozenset({120})
GREETING_READY = frozenset({220})
LOGGED_IN = frozenset({230})
NEEDS_PASSWORD = frozenset({331})
PASSWORD_OK = frozenset({230, 202})
CWD_OK = frozenset({250, 200})
TYPE_OK = frozenset({200})
PASV_OK = frozenset({227})
TRANSFER_STARTS = frozenset({125, 150})
TRANSFER_DONE = frozenset({226, 250})

# six numbers, not part of a longer number or list: "4,1000" must not read as "4,100"
_PASV_NUMBERS = re.compile(r"(?<![\d,])(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})(?![\d,])")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u0100-\U0010ffff]")


@dataclass(frozen=True)
class FtpPlan:
    """Everything one transfer needs to know before connecting."""

    host: str
    port: int
    user: str
    password: str
    directory: str | None
    name: str | None  # None: a directory listing
    binary: bool

    @property
    def type_command(self) -> str:
        return "TYPE I" if self.binary else "TYPE A"

    def transfer_command(self, upload: bool) -> str:
        if upload:
            return command("STOR", self.name)
        return command("RETR", self.name) if self.name is not None else "NLST"


def check_argument(argument: str) -> str:
    """Refuse a command argument with CR, LF or another control character.

    ``parse_url`` already refused such URLs; this check stands guard where
    the argument becomes a command line.
    """
    if _UNSAFE.search(argument):
        raise CallFailed(BAD_PATH_CHARACTER)
    return argument


def command(verb: str, argument: str | None = None) -> str:
    """A command line (without CRLF); an empty argument is left out."""
    if not argument:
        return verb
    return f"{verb} {check_argument(argument)}"


def plan_transfer(url_text: str, binary: bool, upload: bool) -> FtpPlan:
    """Check the URL and work out login, directory, name and type."""
    url = parse_url(url_text)
    if url.scheme not in (None, "ftp"):
        raise CallFailed(BAD_SCHEME)
    if url.path is None:
        raise CallFailed(NO_PATH)
    path = url.path[1:] if url.path.startswith("/") else url.path
    if path == "" or path.endswith("/"):
        if upload:
            raise CallFailed(PUT_TO_DIRECTORY)
        directory, name = path[:-1], None
    else:
        directory, _, name = path.rpartition("/")
    if url.user is None:
        user, password = ANONYMOUS_USER, ANONYMOUS_PASSWORD
    else:
        user, password = url.user, url.password or ""
    for argument in (user, password, directory, name or ""):
        check_argument(argument)
    return FtpPlan(url.host, url.port_or(FTP_PORT), user, password, directory or None, name, binary)


def parse_pasv(text: str) -> tuple[str, int]:
    """The ``(host, port)`` a 227 reply names; refuses a reply without a valid one."""
    match = _PASV_NUMBERS.search(text)
    if match is None:
        raise CallFailed(BAD_PASV_REPLY)
    numbers = [int(group) for group in match.groups()]
    if any(number > 255 for number in numbers):
        raise CallFailed(BAD_PASV_REPLY)
    port = numbers[4] * 256 + numbers[5]
    if port == 0:
        raise CallFailed(BAD_PASV_REPLY)
    return ".".join(str(number) for number in numbers[:4]), port


def data_host(named_host: str, control_peer: str) -> str:
    """Where the data connection goes: always the control connection's peer.

    ``named_host`` (from the PASV reply) is deliberately unused beyond this
    signature: following it would let the server choose the machine the
    client connects to (see the module docstring).
    """
    del named_host
    return control_peer
