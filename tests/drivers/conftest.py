"""Fixtures for the driver tests: adapters that are always closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from driver_support import python_driver

from harness.adapters.driver import DriverAdapter


@pytest.fixture
def start_driver() -> Iterator[Callable[..., DriverAdapter]]:
    """Start adapters over a command (default: the Python driver over drivermod); all closed at the end."""
    started: list[DriverAdapter] = []

    def start(command: list[str] | None = None, **options: object) -> DriverAdapter:
        adapter = DriverAdapter(command or python_driver(), **options)  # type: ignore[arg-type]
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        adapter.close()


@pytest.fixture
def adapter(start_driver: Callable[..., DriverAdapter]) -> DriverAdapter:
    return start_driver()
