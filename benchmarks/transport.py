"""Throughput of the reference against plain Python sockets, on loopback.

Usage::

    python benchmarks/transport.py            # full sizes, 7 runs per side
    python benchmarks/transport.py --quick    # small sizes, for smoke runs
    LSBENCH_QUICK=1 python benchmarks/transport.py

Prints one line per workload, ``NAME reference=... baseline=... ratio=...``
where ratio is reference/baseline of the median rates (three digits: the
targets are thresholds such as 0.9, and 0.899 is below one); the ``receive-all``
line also carries ``peak=``, the reference's peak traced memory during one
extra (untimed) run, as a multiple of the bytes received.

Method. Each workload is run as reference, baseline, reference, baseline...
(interleaved, so drifts in machine load hit both sides alike; the UDP
workload interleaves within a run, below) and the median rate of each side
is reported. The peer that sends the data is a separate
process, started before the clock starts. The baseline is what a careful
Python programmer would write with the ``socket`` module alone:

* ``receive-all``: ``"*a"`` of 256 MiB vs ``recv`` chunks joined at close;
* ``receive-lines``: 2,000,000 ``"*l"`` lines of 64 bytes vs
  ``makefile("rb").readline()``;
* ``receive-4096``: ``receive(4096)`` over 256 MiB vs ``recv(4096)``;
* ``udp-datagrams``: 500,000 datagrams of 512 bytes, ``receive()`` vs
  ``recv(65535)``. The sender posts a batch small enough for the default
  socket buffer and only then signals the receiver, which times the draining
  of each batch: a Python sender is slower than a Python receiver, so timing
  a free-running stream would measure the sender. Each run serves both
  sides at once, a batch to each socket, drained one side after the other
  (the first side taking turns): a run lasts under a second, and a change
  in machine load within it, which moved the ratio between 0.76 and 0.94
  from run to run when each side had a run of its own, now hits both.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import reference as ls  # noqa: E402  (after the path set-up above)

MiB = 1 << 20
LINE = b"L" * 63 + b"\n"
DATAGRAM = b"D" * 512
UDP_BATCH = 64  # datagrams in flight at once: fits the default receive buffer
_FORK = multiprocessing.get_context("fork")

Run = Callable[[], tuple[float, float]]  # one timed run: (reference rate, baseline rate)
Drain = Callable[[int], None]  # receives that many queued datagrams


@dataclass(frozen=True)
class Sizes:
    stream_bytes: int
    lines: int
    datagrams: int
    runs: int


FULL = Sizes(stream_bytes=256 * MiB, lines=2_000_000, datagrams=500_000, runs=7)
QUICK = Sizes(stream_bytes=16 * MiB, lines=100_000, datagrams=20_000, runs=5)


# -- peers (run in child processes) -----------------------------------------


def _feed_stream(port: int, block: bytes, total: int) -> None:
    """Connect, send ``total`` bytes made of ``block`` repeated, close."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        view = memoryview(block)
        left = total
        while left:
            step = min(left, len(block))
            sock.sendall(view[:step])
            left -= step


def _feed_datagrams(ports: tuple[int, ...], count: int, control: Connection) -> None:
    """Send ``count`` datagrams to each port in batches, each batch announced on ``control``.

    If the receiver does not acknowledge a batch (a datagram was dropped),
    one more datagram goes to each port every second until it does, so a
    loss can never hang a run.
    """
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in ports]
    try:
        for sock, port in zip(socks, ports, strict=True):
            sock.connect(("127.0.0.1", port))
        sent = 0
        while sent < count:
            batch = min(UDP_BATCH, count - sent)
            for sock in socks:
                send = sock.send
                for _ in range(batch):
                    send(DATAGRAM)
            sent += batch
            control.send_bytes(b"ready")
            while not control.poll(1.0):
                for sock in socks:
                    sock.send(DATAGRAM)
            control.recv_bytes()
    finally:
        for sock in socks:
            sock.close()


