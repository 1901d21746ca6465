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
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EVENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CALL_RE = re.compile(r"^(?:(?P<target>[a-z_][a-z0-9_]*):)?(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")

FILE_KEYS = ("scenarios",)
SCENARIO_REQUIRED = ("id", "title", "manual", "spec", "steps")
SCENARIO_KEYS = ("id", "title", "manual", "spec", "tags", "requires", "notes", "peers", "steps")
PEER_KEYS = ("kind", "options", "script")
OUTCOME_KEYS = ("returns", "raises", "pending", "within", "verdict", "note")

# Step shapes, told apart by the key that names the step kind.
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "call": ("call", "args", "save", "expect", "deadline"),
    "signal": ("signal",),
    "wait": ("wait", "timeout"),
    "sleep": ("sleep",),
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
# address the peer binds (default 127.0.0.1), "backlog" the listen queue.
PEER_OPTIONS: dict[str, tuple[str, ...]] = {
    "tcp-server": ("host", "backlog"),
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
}
SHUTDOWN_HOW = ("write", "read", "both")
DEFAULT_SHUTDOWN_HOW = "write"

# Raw peer parameters with a closed set of values.
CHECKSUMS = ("good", "bad", "none")
ICMP_CODES = ("port", "host", "net", "protocol", "admin")
# Peer kinds whose connection a raw peer can inject into (its `peer` parameter).
CONNECTED_PEER_KINDS = ("tcp-server", "tcp-client")
