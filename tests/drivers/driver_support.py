"""Driver test helpers: the Python driver over a test module, the broken drivers, ``Recording``."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.adapters.base import Adapter, CandidateSpec
from harness.adapters.driver_spec import LeasedDriver

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DRIVER = ROOT / "drivers" / "python" / "driver.py"
BROKEN = HERE / "broken" / "broken_driver.py"
VARIANT = HERE / "broken" / "variant_driver.py"


def python_driver(module: str = "drivermod", *extra: str) -> list[str]:
    """The Python driver serving a module from this folder (or the project root)."""
    return [sys.executable, str(DRIVER), "--path", str(HERE), "--path", str(ROOT), *extra, module]


def broken_driver(mode: str, *extra: str) -> list[str]:
    return [sys.executable, str(BROKEN), mode, *extra]


def variant_driver(mode: str, module: str = "reference") -> list[str]:
    return [sys.executable, str(VARIANT), mode, "--path", str(HERE), "--path", str(ROOT), module]


class Recording:
    """A candidate spec that remembers the driver pid behind every adapter it made."""

    def __init__(self, spec: CandidateSpec) -> None:
        self.pids: list[int | None] = []
        self._make = spec.make_adapter
        self.spec = CandidateSpec(spec.name, spec.description, self._adapter, spec.tags)

    def _adapter(self) -> Adapter:
        adapter = self._make()
        driver = adapter.driver if isinstance(adapter, LeasedDriver) else adapter
        self.pids.append(driver.pid)  # type: ignore[attr-defined]
        return adapter
