"""What this machine lets scenarios do, probed once per process.

A scenario's ``requires:`` names capabilities; one that is missing makes the
scenario SKIP with the reason found here, so a report says *why* (not root,
no IPv6 loopback...) instead of just "skipped".
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess

RAW_SOCKETS = "raw-sockets"
IPV6 = "ipv6"
NETNS = "netns"
KNOWN = (RAW_SOCKETS, IPV6, NETNS)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _probe_raw_sockets() -> str | None:
    if not _is_root():
        return "not running as root"
    family = getattr(socket, "AF_PACKET", socket.AF_INET)
    kind, proto = (socket.SOCK_RAW, 0) if family != socket.AF_INET else (socket.SOCK_RAW, socket.IPPROTO_TCP)
    try:
        socket.socket(family, kind, proto).close()
    except OSError as error:
        return f"cannot open a raw socket: {error}"
    return None


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


_PROBES = {RAW_SOCKETS: _probe_raw_sockets, IPV6: _probe_ipv6, NETNS: _probe_netns}


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
