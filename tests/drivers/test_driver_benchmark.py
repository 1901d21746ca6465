"""``benchmarks/drivers.py`` runs end to end on tiny sizes and prints its line (no figure is judged)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "drivers.py"


def load_benchmark():
    """The script as a module (it is not in a package); registered first, as dataclasses require."""
    name = "lsconform_driver_benchmark"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCHMARK)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_one_line_per_driver_in_the_documented_shape():
    bench = load_benchmark()
    sizes = bench.Sizes(calls=50, total=1 << 20, block=64 * 1024, runs=1)
    line = bench.measure(bench.BENCHES[0], sizes)
    pattern = (r"reference-driver rtt=[\d.]+µs bulk_driver=[\d.]+MB/s "
               r"bulk_native=[\d.]+MB/s ratio=[\d.]+")
    assert re.fullmatch(pattern, line), line


def test_the_native_python_transfer_receives_every_byte():
    bench = load_benchmark()
    port, feeder = bench.start_feeder(300_000, 4096)
    try:
        received, seconds = bench.python_native(port, 4096)
    finally:
        feeder.join(10)
    assert received == 300_000 and seconds >= 0
    assert feeder.exitcode == 0
