"""The fake FTP server's configuration.

As YAML (every key is optional)::

    host: 127.0.0.1                 # or auto: a random 127.x.y.z, port then defaulting to 21
    port: 0
    greeting: "220 fake ftp"        # replaces the greeting (same as replies: {GREETING: ...})
    accounts:
    - user: luasocket
      password: password
      files:                        # path in the home -> content
        index.html: "<html></html>"
        pub/lua/lua.tar.gz: !hex "1f 8b 08 00"
        big.bin: {size: 100000000, pattern: "0123456789"}
        incoming/: null             # a trailing "/" makes an empty directory
      writable: true                # default true
    anonymous: {files: {pub/hello.txt: "hello"}, writable: false}   # or true; default false
    replies: {RETR: "550 no such file", RETR-DONE: "451 aborted"}
    delay: {PASV: 0.2}              # or one number: before every reply
    stall: [STOR-DONE]
    pasv_host: 10.9.9.9             # PASV replies name this address; the server stays on loopback
    transfer: {rate: 4096, stall_after: 10000}   # data connections: bytes/s, silence after N bytes
    record_limit: 1048576           # stored files larger than this are kept as length + sha256
    expect_uploads: {/up.bin: {size: 4194304, pattern: "ab"}}   # compared as they arrive (below)

The sink engine refuses ``greeting``, ``replies``, ``delay``, ``stall``,
``pasv_host`` and ``transfer``, so it is configured apart::

    accounts: [{user: luasocket, password: password, files: {big.bin: {size: 100000000}}}]
    sink: true                      # the lean engine for throughput workloads (below)
    rcvbuf: 4194304                 # sink only: data connections' receive buffer, fixed (below)

Reply points for ``replies``/``delay``/``stall`` are ``GREETING``, any
command verb, and ``VERB-DONE`` for the reply after a transfer (RETR, STOR,
STOU, APPE, NLST, LIST, MLSD); see ``fakeservers.replies``.

``expect_uploads`` maps a path as the client names it from its home (as in
a ``stored:`` check, ``/up.bin``) to the content an upload there should
have: the server compares the bytes with it as they arrive instead of
hashing them (``fakeservers.payload``); what is recorded is the same.

``sink: true`` replaces pyftpdlib by a minimal engine of our own
(``fakeservers.ftp.sink_protocol``) for throughput workloads: login, CWD,
TYPE, PASV, STOR (writable accounts) and RETR of the configured files, QUIT;
it records them the same way and costs a fraction of pyftpdlib per session.
It takes no reply script, transfer faults or ``pasv_host``. It alone takes
``rcvbuf``, which fixes the receive buffer of every data connection, in
bytes, as the HTTP server's ``rcvbuf`` does (``fakeservers.http.config``):
an upload's window then does not start small and make the client wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeservers.addresses import FTP_PORT, is_ipv4_address
from fakeservers.config import ConfigError, Fields, as_list, as_text, describe, join
from fakeservers.payload import Payload, read_expected, read_payload
from fakeservers.replies import ReplyScript, read_reply_script

TRANSFER_VERBS = ("RETR", "STOR", "STOU", "APPE", "NLST", "LIST", "MLSD")
MODE_VERBS = ("PASV", "EPSV", "PORT", "EPRT")
ANONYMOUS = "anonymous"
DEFAULT_RECORD_LIMIT = 1024 * 1024
_KEYS = ("host", "port", "greeting", "accounts", "anonymous", "replies", "delay", "stall", "pasv_host",
         "transfer", "record_limit", "expect_uploads", "sink", "rcvbuf")
_NOT_WITH_SINK = ("greeting", "replies", "delay", "stall", "pasv_host", "transfer")

Files = Mapping[str, Payload | None]
"""Home contents: relative path -> content; None (with a trailing "/" in the path) is a directory."""


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    files: Files = field(default_factory=dict)
    writable: bool = True


@dataclass(frozen=True)
class TransferFaults:
    rate: int = 0  # bytes per second on data connections, 0 = unlimited
    stall_after: int | None = None  # go silent after this many bytes of a transfer


@dataclass(frozen=True)
class FtpConfig:
    host: str = "127.0.0.1"
    port: int = 0
    accounts: tuple[Account, ...] = ()
    anonymous: Account | None = None  # user "anonymous", any password
    script: ReplyScript = field(default_factory=ReplyScript)
    pasv_host: str | None = None
    transfer: TransferFaults = field(default_factory=TransferFaults)
    record_limit: int = DEFAULT_RECORD_LIMIT
    expect_uploads: Mapping[str, Payload] = field(default_factory=dict)  # "/path" -> content, digests read
    sink: bool = False
    rcvbuf: int | None = None  # bytes, for the sink's data connections; None: autotuned

    @property
    def logins(self) -> tuple[Account, ...]:
        """Every account a client may log in as: the configured ones, then anonymous if allowed."""
        return self.accounts + ((self.anonymous,) if self.anonymous is not None else ())


def read_ftp_config(raw: Mapping[str, Any] | None, prefix: str = "") -> FtpConfig:
    """Validate a configuration mapping (see the module docstring)."""
    fields = Fields(raw if raw is not None else {}, prefix, _KEYS)
    accounts = tuple(_read_account(item, item_field)
                     for item_field, item in as_list(fields.get("accounts", []), fields.field("accounts")))
    seen: set[str] = set()
    for index, account in enumerate(accounts):
        if account.user in seen or account.user == ANONYMOUS:
            raise ConfigError(join(fields.field("accounts"), index) + ".user",
                              f"user {account.user!r} is defined twice (anonymous has its own key)")
        seen.add(account.user)
    script = read_reply_script(fields, TRANSFER_VERBS)
    anonymous = _read_anonymous(fields.get("anonymous", False), fields.field("anonymous"))
    sink = fields.flag("sink", False)
    if sink:
        fields.refuse(_NOT_WITH_SINK, "the sink engine (sink: true) does not take this key")
    else:
        fields.refuse(("rcvbuf",), "only the sink engine (sink: true) takes this key")
    host, port = fields.address(FTP_PORT)
    return FtpConfig(host=host, port=port, accounts=accounts, anonymous=anonymous,
                     script=script, pasv_host=_read_pasv_host(fields), transfer=_read_transfer(fields),
                     record_limit=fields.integer("record_limit", DEFAULT_RECORD_LIMIT),
                     expect_uploads=_read_expected_uploads(fields), sink=sink,
                     rcvbuf=fields.receive_buffer())


def _read_account(raw: Any, path: str) -> Account:
    fields = Fields(raw, path, ("user", "password", "files", "writable"), required=("user", "password"))
    user = fields.text("user")
    if not user or any(char.isspace() for char in user):
        raise ConfigError(fields.field("user"), f"expected a user name without spaces, got {user!r}")
    return Account(user=user, password=fields.text("password"),
                   files=read_files(fields.get("files", {}), fields.field("files")),
                   writable=fields.flag("writable", True))


def _read_anonymous(raw: Any, path: str) -> Account | None:
    if raw is False:
        return None
    if raw is True:
        return Account(ANONYMOUS, "", {}, writable=False)
    fields = Fields(raw, path, ("files", "writable"))
    return Account(ANONYMOUS, "", read_files(fields.get("files", {}), fields.field("files")),
                   writable=fields.flag("writable", False))


def read_files(raw: Any, path: str) -> dict[str, Payload | None]:
    """Home contents: relative paths (no "..", no empty segments) to payloads; "dir/" to null."""
    if not isinstance(raw, Mapping):
        raise ConfigError(path, f"expected a mapping of paths to contents, got {describe(raw)}")
    files: dict[str, Payload | None] = {}
    for key, value in raw.items():
        key_field = join(path, str(key))
        name = as_text(key, key_field).lstrip("/")
        directory = name.endswith("/")
        segments = name.rstrip("/").split("/")
        if not name or any(segment in ("", ".", "..") for segment in segments):
            raise ConfigError(key_field, "expected a relative path such as pub/file.txt (no '..', no '//')")
        if directory:
            if value is not None:
                raise ConfigError(key_field, "a path ending in '/' is a directory; give it null")
            files[name] = None
        else:
            files[name] = read_payload(value, key_field)
    return files


def _read_expected_uploads(fields: Fields) -> dict[str, Payload]:
    """``expect_uploads``: "/path" -> payload, each SHA-256 computed now (not while a client uploads)."""
    raw = fields.get("expect_uploads", {})
    path = fields.field("expect_uploads")
    if not isinstance(raw, Mapping):
        raise ConfigError(path, f"expected a mapping of paths to contents, got {describe(raw)}")
    expected: dict[str, Payload] = {}
    for key, value in raw.items():
        key_field = join(path, str(key))
        name = as_text(key, key_field)
        segments = name.strip("/").split("/")
        if not name.startswith("/") or name.endswith("/") or any(seg in ("", ".", "..") for seg in segments):
            raise ConfigError(key_field, "expected a file's path from the home, such as /up.bin "
                                         "(leading '/', no '..', no '//')")
        expected[name] = read_expected(value, key_field)
    return expected


def _read_pasv_host(fields: Fields) -> str | None:
    text = fields.text("pasv_host", None)
    if text is None:
        return None
    if not is_ipv4_address(text):
        raise ConfigError(fields.field("pasv_host"), f"expected an IPv4 address (PASV replies carry one), "
                                                     f"got {text!r}")
    return str(text)


def _read_transfer(fields: Fields) -> TransferFaults:
    if "transfer" not in fields:
        return TransferFaults()
    transfer = Fields(fields.get("transfer"), fields.field("transfer"), ("rate", "stall_after"))
    return TransferFaults(rate=transfer.integer("rate", 0), stall_after=transfer.integer("stall_after", None))
