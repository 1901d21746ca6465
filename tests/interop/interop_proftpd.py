"""The ProFTPD site the FTP interop tests talk to: an anonymous area, one virtual user, a configuration text.

ProFTPD was chosen because it authenticates against a passwd-format file of
our own (``AuthUserFile``): a real login with a password needs no system
account, no PAM service and nothing outside the temporary directory. Every
file it writes (pid, scoreboard, logs) is under that directory too, so
parallel workers each run their own instance.

Layout (all under the instance's directory)::

    anon/               anonymous root (chrooted), owned by root
      pub/              downloads: binary file, text file, a listing folder
      incoming/         the one place anonymous users may STOR
    home/alice/         the virtual user's home (chrooted), writable by her
    passwd, group       the only user database the server consults

``commands.log`` records every command the server received, prefixed with
the session process's pid (``%P %m %J``), which is how the tests see what one
transfer said (PASV, not PORT): sessions log their last line (QUIT) after
the client already has the reply, so lines of sessions are told apart by pid
rather than by when they were written.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pwd
import random
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "nobody"  # the system account whose uid/gid both FTP users map to
USER = "alice"
PASSWORD = "s3cret pass"
LISTING = ("alpha.txt", "beta.bin", "gamma.dat")


class CryptUnavailable(RuntimeError):
    """libcrypt, which hashes the virtual user's password, could not be loaded."""


@dataclass(frozen=True)
class FtpSite:
    """What the tests compare against, and where uploads land on disk."""

    anon_root: Path
    home: Path
    incoming: Path
    files: dict[str, bytes]  # path under anon/ or home/ -> bytes
    commands_log: Path


@dataclass(frozen=True)
class FtpInstance:
    """A running ProFTPD as the tests see it."""

    base_url: str  # ftp://127.0.0.1:PORT, no trailing slash
    site: FtpSite


def session_commands(lines: list[str], marker: str) -> list[str] | None:
    """The commands of the one session that logged ``marker``, in order, or None if none did yet."""
    sessions: dict[str, list[str]] = {}
    for line in lines:
        pid, _, command = line.partition(" ")
        sessions.setdefault(pid, []).append(command.rstrip())
    matching = [commands for commands in sessions.values() if marker in commands]
    return matching[0] if len(matching) == 1 else None


def crypt_sha512(password: str, salt: str) -> str:
    """``crypt(3)`` with a ``$6$`` salt, the form ProFTPD's AuthUserFile expects."""
    name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
    try:
        library = ctypes.CDLL(name)
    except OSError as error:
        raise CryptUnavailable(f"cannot load {name}: {error}") from error
    library.crypt.restype = ctypes.c_char_p
    library.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    hashed = library.crypt(password.encode(), f"$6${salt}$".encode())
    if not hashed or not hashed.startswith(b"$6$"):
        raise CryptUnavailable("crypt() does not support SHA-512 here")
    return hashed.decode()


def passwd_lines(uid: int, gid: int, anon_root: Path, home: Path, hashed: str) -> str:
    """The AuthUserFile: the virtual user, and ``ftp`` for anonymous sessions (no password)."""
    return f"{USER}:{hashed}:{uid}:{gid}::{home}:/bin/false\nftp:*:{uid}:{gid}::{anon_root}:/bin/false\n"


def build_site(work: Path) -> FtpSite:
    """Write the anonymous area, the user's home and the user database."""
    account = pwd.getpwnam(ACCOUNT)
    rng = random.Random(959)
    anon_root, home = work / "anon", work / "home" / USER
    incoming = anon_root / "incoming"
    files = {
        "anon/pub/file.bin": bytes(range(256)) * 4 + b"\r\n\n\r",
        "anon/pub/big.bin": rng.randbytes(300_000 + 3),
        "anon/pub/lines.txt": b"first line\nsecond line\n",
        "home/alice/private.bin": b"\x00alice's own bytes\xff\r\n",
    }
    files.update({f"anon/pub/listing/{name}": name.encode() * 3 for name in LISTING})
    for relative, data in files.items():
        target = work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    incoming.mkdir()
    for folder in (
        work / "anon",
        *(path for path in (work / "anon").rglob("*") if path.is_dir()),
        work / "home",
    ):
        folder.chmod(0o755)
    for owned in (incoming, home, home / "private.bin"):
        os.chown(owned, account.pw_uid, account.pw_gid)
    hashed = crypt_sha512(PASSWORD, f"{rng.getrandbits(48):012x}")
    (work / "passwd").write_text(passwd_lines(account.pw_uid, account.pw_gid, anon_root, home, hashed))
    (work / "group").write_text(f"nogroup:x:{account.pw_gid}:\n")
    for database in ("passwd", "group"):
        (work / database).chmod(0o600)  # ProFTPD refuses world-readable AuthUserFiles
    return FtpSite(anon_root, home, incoming, files, work / "commands.log")


def proftpd_config(work: Path, host: str, port: int) -> str:
    """The whole proftpd.conf for one instance on ``host:port``."""
    return f"""ServerType standalone
ServerName "lsconform interop"
DefaultServer on
DefaultAddress {host}
SocketBindTight on
UseIPv6 off
Port {port}
User {ACCOUNT}
Group nogroup
Umask 022
PidFile {work}/proftpd.pid
ScoreboardFile {work}/proftpd.scoreboard
SystemLog {work}/system.log
TransferLog {work}/xfer.log
WtmpLog off
UseReverseDNS off
AuthOrder mod_auth_file.c
AuthUserFile {work}/passwd
AuthGroupFile {work}/group
RequireValidShell off
DefaultRoot ~
ListOptions "" SortedNLST
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
LogFormat commands "%P %m %J"
ExtendedLog {work}/commands.log ALL commands
<Anonymous {work}/anon>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  <Limit WRITE>
    DenyAll
  </Limit>
  <Directory incoming>
    <Limit STOR>
      AllowAll
    </Limit>
  </Directory>
</Anonymous>
"""
