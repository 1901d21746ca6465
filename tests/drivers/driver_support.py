"""Commands for the driver tests: the Python driver over a test module, and the broken drivers."""

from __future__ import annotations

import sys
from pathlib import Path

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
