"""The scenario file schema as data: keys, name syntax, closed value sets.

The loader validates against these tables and ``scenarios/README.md``
documents them; keeping them in one place stops the two from drifting. Peer
actions and their parameters live in ``model.PEER_OPS`` because the peers
dispatch on the same table.
"""

from __future__ import annotations

import re

from harness.scenario.model import Verdict

# Ids are hierarchical: area.function.topic.case, e.g. tcp.receive.line.strips-every-cr
ID_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9][a-z0-9-]*)+$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EVENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CALL_RE = re.compile(r"^(?:(?P<target>[a-z_][a-z0-9_]*):)?(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")

FILE_KEYS = ("scenarios",)
SCENARIO_REQUIRED = ("id", "title", "manual", "spec", "steps")
SCENARIO_KEYS = ("id", "title", "manual", "spec", "tags", "requires", "environment", "notes", "peers",
                 "callbacks", "steps", "workload")  # workload: perf scenarios only (harness.bench.workload)
PEER_KEYS = ("kind", "options", "script")
OUTCOME_KEYS = ("returns", "raises", "pending", "within", "verdict", "note", "stop")

# Step shapes, told apart by the key that names the step kind.
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "call": ("call", "args", "save", "expect", "deadline"),
    "signal": ("signal",),
    "wait": ("wait", "timeout"),
    "sleep": ("sleep",),
    "check": ("check", "requests", "envelopes", "commands", "transfers", "stored", "logins", "count",
              "expect"),
    "check-callback": ("check-callback", "calls", "count", "empty", "data", "digest", "first", "last",
                       "expect"),
}

VERDICTS: dict[str, Verdict] = {
    "pass": Verdict.PASS,
    "non-strict": Verdict.NON_STRICT,
    "informational": Verdict.INFORMATIONAL,
}

# Environment capabilities a scenario may require; the runner checks each one
# before running and reports SKIP with the reason when it is missing.
CAPABILITIES: dict[str, str] = {
    "raw-sockets": "crafting packets with scapy (root or CAP_NET_RAW)",
    "ipv6": "an IPv6 loopback (::1) that accepts connections",
    "netns": "a private network namespace (unshare -n) for routing and address tricks",
    "nftables": "packet filter rules through nf_tables (root or CAP_NET_ADMIN), e.g. to drop SYNs",
    "privileged-ports": "listening on port 21, 25 or 80 of a 127.x.y.z address "
                        "(root or CAP_NET_BIND_SERVICE)",
}

# The process environment variables the API reads (spec §1.7), which a
# scenario's ``environment`` may set; for every scenario, those it does not
# set are unset (harness.environment), whatever the shell running the suite has.
API_VARIABLES: dict[str, str] = {
    "SERVER_NAME": "the domain smtp_mail sends in HELO (unset: localhost)",
}

# Capabilities implied by what a scenario's peers do: the loader insists that
# the scenario lists them in `requires`, so that a machine without them SKIPs
# the scenario (with the reason) instead of crashing in the middle of it.
PEER_KIND_REQUIRES: dict[str, tuple[str, ...]] = {"raw": ("raw-sockets",)}
PEER_OP_REQUIRES: dict[str, tuple[str, ...]] = {
    "drop-syn": ("nftables",),
    "allow-syn": ("nftables",),
    "refuse-syn": ("nftables",),
}

# Options a peer accepts besides its script, per kind: "host" is the local
# address the peer binds (default 127.0.0.1), "backlog" the listen queue,
# "rcvbuf" a fixed receive buffer (SO_RCVBUF, no autotuning) in bytes.
PEER_OPTIONS: dict[str, tuple[str, ...]] = {
    "tcp-server": ("host", "backlog", "rcvbuf"),
    "tcp-client": ("host",),
    "udp": ("host",),
    "raw": ("host",),
}

# How each peer action parameter is checked and converted (see load_peers).
PARAM_KINDS: dict[str, str] = {
    "data": "bytes",
    "slices": "slices",
    "delay": "seconds",
    "expect": "matcher",
    "count": "count",
    "timeout": "timeout",
    "how": "how",
    "host": "host",
    "port": "port",
    "from-port": "port",
    "name": "event",
    "seconds": "seconds",
    "from-host": "host",
    "checksum": "checksum",
    "size": "fragment-size",
    "order": "fragment-order",
    "code": "icmp-code",
    "peer": "peer",
    "times": "count",
    "window": "count",
    "length": "count",
}
SHUTDOWN_HOW = ("write", "read", "both")
DEFAULT_SHUTDOWN_HOW = "write"

# Raw peer parameters with a closed set of values.
CHECKSUMS = ("good", "bad", "none")
ICMP_CODES = ("port", "host", "net", "protocol", "admin")
# Peer kinds whose connection a raw peer can inject into (its `peer` parameter).
CONNECTED_PEER_KINDS = ("tcp-server", "tcp-client")

# -- protocol scenarios: fake servers, callbacks, inspection -----------------

# Fake-server peer kinds and the ``fakeservers.from_config`` kind behind each.
# Their ``options`` are exactly that server's configuration mapping.
SERVER_PEER_KINDS: dict[str, str] = {"http-server": "http", "smtp-server": "smtp", "ftp-server": "ftp"}
SERVER_PEER_KEYS = ("kind", "options")

# What a ``check: PEER`` step may inspect, per fake-server peer kind.
CHECK_KEYS: dict[str, tuple[str, ...]] = {
    "http-server": ("requests", "count"),
    "smtp-server": ("envelopes", "commands", "count"),
    "ftp-server": ("commands", "transfers", "stored", "uploads", "logins"),
}
# The fields of one received record, per list key; an entry lists some of them.
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "requests": ("method", "target", "version", "request_line", "headers", "body", "body_length",
                 "body_sha256", "raw", "error"),
    "envelopes": ("helo", "mail_from", "rcpt_tos", "content", "wire"),
    "transfers": ("verb", "argument", "mode"),
    "uploads": ("path", "user", "length", "sha256", "complete", "data"),
    "logins": ("user", "password", "accepted"),
}

# Streaming callbacks (``callbacks:``), passed to calls as ``!callback NAME``.
CALLBACK_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CALLBACK_KEYS: dict[str, tuple[str, ...]] = {
    "receive": ("kind", "record", "abort-at", "message"),
    "send": ("kind", "chunks", "generate", "total", "after", "abort-at", "message"),
}
CALLBACK_RECORDS = ("data", "digest")
SEND_AFTER = ("empty", "repeat")
"""What a send callback returns once its chunks are used up: "" (and the total), or all its data again."""
GENERATE_KEYS = ("size", "pattern", "chunk")
# check-callback keys each callback kind supports (data needs record: data).
CHECK_CALLBACK_FIELDS: dict[str, tuple[str, ...]] = {
    "receive": ("calls", "count", "empty", "data", "digest", "first", "last"),
    "send": ("calls", "count", "first", "last"),
}
