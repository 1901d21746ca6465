"""What a driver costs: the round trip per call, and bulk TCP throughput through it vs natively.

Usage::

    python benchmarks/drivers.py                       # 10,000 calls, 256 MiB, 5 runs per side
    python benchmarks/drivers.py --quick               # small sizes, for smoke runs
    python benchmarks/drivers.py --only reference-driver

Prints one line per driver::

    DRIVER rtt=...µs bulk_driver=...MB/s bulk_native=...MB/s ratio=...

(MB = 10^6 bytes.) Method:

* ``rtt``: the mean wall time of one ``server:getsockname()`` through the
  driver, in one driver process (the spawn is not counted), after a
  warm-up: ``calls`` calls in five batches, and the median of the five
  batch means, so that one burst of load elsewhere does not decide the
  figure. This is the protocol's cost per call.
* ``bulk_driver``: a feeder process listens on loopback; the driver connects
  (``connect``), sends one byte to say "go", and then one call with
  ``repeat`` (PROTOCOL.md section 7) does ``receive(BLOCK)`` until the feeder
  closes, counting the bytes in the driver (``discard: "count"``). The rate is
  the bytes over the harness's wall time around that one call.
* ``bulk_native``: the same transfer with the same feeder, done in that
  runtime without a driver (for the Python driver: the reference called in
  this process, the same ``receive(BLOCK)`` loop).
* The two bulk sides run interleaved (driver, native, driver, ...), and the
  median rate of each side is reported; ``ratio`` is driver / native.

Adding a driver: append a ``DriverBench`` to ``BENCHES`` with the candidate
name (anything ``--candidate`` accepts) and a ``native`` function that runs
the transfer natively: given the feeder's port and the block size, connect,
send one byte, receive blocks until the peer closes, and return
``(bytes received, seconds)`` measured from just after the "go" byte.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.adapters.base import Call, Returned  # noqa: E402  (after the path set-up above)
from harness.adapters.driver_loops import RepeatRequest  # noqa: E402
from harness.candidates.registry import resolve  # noqa: E402
from harness.values import Handle  # noqa: E402

MiB = 1 << 20
LOOPBACK = "127.0.0.1"
_FORK = multiprocessing.get_context("fork")
Native = Callable[[int, int], tuple[int, float]]
"""(feeder port, block size) -> (bytes received, seconds), without any driver."""


@dataclass(frozen=True)
class Sizes:
    calls: int
    total: int
    block: int
    runs: int


FULL = Sizes(calls=10_000, total=256 * MiB, block=64 * 1024, runs=5)
QUICK = Sizes(calls=1_000, total=16 * MiB, block=64 * 1024, runs=3)
BATCHES = 5


@dataclass(frozen=True)
class DriverBench:
    name: str
    candidate: str
    native: Native


# -- the feeder: a separate process, so it never competes with the side being measured


def _feed(listener: socket.socket, total: int, block: int) -> None:
    conn, _ = listener.accept()
    listener.close()
    with conn:
        conn.recv(1)  # the "go" byte
        chunk = bytes(range(256)) * (block // 256)
        left = total
        while left:
            step = min(left, len(chunk))
            conn.sendall(chunk[:step])
            left -= step


def start_feeder(total: int, block: int) -> tuple[int, multiprocessing.process.BaseProcess]:
    listener = socket.create_server((LOOPBACK, 0))
    port = listener.getsockname()[1]
    process = _FORK.Process(target=_feed, args=(listener, total, block), daemon=True)
    process.start()
    listener.close()  # the child holds its own copy
    return port, process


# -- measurements through a driver ------------------------------------------


def _returned(outcome: object, what: str) -> tuple[object, ...]:
    if not isinstance(outcome, Returned):
        raise SystemExit(f"benchmark: {what} gave {outcome}")
    return outcome.values


def round_trip(adapter: object, calls: int) -> float:
    """Seconds per call of ``server:getsockname()``: the median of the batch means."""
    (server,) = _returned(adapter.call(Call("bind", (LOOPBACK.encode(), 0))), "bind")[:1]
    assert isinstance(server, Handle)
    call = Call("getsockname", (), "method", server)
    for _ in range(min(calls, 200)):
        adapter.call(call)
    per_batch = max(1, calls // BATCHES)
    means = []
    for _ in range(BATCHES):
        started = time.perf_counter()
        for _ in range(per_batch):
            adapter.call(call)
        means.append((time.perf_counter() - started) / per_batch)
    adapter.release([server])
    return statistics.median(means)


def bulk_through(adapter: object, sizes: Sizes) -> float:
    """Bytes per second of one repeated ``receive(block)`` call, by the harness's clock."""
    port, feeder = start_feeder(sizes.total, sizes.block)
    try:
        (client,) = _returned(adapter.call(Call("connect", (LOOPBACK.encode(), port))), "connect")[:1]
        assert isinstance(client, Handle)
        _returned(adapter.call(Call("send", (b"G",), "method", client)), "send")
        times = sizes.total // sizes.block + 2
        call = Call("receive", (sizes.block,), "method", client, deadline=600.0)
        started = time.perf_counter()
        outcome, report = adapter.call_repeated(call, RepeatRequest(times, stop=2, discard="count"))
        elapsed = time.perf_counter() - started
        _returned(outcome, "repeated receive")
        if report is None or report.bytes != sizes.total:
            raise SystemExit(f"benchmark: the driver received {report} bytes, expected {sizes.total}")
        adapter.release([client])
        return sizes.total / elapsed
    finally:
        feeder.join(30)


