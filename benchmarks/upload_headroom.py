"""How much of an upload's ceiling the fake server costs: one client against it and a bare sink.

Usage::

    python benchmarks/upload_headroom.py                    # the four upload workloads, 9 rounds
    python benchmarks/upload_headroom.py --rounds 5 --workload perf.http.post.64mib

Prints one line per workload::

    perf.http.post.64mib fake=1772 (1266-2080) bare=2449 (2020-3262) fake/bare=0.72

(MB/s: median, then min-max over the rounds.) ``lsconform bench`` reports
each workload's peer ceiling: the rate of a plain client (``http-post`` and
``ftp-put`` in ``harness/bench/ceilings.py``, which hand the kernel their
bodies with ``sendfile``) against the workload's own fake server. When the
fastest candidates reach that ceiling, the question is whose limit it is,
the fake server's or the machine's. This puts the same client, in the same
kind of child process, against the fake server (``measure_ceiling``: a
fresh server from the workload's scenario each round) and against a bare
sink in C, compiled with ``cc`` into a temporary directory, that does the
least the protocol allows, one connection at a time: ``bare_http_sink.c``
reads each request's head and its Content-Length of body into one buffer
and answers; ``bare_ftp_sink.c`` answers an anonymous passive-mode upload's
dialogue and reads each data connection to its end. The sinks check
nothing; the fake servers compare every byte with the upload the workload
expects, record the request or file and keep a transcript, in Python.
Rounds alternate the two (a fresh sink process each), so a drift in
machine load hits both alike. ``fake/bare`` near 1 says the fake server
costs nothing measurable; well below 1, that it sets the ceiling, and a
candidate near that ceiling may be held back by it.

A bare sink in Python was tried as well and left out: a plain blocking
``recv_into`` loop reached only about two thirds of the fake HTTP server's
rate, which batches its reads (``fakeservers/read_batching.py``), so it
bounded nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.bench.ceiling_run import client_job, measure_ceiling, run_client  # noqa: E402  (after the path set-up)
from harness.scenario.catalog import load_catalog  # noqa: E402
from harness.scenario.model import Scenario  # noqa: E402

WORKLOADS = ("perf.http.post.64mib", "perf.http.postindirect.16mib", "perf.ftp.put.64mib",
             "perf.ftp.putindirect.16mib")
SINK_SOURCES = {"http-post": "bare_http_sink.c", "ftp-put": "bare_ftp_sink.c"}
"""The bare sink for each ceiling client, a C file beside this one."""


# -- measuring -------------------------------------------------------------------


@contextmanager
def sink_process(command: list[str]) -> Iterator[int]:
    """Start a sink; yields its port; kills it afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"{command[0]} did not print its port (got {line!r})")
        yield int(line)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def bare_seconds(scenario: Scenario, port: int) -> float:
    """The ceiling client against a bare sink on ``port``, run as ``lsconform bench`` runs it."""
    workload = scenario.workload
    assert workload is not None and workload.ceiling is not None
    peer = workload.ceiling.peer
    result = run_client(client_job(workload, {f"{peer}.host": "127.0.0.1", f"{peer}.port": port}), workload)
    if result.seconds is None:
        raise RuntimeError(f"{scenario.id} against the bare sink: {result.error}")
    return result.seconds


def fake_seconds(scenario: Scenario) -> float:
    result = measure_ceiling(scenario)
    if result is None or result.seconds is None:
        raise RuntimeError(f"{scenario.id}: {result.error if result else 'no ceiling client'}")
    return result.seconds


def compile_c_sink(directory: Path, source_name: str) -> tuple[list[str] | None, str]:
    """The C sink's command, or None and why not."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None, "no C compiler (cc, gcc) on PATH"
    source = Path(__file__).resolve().parent / source_name
    binary = directory / source.stem
    built = subprocess.run([compiler, "-O2", "-o", str(binary), str(source)], capture_output=True,
                           text=True, check=False)
    if built.returncode != 0:
        return None, f"{compiler} failed: {built.stderr.strip()[-300:]}"
    return [str(binary)], ""


def ceiling_client(scenario: Scenario | None) -> str | None:
    """The workload's ceiling client, if ``scenario`` is a workload that names one."""
    if scenario is None or scenario.workload is None or scenario.workload.ceiling is None:
        return None
    return scenario.workload.ceiling.client


def describe(rates: list[float]) -> str:
    return f"{statistics.median(rates) / 1e6:.0f} ({min(rates) / 1e6:.0f}-{max(rates) / 1e6:.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append",
                        help="workload id (repeatable; default: " + ", ".join(WORKLOADS) + ")")
    parser.add_argument("--rounds", type=int, default=9, help="rounds per workload (default 9)")
    options = parser.parse_args(argv)
    if options.rounds < 1:
        parser.error("--rounds must be at least 1")
    catalog = load_catalog().by_id
    ids = options.workload or list(WORKLOADS)
    clients = {workload_id: ceiling_client(catalog.get(workload_id)) for workload_id in ids}
    for workload_id, client in clients.items():
        if client not in SINK_SOURCES:
            parser.error(f"--workload {workload_id}: not a shipped workload with an upload ceiling client "
                         f"({', '.join(SINK_SOURCES)})")
    with tempfile.TemporaryDirectory(prefix="lsconform-headroom-") as scratch:
        sinks: dict[str, list[str]] = {}
        for client in sorted(set(clients.values())):
            assert client is not None
            sink, why = compile_c_sink(Path(scratch), SINK_SOURCES[client])
            if sink is None:
                print(f"upload_headroom: cannot build {SINK_SOURCES[client]}: {why}", file=sys.stderr)
                return 1
            sinks[client] = sink
        for workload_id in ids:
            scenario = catalog[workload_id]
            assert scenario.workload is not None
            size = scenario.workload.size
            fake: list[float] = []
            bare: list[float] = []
            for number in range(1, options.rounds + 1):
                fake.append(size / fake_seconds(scenario))
                with sink_process(sinks[str(clients[workload_id])]) as port:
                    bare.append(size / bare_seconds(scenario, port))
                print(f"  {workload_id} round {number}/{options.rounds}: fake {fake[-1] / 1e6:.0f}, "
                      f"bare {bare[-1] / 1e6:.0f} MB/s", file=sys.stderr, flush=True)
            ratio = statistics.median(fake) / statistics.median(bare)
            print(f"{workload_id} fake={describe(fake)} bare={describe(bare)} fake/bare={ratio:.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