# -- one timed run per side and workload ------------------------------------


def _stream_peer(block: bytes, total: int) -> Callable[[int], multiprocessing.process.BaseProcess]:
    def start(port: int) -> multiprocessing.process.BaseProcess:
        process = _FORK.Process(target=_feed_stream, args=(port, block, total), daemon=True)
        process.start()
        return process

    return start


def _reference_stream(start_peer: Callable[[int], multiprocessing.process.BaseProcess],
                      consume: Callable[[ls.TcpClient], None]) -> float:
    server, *_ = ls.bind("127.0.0.1", 0)
    peer = start_peer(server.getsockname()[1])
    conn, *_ = server.accept()
    server.close()
    began = time.perf_counter()
    consume(conn)
    elapsed = time.perf_counter() - began
    conn.close()
    peer.join()
    return elapsed


def _baseline_stream(start_peer: Callable[[int], multiprocessing.process.BaseProcess],
                     consume: Callable[[socket.socket], None]) -> float:
    with socket.create_server(("127.0.0.1", 0)) as server:
        peer = start_peer(server.getsockname()[1])
        conn, _ = server.accept()
    with conn:
        began = time.perf_counter()
        consume(conn)
        elapsed = time.perf_counter() - began
    peer.join()
    return elapsed


def _in_turn(reference: Callable[[], float], baseline: Callable[[], float]) -> Run:
    """A run of a stream workload: the reference's run of its own, then the baseline's."""
    return lambda: (reference(), baseline())


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark data check failed: {what}")