# -- natively, per runtime ---------------------------------------------------


def python_native(port: int, block: int) -> tuple[int, float]:
    """The reference in this process: what the Python driver does, minus the driver."""
    import reference

    (client,) = reference.connect(LOOPBACK, port)[:1]
    client.send(b"G")
    received = 0
    started = time.perf_counter()
    while True:
        data, error = client.receive(block)[:2]
        received += len(data)
        if error is not None:
            break
    elapsed = time.perf_counter() - started
    client.close()
    return received, elapsed


def bulk_native(native: Native, sizes: Sizes) -> float:
    port, feeder = start_feeder(sizes.total, sizes.block)
    try:
        received, elapsed = native(port, sizes.block)
    finally:
        feeder.join(30)
    if received != sizes.total:
        raise SystemExit(f"benchmark: the native run received {received} bytes, expected {sizes.total}")
    return received / elapsed


LUA_NATIVE_SCRIPT = Path(__file__).resolve().parent / "lua_native_bulk.lua"


def lua_native(runtime: str) -> Native:
    """The Lua drivers' transfer in plain ``runtime`` code: the 1.3b layer called directly.

    The script reports the bytes and its own clock's seconds (from just
    after the "go" byte), so interpreter start-up is not counted.
    """

    def native(port: int, block: int) -> tuple[int, float]:
        completed = subprocess.run([runtime, str(LUA_NATIVE_SCRIPT), str(port), str(block)],
                                   capture_output=True, text=True, timeout=600, check=False)
        if completed.returncode != 0:
            problem = completed.stderr.strip()
            raise SystemExit(f"benchmark: {runtime} {LUA_NATIVE_SCRIPT.name} failed: {problem}")
        received, seconds = completed.stdout.split()
        return int(received), float(seconds)

    return native


BENCHES: list[DriverBench] = [
    DriverBench("reference-driver", "reference-driver", python_native),
    DriverBench("luasocket3-lua5.1", "luasocket3-lua5.1", lua_native("lua5.1")),
    DriverBench("luasocket3-lua5.4", "luasocket3-lua5.4", lua_native("lua5.4")),
    DriverBench("luasocket3-luajit", "luasocket3-luajit", lua_native("luajit")),
]


def measure(bench: DriverBench, sizes: Sizes) -> str:
    adapter = resolve(bench.candidate).make_adapter()
    try:
        rtt = round_trip(adapter, sizes.calls)
        driver_rates, native_rates = [], []
        for _ in range(sizes.runs):
            driver_rates.append(bulk_through(adapter, sizes))
            native_rates.append(bulk_native(bench.native, sizes))
    finally:
        adapter.close()
    driver, native = statistics.median(driver_rates), statistics.median(native_rates)
    return (f"{bench.name} rtt={rtt * 1e6:.1f}µs bulk_driver={driver / 1e6:.1f}MB/s "
            f"bulk_native={native / 1e6:.1f}MB/s ratio={driver / native:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke runs")
    parser.add_argument("--runs", type=int, help="bulk runs per side (default 5)")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this driver (repeatable)")
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    if options.runs:
        sizes = Sizes(sizes.calls, sizes.total, sizes.block, options.runs)
    for bench in BENCHES:
        if options.only and bench.name not in options.only:
            continue
        spec = resolve(bench.candidate)
        why = spec.unavailable() if spec.unavailable is not None else None
        if why:
            print(f"{bench.name} skipped: {why}", flush=True)
            continue
        print(measure(bench, sizes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
