"""What this machine lets scenarios do, probed once per process.

A scenario's ``requires:`` names capabilities; one that is missing makes the
scenario SKIP with the reason found here, so a report says *why* (not root,
no IPv6 loopback...) instead of just "skipped".
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import socket
import subprocess

RAW_SOCKETS = "raw-sockets"
IPV6 = "ipv6"
NETNS = "netns"
NFTABLES = "nftables"
PRIVILEGED_PORTS = "privileged-ports"
KNOWN = (RAW_SOCKETS, IPV6, NETNS, NFTABLES, PRIVILEGED_PORTS)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _probe_raw_sockets() -> str | None:
    """What the raw peer needs, tried for real: scapy, an IP sender and a sniffer on lo.

    The sockets are opened rather than the user id checked, because
    CAP_NET_RAW without root is enough and root without it is not.
    """
    try:
        importlib.import_module("scapy.layers.inet")
    except Exception as error:  # ImportError, or scapy failing while it sets itself up
        return f"scapy is not importable: {error}"
    if not hasattr(socket, "AF_PACKET"):
        return "this system has no packet sockets (AF_PACKET)"
    for label, family, proto in (("an IP raw socket", socket.AF_INET, socket.IPPROTO_RAW),
                                 ("a packet socket", socket.AF_PACKET, 0)):
        try:
            socket.socket(family, socket.SOCK_RAW, proto).close()
        except PermissionError as error:
            return f"not allowed to open {label} (needs root or CAP_NET_RAW): {error}"
        except OSError as error:
            return f"cannot open {label}: {error}"
    return None


def _probe_nftables() -> str | None:
    from harness import firewall

    return firewall.probe()


def _probe_ipv6() -> str | None:
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError as error:
        return f"cannot bind ::1: {error}"
    return None


def _probe_netns() -> str | None:
    if not _is_root():
        return "not running as root"
    ip = shutil.which("ip")
    if ip is None:
        return "the ip command (iproute2) is not installed"
    try:
        done = subprocess.run([ip, "netns", "list"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"ip netns list failed: {error}"
    if done.returncode != 0:
        return f"ip netns list failed: {done.stderr.strip() or done.returncode}"
    return None


def _probe_privileged_ports() -> str | None:
    """Port 21 of a unique 127.x.y.z, bound for real (what a fake server with ``host: auto`` does).

    Root, CAP_NET_BIND_SERVICE or a lowered ``ip_unprivileged_port_start``
    all work, and only a real bind says which applies here. Port 21 is the
    lowest of the well-known ports the servers take (21, 25, 80): the
    kernel's rule is one threshold, so if it may be bound so may the others.
    """
    from fakeservers import can_bind_privileged

    ok, reason = can_bind_privileged()
    return None if ok else reason


_PROBES = {RAW_SOCKETS: _probe_raw_sockets, IPV6: _probe_ipv6, NETNS: _probe_netns, NFTABLES: _probe_nftables,
           PRIVILEGED_PORTS: _probe_privileged_ports}


@functools.cache
def probe() -> dict[str, str | None]:
    """Each known capability -> None if available, else why it is missing."""
    return {name: check() for name, check in _PROBES.items()}


def detect() -> frozenset[str]:
    """The capabilities available here."""
    return frozenset(name for name, missing in probe().items() if missing is None)


def why_missing(name: str, available: frozenset[str] | None = None) -> str | None:
    """None if ``name`` is available (in ``available``, or as detected), else the reason."""
    if available is None:
        if name not in _PROBES:
            return f"unknown capability (known: {', '.join(KNOWN)})"
        return probe()[name]
    if name in available:
        return None
    detected = probe().get(name) if name in _PROBES else None
    return detected or "not enabled for this run"
