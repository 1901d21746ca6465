"""One measurement of a workload's peer ceiling: its peers, started as for a run, and a plain client.

The peers are exactly those a candidate meets (the same scripts, the same
fake servers); only the steps are replaced by the plain-socket client named
in ``workload.ceiling`` (``ceilings``), run in a child process
(``ceiling_child``) so that the peers have this interpreter to themselves.
The peers must finish their scripts as they would for a correct candidate,
so a client that did the exchange wrong gives an error, not a figure.

``udp-receive`` is the one client whose peer needs something from "the
steps": the address to send to, and a signal to start. The harness binds
that socket here, publishes its address under the variable names the
client's parameters give, hands the descriptor to the child, and raises the
signal once the child is ready.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.bench.ceiling_child import READY
from harness.bench.ceilings import ClientJob
from harness.bench.workload import Workload
from harness.peers.base import PeerContext
from harness.peers.group import LeftoverState, PeerGroup
from harness.peers.sync import SyncBoard
from harness.runner import RunOptions
from harness.scenario.model import Scenario
from harness.transcript import Transcript
from harness.values import LuaValue

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 600.0
"""Seconds a ceiling client may take in all before it is killed."""


@dataclass(frozen=True)
class CeilingResult:
    seconds: float | None
    error: str = ""


def measure_ceiling(scenario: Scenario, options: RunOptions | None = None) -> CeilingResult | None:
    """Seconds the plain client took for one run's work; None if the workload names no ceiling client."""
    workload: Workload | None = scenario.workload
    if workload is None or workload.ceiling is None:
        return None
    options = options or RunOptions()
    transcript = Transcript()
    env: dict[str, LuaValue] = {}
    board = SyncBoard(transcript)
    peers = PeerGroup(scenario.peers, PeerContext(board, transcript, env, options.time_scale,
                                                  options.default_deadline))
    published: socket.socket | None = None
    try:
        env.update(peers.setup())
        peers.start()
        published = _publish(workload, env)
        result = _run_child(_job(workload, env, published), board, workload)
        if result.seconds is None:
            failures = peers.failures()
            return CeilingResult(None, result.error + (f"; {failures[0].reason}" if failures else ""))
        unfinished = peers.wait_done(options.default_deadline * options.time_scale)
        failures = peers.failures()
        if failures:
            return CeilingResult(None, failures[0].reason)
        if unfinished:
            return CeilingResult(None, f"peer {unfinished[0].name} did not finish its script after the "
                                       f"{workload.ceiling.client} client")
        return result
    except Exception:
        return CeilingResult(None, f"{workload.ceiling.client}: harness error:\n{traceback.format_exc()}")
    finally:
        if published is not None:
            published.close()
        with contextlib.suppress(LeftoverState):  # tcp, udp and server peers change nothing in the system
            peers.stop()


def _publish(workload: Workload, env: dict[str, LuaValue]) -> socket.socket | None:
    """For ``udp-receive``: bind the receiving socket and give its address the names the peer reads."""
    assert workload.ceiling is not None
    if workload.ceiling.client != "udp-receive":
        return None
    host_variable, port_variable = workload.ceiling.params["save"]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    env[host_variable] = b"127.0.0.1"
    env[port_variable] = sock.getsockname()[1]
    return sock


def _job(workload: Workload, env: dict[str, LuaValue], published: socket.socket | None) -> ClientJob:
    assert workload.ceiling is not None
    spec = workload.ceiling
    raw_host = env[f"{spec.peer}.host"]
    host = raw_host.decode("latin-1") if isinstance(raw_host, bytes) else str(raw_host)
    return ClientJob(client=spec.client, host=host,
                     port=int(env[f"{spec.peer}.port"]), size=workload.size, repetitions=workload.repetitions,
                     params=dict(spec.params), fd=published.fileno() if published is not None else None)


def _run_child(job: ClientJob, board: SyncBoard, workload: Workload) -> CeilingResult:
    """Start the client process, raise its signal once it is ready, read its answer."""
    assert workload.ceiling is not None
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))}
    command = [sys.executable, "-m", "harness.bench.ceiling_child", json.dumps(asdict(job))]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
                          pass_fds=(job.fd,) if job.fd is not None else ()) as child:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        if first == READY and "signal" in workload.ceiling.params:
            board.signal(str(workload.ceiling.params["signal"]), source="ceiling")
        try:
            rest, errors = child.communicate(timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            return CeilingResult(None, f"the {job.client} client took more than {CHILD_TIMEOUT:g}s")
    if first != READY or child.returncode != 0:
        tail = errors.strip().splitlines()[-1:] if errors else []
        return CeilingResult(None, f"the {job.client} client failed (exit {child.returncode}): "
                                   f"{' '.join(tail) or first or 'no output'}")
    answer = json.loads(rest.strip().splitlines()[-1])
    if "seconds" in answer:
        return CeilingResult(float(answer["seconds"]))
    return CeilingResult(None, f"{job.client}: {answer.get('error', 'no answer')}")
