"""The control dialogue of an FTP transfer, as a state machine over command lines (no I/O).

The fake FTP server's normal engine is pyftpdlib, a full server for the
conformance scenarios. It costs about 2 ms of CPU a session here (login,
PASV, STOR, QUIT through its event loop), so in the upload throughput
workloads, 16 sessions of 4 MiB, the server was busy most of the time and
set the pace; its downloads go through its event loop 64 KiB at a time,
about 550-680 MB/s, no faster than the candidates. ``sink: true`` swaps in
this engine. It serves what a transfer needs: USER/PASS for the configured
accounts and anonymous, CWD (any directory), TYPE, MODE, STRU, NOOP, SYST,
PWD, PASV, STOR (writable accounts; nothing is stored on disk) and RETR of
the configured files, and QUIT. It records commands, transfers and uploads
(``StoredFile``, compared with ``expect_uploads`` as the normal engine
does), and answers anything else 502. It has no reply script and no
transfer faults.

``SinkControl.handle`` takes one command (``FtpCommand.parse`` splits the
line, as for the pyftpdlib engine's records) and returns what to do: a
reply to send, or a ``Passive``/``Store``/``Retrieve`` step whose socket
work the caller (``sink_server``) performs, sending the replies it implies.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from fakeservers.ftp.config import ANONYMOUS, Account, FtpConfig


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
class Retrieve:
    """Reply 150, send the configured file ``name`` of ``user``'s home on the data connection, reply 226."""

    user: str
    name: str  # the key of ``Account.files``: "blob.bin", "pub/a.txt"
    argument: str


@dataclass(frozen=True)
class Quit:
    text: str = "221 Goodbye."


Step = Reply | Passive | Store | Retrieve | Quit

GREETING = "220 lsconform FTP sink ready."
_ANY_STATE = ("NOOP", "SYST", "QUIT", "USER", "PASS")


class SinkControl:
    """One control connection's state: login, directory, whether a passive listener is open."""

    def __init__(self, config: FtpConfig) -> None:
        self.config = config
        self.user: str | None = None  # named by USER, logged in once ``logged_in``
        self.logged_in = False
        self.account: Account | None = None  # the logged-in user's
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
        self.user, self.logged_in, self.account = name, False, None
        return Reply("331 Username ok, send password.")

    def _pass(self, password: str) -> Step:
        if self.user is None:
            return Reply("503 Login with USER first.")
        if self.user == ANONYMOUS:
            self.account = self.config.anonymous
        else:
            self.account = next((account for account in self.config.accounts
                                 if account.user == self.user and account.password == password), None)
        self.logged_in = self.account is not None
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
        assert self.account is not None  # logged in
        if not self.account.writable:
            return Reply("550 Not enough privileges.")
        if not self.passive:
            return Reply("425 Use PASV first.")
        self.passive = False
        return Store(_resolve(self.directory, argument), argument)

    def _retr(self, argument: str) -> Step:
        if not argument:
            return Reply("501 Syntax error: command needs an argument.")
        assert self.account is not None  # logged in
        name = _resolve(self.directory, argument).lstrip("/")
        if self.account.files.get(name) is None:  # absent, or a directory
            return Reply("550 No such file or directory.")
        if not self.passive:
            return Reply("425 Use PASV first.")
        self.passive = False
        return Retrieve(self.account.user, name, argument)

    def _quit(self, _: str) -> Step:
        return Quit()


def _resolve(directory: str, name: str) -> str:
    """An FTP path from the home: ``name`` taken relative to ``directory`` unless absolute."""
    return posixpath.normpath(posixpath.join(directory, name)).replace("//", "/")


def passive_reply(host: str, port: int) -> str:
    """The 227 reply naming ``host`` (IPv4) and ``port``."""
    numbers = host.split(".") + [str(port >> 8), str(port & 0xFF)]
    return f"227 Entering passive mode ({','.join(numbers)})."
