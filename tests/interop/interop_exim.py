"""The Exim instance the SMTP interop tests talk to: a configuration text and the mailboxes it fills.

Exim was chosen because a whole instance is one configuration file given
with ``-C``: spool, logs, pid file and mailboxes all live in the test's
directory, and ``-bdf`` keeps the daemon in the foreground. (OpenSMTPD's
queue directory is fixed at build time, so two instances would share it;
Postfix needs a whole directory of configuration and several daemons.)

What the configuration accepts (domain ``interop.test`` only):

* ``alice``, ``bob`` and ``carol`` are delivered to maildirs under
  ``mail/<name>/new/``, one file per message and recipient. Exim stores lines
  with LF endings and prepends ``Return-path``, ``Envelope-to``,
  ``Delivery-date`` and ``Received``.
* ``mallory`` is refused at RCPT with :data:`REFUSAL_TEXT`, the text the
  reference must hand back as its error;
* anyone else, or another domain, is refused as a relay attempt.

Delivery happens in a process Exim forks after it has answered the final
``.``, so a test waits for the file to appear (:class:`Maildir`).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import grp
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from interop_daemon import poll_until

EXIM_ACCOUNT = "Debian-exim"
DOMAIN = "interop.test"
MAILBOXES = ("alice", "bob", "carol")
REFUSED = "mallory"
REFUSAL_TEXT = "550 mailbox mallory refuses interop mail"
RELAY_TEXT = "550 relaying to this address is not permitted"
DELIVERY_TIMEOUT = 15.0


@dataclass(frozen=True)
class EximInstance:
    """A running Exim as the tests see it: ``smtp_mail``'s ``server`` argument and the mailboxes."""

    address: str  # a 127.x.y.z of its own; the port is always 25
    mail_root: Path
    mainlog: Path

    def mailbox(self, name: str) -> Maildir:
        return Maildir(self.mail_root, name)


def exim_ids() -> tuple[int, int]:
    """uid and gid of the account Exim runs deliveries as (it never delivers as root)."""
    return pwd.getpwnam(EXIM_ACCOUNT).pw_uid, grp.getgrnam(EXIM_ACCOUNT).gr_gid


def prepare_dirs(work: Path) -> None:
    """Spool, log and mail folders, writable by the Exim account."""
    uid, gid = exim_ids()
    for name in ("spool", "log", "mail"):
        folder = work / name
        folder.mkdir()
        os.chown(folder, uid, gid)


def exim_config(work: Path, address: str) -> str:
    """The whole runtime configuration for one instance listening on ``address`` port 25."""
    mailboxes = " : ".join(MAILBOXES)
    return f"""exim_user = {EXIM_ACCOUNT}
exim_group = {EXIM_ACCOUNT}
primary_hostname = {DOMAIN}
qualify_domain = {DOMAIN}
domainlist local_domains = {DOMAIN}
local_interfaces = <; {address}
daemon_smtp_ports = 25
spool_directory = {work}/spool
log_file_path = {work}/log/%slog
pid_file_path = {work}/exim.pid
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
message_size_limit = 20M
acl_smtp_rcpt = check_recipient
acl_smtp_data = check_data

begin acl

check_recipient:
  deny    local_parts = {REFUSED}
          message = {REFUSAL_TEXT.removeprefix("550 ")}
  accept  domains = +local_domains
          verify = recipient
  deny    message = {RELAY_TEXT.removeprefix("550 ")}

check_data:
  accept

begin routers

mailbox_owner:
  driver = accept
  domains = +local_domains
  local_parts = {mailboxes}
  transport = maildir_delivery

begin transports

maildir_delivery:
  driver = appendfile
  directory = {work}/mail/$local_part_data
  maildir_format
  create_directory
  user = {EXIM_ACCOUNT}
  group = {EXIM_ACCOUNT}
  mode = 0600
  delivery_date_add
  envelope_to_add
  return_path_add
"""


@dataclass(frozen=True)
class Delivered:
    """One delivered copy: its headers (parsed) and its body exactly as stored."""

    headers: email.message.Message
    body: bytes


def parse_stored(raw: bytes) -> Delivered:
    """Split a stored message at the first empty line; the body is kept byte for byte."""
    head, separator, body = raw.partition(b"\n\n")
    if not separator:
        head, body = raw, b""
    headers = email.message_from_bytes(head + b"\n\n", policy=email.policy.compat32)
    return Delivered(headers, body)


class Maildir:
    """One recipient's maildir, read as the messages appear in ``new/``.

    The server outlives a single test, so a test takes :meth:`seen` before
    sending and then waits for what arrived after it.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.new = root / name / "new"

    def seen(self) -> set[str]:
        return {path.name for path in self.new.iterdir()} if self.new.is_dir() else set()

    def wait_new(
        self, before: set[str], count: int = 1, timeout: float = DELIVERY_TIMEOUT
    ) -> list[Delivered]:
        """The messages delivered since ``before``, once there are ``count`` (files are renamed in whole)."""
        if not poll_until(lambda: len(self.seen() - before) >= count, timeout):
            raise AssertionError(
                f"{self.new}: {len(self.seen() - before)} of {count} messages after {timeout} s"
            )
        return [parse_stored((self.new / name).read_bytes()) for name in sorted(self.seen() - before)]
