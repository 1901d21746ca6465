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
import tempfile
import threading
import traceback
from collections.abc import Callable, Mapping
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
        published = _publish(workload, env)
        # The scripts start once the client is ready, not before it is spawned: an accept's
        # timeout (5 s) would otherwise also have to cover the child's start, which on a
        # loaded machine it did not. The listeners are bound already: a connection waits.
        result = run_client(client_job(workload, env, published), workload, board, start_peers=peers.start)
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


def client_job(workload: Workload, env: Mapping[str, LuaValue],
               published: socket.socket | None = None) -> ClientJob:
    """The workload's ceiling client as a job, against the peer whose address ``env`` holds."""
    assert workload.ceiling is not None
    spec = workload.ceiling
    raw_host = env[f"{spec.peer}.host"]
    host = raw_host.decode("latin-1") if isinstance(raw_host, bytes) else str(raw_host)
    return ClientJob(client=spec.client, host=host,
                     port=int(env[f"{spec.peer}.port"]), size=workload.size, repetitions=workload.repetitions,
                     params=dict(spec.params), fd=published.fileno() if published is not None else None)


def run_client(job: ClientJob, workload: Workload, board: SyncBoard | None = None,
               start_peers: Callable[[], None] | None = None) -> CeilingResult:
    """Start the client process; once it is ready, start the peers' scripts (``start_peers``) and raise
    its signal (on ``board``); read its answer."""
    assert workload.ceiling is not None
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))}
    command = [sys.executable, "-m", "harness.bench.ceiling_child", json.dumps(asdict(job))]
    signal = workload.ceiling.params.get("signal")

    def ready() -> None:
        if start_peers is not None:
            start_peers()
        if signal is not None and board is not None:
            board.signal(str(signal), source="ceiling")

    first, rest, errors, returncode, killed = talk_to_child(command, environment, job.fd, ready)
    if killed:
        return CeilingResult(None, f"the {job.client} client took more than {CHILD_TIMEOUT:g}s")
    lines = rest.strip().splitlines()
    if first != READY or returncode != 0 or not lines:
        tail = errors.strip().splitlines()[-1:] if errors else []
        return CeilingResult(None, f"the {job.client} client failed (exit {returncode}): "
                                   f"{' '.join(tail) or first or 'no output'}")
    answer = json.loads(lines[-1])
    if "seconds" in answer:
        return CeilingResult(float(answer["seconds"]))
    return CeilingResult(None, f"{job.client}: {answer.get('error', 'no answer')}")


def talk_to_child(command: list[str], environment: dict[str, str], fd: int | None,
                  on_ready: Callable[[], None]) -> tuple[str, str, str, int, bool]:
    """Run ``command``; call ``on_ready`` after its ``ready`` line; its first line, the rest, its stderr,
    its exit status and whether it was killed for taking more than ``CHILD_TIMEOUT``.

    Standard output is read through one buffered reader only: a fast client
    can write its ``ready`` and its answer before the first read, and both
    then sit in that reader's buffer, where a second reader of the raw pipe
    (as ``communicate`` is) would never see the answer. Standard error goes
    to a file, so that a child writing much of it can never block while the
    harness waits for the end of its output.
    """
    with tempfile.TemporaryFile("w+") as error_file, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=error_file, text=True, env=environment,
            pass_fds=(fd,) if fd is not None else ()) as child:
        assert child.stdout is not None
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            child.kill()

        overdue = threading.Timer(CHILD_TIMEOUT, expire)
        overdue.start()
        try:
            first = child.stdout.readline().strip()
            if first == READY:
                on_ready()
            rest = child.stdout.read()
            returncode = child.wait()
        finally:
            overdue.cancel()
        error_file.seek(0)
        errors = error_file.read()
    return first, rest, errors, returncode, expired.is_set()
