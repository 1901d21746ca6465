"""The control dialogue of an FTP upload, as a state machine over command lines (no I/O).

The fake FTP server's normal engine is pyftpdlib, a full server for the
conformance scenarios. It costs about 2 ms of CPU a session here (login,
PASV, STOR, QUIT through its event loop), so in the upload throughput
workloads, 16 sessions of 4 MiB, the server was busy most of the time and
set the pace. ``sink: true`` swaps in this engine. It serves what an
upload needs: USER/PASS for the configured accounts and anonymous, CWD
(any directory; nothing is stored on disk), TYPE, MODE, STRU, NOOP, SYST,
PWD, PASV, STOR and QUIT. It records commands, the transfer and the upload
(``StoredFile``, compared with ``expect_uploads`` as the normal engine
does), and answers anything else 502. It has no reply script, no transfer
faults and no files to download.

``SinkControl.handle`` takes one command (``FtpCommand.parse`` splits the
line, as for the pyftpdlib engine's records) and returns what to do: a
reply to send, or a ``Passive``/``Store`` step whose socket work the caller
(``sink_server``) performs before it sends the reply the step carries.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from fakeservers.ftp.config import ANONYMOUS, FtpConfig


@dataclass(frozen=True)
class Reply:
    text: str


@dataclass(frozen=True)
class Passive:
    """Open a data listener; reply 227 naming its address."""


@dataclass(frozen=True)
class Store:
    """Reply 150, receive the data connection's bytes as the file ``path``, then reply 226."""

    path: str  # from the home, as a ``stored:`` check names it: "/up.bin"
    argument: str


@dataclass(frozen=True)
class Quit:
    text: str = "221 Goodbye."


Step = Reply | Passive | Store | Quit

GREETING = "220 lsconform FTP sink ready."
_ANY_STATE = ("NOOP", "SYST", "QUIT", "USER", "PASS")


class SinkControl:
    """One control connection's state: login, directory, whether a passive listener is open."""

    def __init__(self, config: FtpConfig) -> None:
        self.config = config
        self.user: str | None = None  # named by USER, logged in once ``logged_in``
        self.logged_in = False
        self.directory = "/"
        self.passive = False  # a data listener is open for the next transfer

    def handle(self, verb: str, argument: str) -> Step:
        """What to do for one command (``verb`` upper-cased, as ``FtpCommand.parse`` gives it)."""
        if not self.logged_in and verb not in _ANY_STATE:
            return Reply("530 Log in with USER and PASS first.")
        handler = getattr(self, f"_{verb.lower()}", None) if verb.isalpha() else None
        if handler is None:
            return Reply(f"502 Command {verb!r} not implemented by the sink.")
        step: Step = handler(argument)
        return step

    # -- login ------------------------------------------------------------------

    def _user(self, name: str) -> Step:
        self.user, self.logged_in = name, False
        return Reply("331 Username ok, send password.")

    def _pass(self, password: str) -> Step:
        if self.user is None:
            return Reply("503 Login with USER first.")
        if self.user == ANONYMOUS and self.config.anonymous is not None:
            self.logged_in = self.config.anonymous.writable
        else:
            self.logged_in = any(account.user == self.user and account.password == password
                                 and account.writable for account in self.config.accounts)
        if not self.logged_in:
            self.user = None
            return Reply("530 Authentication failed.")
        return Reply("230 Login successful.")

    # -- session settings ---------------------------------------------------------

    def _noop(self, _: str) -> Step:
        return Reply("200 I successfully did nothing.")

    def _syst(self, _: str) -> Step:
        return Reply("215 UNIX Type: L8")

    def _type(self, argument: str) -> Step:
        kind = argument.strip().upper()
        if kind in ("I", "L8", "L 8"):
            return Reply("200 Type set to: Binary.")
        if kind in ("A", "A N"):
            return Reply("200 Type set to: ASCII.")
        return Reply(f"504 Unsupported type {argument!r}.")

    def _mode(self, argument: str) -> Step:
        return Reply("200 Transfer mode set to: S") if argument.strip().upper() == "S" \
            else Reply("504 Unimplemented MODE type.")

    def _stru(self, argument: str) -> Step:
        return Reply("200 File transfer structure set to: F.") if argument.strip().upper() == "F" \
            else Reply("504 Unimplemented STRU type.")

    def _pwd(self, _: str) -> Step:
        return Reply(f'257 "{self.directory}" is the current directory.')

    def _cwd(self, argument: str) -> Step:
        if not argument:
            return Reply("501 Syntax error: command needs an argument.")
        self.directory = _resolve(self.directory, argument)
        return Reply(f'250 "{self.directory}" is the current directory.')

    # -- transfers ----------------------------------------------------------------

    def _pasv(self, _: str) -> Step:
        self.passive = True
        return Passive()

    def _stor(self, argument: str) -> Step:
        if not argument:
            return Reply("501 Syntax error: command needs an argument.")
        if not self.passive:
            return Reply("425 Use PASV first.")
        self.passive = False
        return Store(_resolve(self.directory, argument), argument)

    def _quit(self, _: str) -> Step:
        return Quit()


def _resolve(directory: str, name: str) -> str:
    """An FTP path from the home: ``name`` taken relative to ``directory`` unless absolute."""
    return posixpath.normpath(posixpath.join(directory, name)).replace("//", "/")


def passive_reply(host: str, port: int) -> str:
    """The 227 reply naming ``host`` (IPv4) and ``port``."""
    numbers = host.split(".") + [str(port >> 8), str(port & 0xFF)]
    return f"227 Entering passive mode ({','.join(numbers)})."
