"""What the figures were measured on: a throughput figure is only worth as much as its context.

The CPU, how many cores this process may use, the Python that ran the
harness (and the reference, in process), the kernel, and the load average
before and after the session: a busy machine slows every side, and the
interleaving keeps the ratios fair, but the absolute rates are then low.
And whether the upload servers could fix their receive buffers as the
workloads ask (``rcvbuf``, ``fakeservers.addresses.set_receive_buffer``):
without CAP_NET_ADMIN a size past ``net.core.rmem_max`` is left to
autotuning, and the uploads then measure slower for every side.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fakeservers.addresses import can_force_receive_buffer, receive_buffer_fixable, system_receive_limit
from harness.scenario.model import Scenario

CPUINFO = Path("/proc/cpuinfo")


def cpu_model(cpuinfo: str | None = None) -> str:
    """The first "model name" of /proc/cpuinfo (or the platform's processor name)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def describe(workloads: Sequence[Scenario] = ()) -> dict[str, Any]:
    """The machine now: cpu, cores, python, platform, the current load average and the receive buffers.

    ``rcvbuf_autotuned`` lists the ``workloads`` whose servers ask for a
    receive buffer this process cannot fix.
    """
    force, limit = can_force_receive_buffer(), system_receive_limit()
    return {"cpu": cpu_model(), "cores": usable_cores(), "python": platform.python_version(),
            "platform": platform.platform(), "load_before": load_average(),
            "rcvbuf_force": force, "rmem_max": limit,
            "rcvbuf_autotuned": unfixed_receive_buffers(workloads, force, limit)}


def unfixed_receive_buffers(workloads: Sequence[Scenario], force: bool, limit: int) -> list[str]:
    """The ids of ``workloads`` with a server ``rcvbuf`` that ``set_receive_buffer`` would not fix."""
    return [workload.id for workload in workloads
            if any(not receive_buffer_fixable(int(peer.options["rcvbuf"]), force, limit)
                   for peer in workload.peers if peer.options.get("rcvbuf") is not None)]