def receive_all(sizes: Sizes) -> Run:
    total = sizes.stream_bytes
    start_peer = _stream_peer(bytes(range(256)) * (MiB // 256), total)

    def reference_consume(conn: ls.TcpClient) -> None:
        data, error = conn.receive("*a")
        _check(error is None and len(data) == total, "reference *a length")

    def baseline_consume(conn: socket.socket) -> None:
        parts = []
        while chunk := conn.recv(256 * 1024):
            parts.append(chunk)
        data = b"".join(parts)
        _check(len(data) == total, "baseline length")

    return _in_turn(lambda: total / _reference_stream(start_peer, reference_consume),
                    lambda: total / _baseline_stream(start_peer, baseline_consume))


def receive_lines(sizes: Sizes) -> Run:
    count = sizes.lines
    start_peer = _stream_peer(LINE * (MiB // len(LINE)), count * len(LINE))

    def reference_consume(conn: ls.TcpClient) -> None:
        receive = conn.receive
        for _ in range(count - 1):
            receive()
        _check(receive() == (LINE[:-1], None), "reference last line")

    def baseline_consume(conn: socket.socket) -> None:
        with conn.makefile("rb") as stream:
            readline = stream.readline
            for _ in range(count - 1):
                readline()
            _check(readline() == LINE, "baseline last line")

    return _in_turn(lambda: count / _reference_stream(start_peer, reference_consume),
                    lambda: count / _baseline_stream(start_peer, baseline_consume))


def receive_4096(sizes: Sizes) -> Run:
    total = sizes.stream_bytes
    start_peer = _stream_peer(bytes(range(256)) * (MiB // 256), total)

    def reference_consume(conn: ls.TcpClient) -> None:
        receive = conn.receive
        for _ in range(total // 4096):
            data, error = receive(4096)
        _check(error is None and len(data) == 4096, "reference block")

    def baseline_consume(conn: socket.socket) -> None:
        recv = conn.recv
        got = 0
        while got < total:
            got += len(recv(4096))

    return _in_turn(lambda: total / _reference_stream(start_peer, reference_consume),
                    lambda: total / _baseline_stream(start_peer, baseline_consume))


def _udp_run(ports: tuple[int, int], drains: tuple[Drain, Drain], count: int) -> tuple[float, float]:
    """Rates of the two sides draining ``count`` datagrams each, batch by batch, in turns."""
    ours, theirs = _FORK.Pipe()
    sender = _FORK.Process(target=_feed_datagrams, args=(ports, count, theirs), daemon=True)
    sender.start()
    busy = [0.0, 0.0]
    received = 0
    first = 0
    while received < count:
        ours.recv_bytes()
        batch = min(UDP_BATCH, count - received)
        for side in (first, 1 - first):
            began = time.perf_counter()
            drains[side](batch)
            busy[side] += time.perf_counter() - began
        first = 1 - first
        received += batch
        ours.send_bytes(b"next")
    sender.join()
    ours.close()
    theirs.close()
    return count / busy[0], count / busy[1]


def udp_datagrams(sizes: Sizes) -> Run:
    count = sizes.datagrams

    def run() -> tuple[float, float]:
        udp, *_ = ls.udpsocket()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.setsockname("127.0.0.1", 0)
            sock.bind(("127.0.0.1", 0))
            receive = udp.receive
            recv = sock.recv

            def reference(batch: int) -> None:
                for _ in range(batch):
                    result = receive()
                _check(result == (DATAGRAM,), "reference datagram")

            def baseline(batch: int) -> None:
                for _ in range(batch):
                    data = recv(65535)
                _check(data == DATAGRAM, "baseline datagram")

            ports = (udp.getsockname()[1], sock.getsockname()[1])
            return _udp_run(ports, (reference, baseline), count)
        finally:
            udp.close()
            sock.close()

    return run


def peak_memory_ratio(sizes: Sizes) -> float:
    """Peak traced memory of one reference ``"*a"`` run, per byte received."""
    total = sizes.stream_bytes
    start_peer = _stream_peer(bytes(range(256)) * (MiB // 256), total)
    peak = 0

    def consume(conn: ls.TcpClient) -> None:
        nonlocal peak
        tracemalloc.start()
        data, _ = conn.receive("*a")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _check(len(data) == total, "reference *a length (memory run)")

    _reference_stream(start_peer, consume)
    return peak / total


# -- driver ------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    unit: str
    scale: float
    digits: int
    setup: Callable[[Sizes], Run]


WORKLOADS = (
    Workload("receive-all", "GB/s", 1e9, 2, receive_all),
    Workload("receive-lines", "Mlines/s", 1e6, 2, receive_lines),
    Workload("receive-4096", "GB/s", 1e9, 2, receive_4096),
    Workload("udp-datagrams", "kdatagrams/s", 1e3, 0, udp_datagrams),
)


def measure(workload: Workload, sizes: Sizes) -> tuple[float, float]:
    """Median rates (reference, baseline) over interleaved runs."""
    run = workload.setup(sizes)
    reference_rates: list[float] = []
    baseline_rates: list[float] = []
    for _ in range(sizes.runs):
        reference_rate, baseline_rate = run()
        reference_rates.append(reference_rate)
        baseline_rates.append(baseline_rate)
    return statistics.median(reference_rates), statistics.median(baseline_rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (also LSBENCH_QUICK=1)")
    parser.add_argument("--runs", type=int, help="runs per side (default 7; at least 5 for real figures)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this workload")
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick or os.environ.get("LSBENCH_QUICK") else FULL
    if options.runs:
        sizes = Sizes(sizes.stream_bytes, sizes.lines, sizes.datagrams, options.runs)
    for workload in WORKLOADS:
        if options.only and workload.name not in options.only:
            continue
        reference_rate, baseline_rate = measure(workload, sizes)
        def show(rate: float, w: Workload = workload) -> str:
            return f"{rate / w.scale:.{w.digits}f}{w.unit}"

        line = (f"{workload.name} reference={show(reference_rate)} baseline={show(baseline_rate)} "
                f"ratio={reference_rate / baseline_rate:.3f}")
        if workload.name == "receive-all":
            line += f" peak={peak_memory_ratio(sizes):.2f}x"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
