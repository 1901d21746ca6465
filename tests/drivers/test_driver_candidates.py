"""Driver candidates by name: reference-driver, driver:python:MODULE, driver:COMMAND; the reuse switches."""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from driver_support import DRIVER, HERE, ROOT, python_driver

from harness.adapters import driver_spec
from harness.adapters.base import Call, Returned
from harness.adapters.driver import DriverAdapter
from harness.adapters.driver_loops import SequenceRequest
from harness.adapters.driver_spec import LeasedDriver
from harness.bench.rounds import can_sequence
from harness.candidates import registry
from harness.candidates.python_driver import import_root
from harness.cli import run as run_command
from harness.scenario.model import CallbackSpec


def test_reference_driver_is_shipped_and_runs_the_reference_in_a_child_process():
    spec = registry.resolve("reference-driver")
    assert spec.name == "reference-driver" and "driver" in spec.tags
    adapter = spec.make_adapter()
    try:
        assert isinstance(adapter, DriverAdapter)
        assert (adapter.info.name, adapter.info.version) == ("reference-driver", "1.3b")
        assert {"tcp", "udp", "select", "dns", "repeat"} <= adapter.info.capabilities
        assert adapter.pid is not None
    finally:
        adapter.close()


def test_driver_python_prefix_serves_any_importable_module():
    spec = registry.resolve("driver:python:drivermod")
    adapter = spec.make_adapter()
    try:
        assert adapter.info.name == "driver:python:drivermod"
        assert adapter.call(Call("single")) == Returned((b"one value",))
    finally:
        adapter.close()


def test_import_root_is_the_folder_the_module_was_found_in():
    import drivermod

    import reference
    from harness.adapters import driver_wire

    assert import_root(drivermod, "drivermod") == HERE
    assert import_root(reference, "reference") == HERE.parents[1]
    assert import_root(driver_wire, "harness.adapters.driver_wire") == HERE.parents[1]


@pytest.mark.parametrize(("name", "message"), [
    ("driver:python:no_such_module_here", "no_such_module_here"),
    ("driver:python:", "name a module"),
    ("driver:", "name a command"),
    ("driver:/nonexistent/driver", "not an executable file"),
    ("driver:no-such-program-lsconform", "not on PATH"),
    ("driver:lua 'unclosed", "cannot split"),
])
def test_bad_driver_names_fail_when_resolved(name, message):
    with pytest.raises(registry.CandidateError, match=message):
        registry.resolve(name)


def test_driver_command_prefix_runs_any_command_line():
    command = shlex.join([sys.executable, str(DRIVER), "--path", str(HERE), "drivermod"])
    spec = registry.resolve(f"driver:{command}")
    assert spec.name == f"driver:{command}"
    adapter = spec.make_adapter()
    try:
        assert adapter.info.name == "drivermod"
        assert adapter.call(Call("echo", (b"\x00\xff",))) == Returned((b"\x00\xff",))
    finally:
        adapter.close()


def test_known_names_list_the_driver_forms():
    names = registry.known_names()
    assert {"reference-driver", "driver:python:<module>", "driver:<command>"} <= set(names)


def test_reuse_can_be_switched_on_by_the_environment(monkeypatch):
    spec = driver_spec.driver_candidate("env-reuse", python_driver())
    monkeypatch.setenv(driver_spec.REUSE_ENV, "1")
    try:
        first = spec.make_adapter()
        assert isinstance(first, LeasedDriver)
        pid = first.driver.pid
        (sock,) = first.call(Call("socket_of", (b"tcp-client",))).values
        first.close()
        second = spec.make_adapter()
        assert second.driver.pid == pid
        assert second.call(Call("closed_total")) == Returned((1,)), "the lease's sockets were released"
        assert second.driver.held_handles == []
        second.close()
    finally:
        driver_spec.end_reuse()
    monkeypatch.setenv(driver_spec.REUSE_ENV, "0")
    fresh = spec.make_adapter()
    fresh.close()
    assert isinstance(fresh, DriverAdapter)


def test_a_lease_offers_everything_its_driver_does():
    # The bench asks for sequences and local callbacks, the start-up check for the failure:
    # a lease that lacked them fell back, or saw a dead driver as healthy, without a word.
    spec = driver_spec.driver_candidate("lease-offers", python_driver())
    driver_spec.set_reuse(True)
    try:
        lease = spec.make_adapter()
        assert isinstance(lease, LeasedDriver)
        assert can_sequence(lease, digest=True)
        outcome, report = lease.call_sequence([Call("closed_total")], SequenceRequest(rounds=3))
        assert outcome == Returned((0,)) and report is not None and len(report.results) == 1
        assert lease.set_local_callbacks([CallbackSpec("sink", "receive", record="digest")], lambda *_: None)
        assert lease.failure is None and lease.pid == lease.driver.pid
        lease.close()
        again = spec.make_adapter()
        assert again.driver._local == {}, "a kept driver's local callbacks end with the lease that set them"
        again.close()
    finally:
        driver_spec.end_reuse()


def test_the_cli_passes_reuse_on_to_the_plugin(tmp_path):
    parser = argparse.ArgumentParser()
    run_command.add_arguments(parser)
    args = parser.parse_args(["--reuse-driver", "--candidate", "reference-driver"])
    command = run_command.pytest_arguments(args, tmp_path, ["reference-driver"], tmp_path / "results.json")
    assert "--lsc-driver-reuse" in command
    plain = run_command.pytest_arguments(parser.parse_args([]), tmp_path, ["reference"], tmp_path / "r.json")
    assert "--lsc-driver-reuse" not in plain


def count_starts_command(pids: Path) -> str:
    """A ``driver:`` command line that notes each start in ``pids``, then becomes the Python driver."""
    driver = [sys.executable, str(DRIVER), "--path", str(ROOT), "reference"]
    note = f'echo $$ >> {shlex.quote(str(pids))}; exec "$0" "$@"'
    return "driver:" + shlex.join(["sh", "-c", note, *driver])


@pytest.mark.parametrize("reuse", [True, False])
def test_the_plugin_option_keeps_one_driver_for_the_whole_session(tmp_path, reuse):
    pids, results = tmp_path / "pids", tmp_path / "results.json"
    scenarios = ROOT / "scenarios" / "select" / "sets.yaml"
    command = [sys.executable, "-m", "pytest", str(scenarios), "-q", "-p", "no:cacheprovider",
               "-p", "no:xdist", "--lsc-candidate", count_starts_command(pids), "--lsc-results", str(results)]
    if reuse:
        command.append("--lsc-driver-reuse")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    records = json.loads(results.read_text())["results"]
    assert len(records) >= 3 and all(record["verdict"] == "PASS" for record in records)
    starts = len(pids.read_text().split())
    # one per scenario, plus one to describe the candidate in results.json, unless kept
    assert starts == (1 if reuse else len(records) + 1)
