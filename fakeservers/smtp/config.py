"""The fake SMTP server's configuration.

As YAML (every key is optional)::

    host: auto              # a unique 127.x.y.z; default 127.0.0.1
    port: 25                # default 0 (ephemeral), or 25 when host is auto
    hostname: mail.test     # the name in the greeting and the HELO reply
    greeting: "554 go away" # replaces the greeting (same as replies: {GREETING: ...})
    replies: {RCPT: "550 no such user", DATA: "451-temp\\r\\n451 fail"}
    delay: {DATA-DONE: 0.5} # or one number: before every reply
    stall: RCPT             # or a list of reply points
    sink: true              # the lean engine for throughput workloads (no script; below)

``replies``, ``delay`` and ``stall`` take reply points (``GREETING``, a
command verb, ``DATA-DONE`` for the reply after the message); see
``fakeservers.replies`` for what a canned reply does to the command.

``sink: true`` replaces aiosmtpd by a minimal engine of our own
(``fakeservers.smtp.sink_protocol``): the commands a client needs to deliver
mail, envelopes recorded the same way, at a fraction of aiosmtpd's cost per
session, for the SMTP throughput workload. It takes no reply script.

``host: auto`` exists for LuaSocket 1.3b's ``smtp_mail``, which always
connects to port 25: it binds port 25 of a random loopback address (root or
CAP_NET_BIND_SERVICE needed; see ``fakeservers.addresses``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fakeservers.addresses import AUTO, SMTP_PORT
from fakeservers.config import ConfigError, Fields
from fakeservers.replies import ReplyScript, read_reply_script

DONE_VERBS = ("DATA",)
_KEYS = ("host", "port", "hostname", "greeting", "replies", "delay", "stall", "sink")
_SCRIPT_KEYS = ("greeting", "replies", "delay", "stall")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 0
    hostname: str = "lsconform.test"
    script: ReplyScript = field(default_factory=ReplyScript)
    sink: bool = False

    @property
    def auto_host(self) -> bool:
        return self.host == AUTO


def read_smtp_config(raw: Mapping[str, Any] | None, prefix: str = "") -> SmtpConfig:
    """Validate a configuration mapping (see the module docstring)."""
    fields = Fields(raw if raw is not None else {}, prefix, _KEYS)
    host, port = fields.address(SMTP_PORT)
    hostname = fields.text("hostname", "lsconform.test")
    if not hostname or any(char.isspace() for char in hostname):
        raise ConfigError(fields.field("hostname"), f"expected one word, got {hostname!r}")
    script = read_reply_script(fields, DONE_VERBS)
    sink = fields.flag("sink", False)
    if sink:
        fields.refuse(_SCRIPT_KEYS, "the sink engine (sink: true) has no reply script")
    return SmtpConfig(host=host, port=port, hostname=hostname, script=script, sink=sink)
