"""The three LuaSocket 3 candidates: registered, located from the package, skipped where unavailable."""

from __future__ import annotations

from pathlib import Path

import pytest
from lua_support import CANDIDATES, DRIVERS_LUA, RUNTIMES

from harness.adapters.base import Call, Returned
from harness.candidates.luasocket3 import luasocket3_candidate, runtime_problem
from harness.candidates.registry import resolve
from harness.runner import run_scenario
from harness.scenario.model import CallStep, Scenario, SourceLocation, Verdict


def one_call_scenario() -> Scenario:
    step = CallStep(function="toip", style="global", target=None, args=(b"127.0.0.1",), save=(), expect=(),
                    deadline=None, location=SourceLocation("tests/lua/inline.yaml", 1))
    return Scenario(id="dns.toip.inline", title="toip of an IP", manual="DNS / toip", spec="§9", tags=(),
                    requires=(), peers=(), steps=(step,), location=SourceLocation("tests/lua/inline.yaml", 1))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_each_runtime_is_a_shipped_candidate_running_the_lua_driver(runtime: str) -> None:
    spec = resolve(CANDIDATES[runtime])
    assert spec.name == f"luasocket3-{runtime}"
    assert spec.unavailable is not None
    assert {"driver", "lua", "luasocket3"} <= spec.tags


def test_the_driver_is_found_from_the_package_not_the_working_directory(
        runtime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing of the project here
    with resolve(CANDIDATES[runtime]).make_adapter() as adapter:
        assert adapter.info.name == CANDIDATES[runtime]
        outcome = adapter.call(Call("toip", (b"127.0.0.1",)))
    assert isinstance(outcome, Returned) and outcome.values[0] == b"127.0.0.1"
    assert (DRIVERS_LUA / "driver.lua").is_file()


def test_a_missing_runtime_is_named_with_how_to_install_it() -> None:
    problem = runtime_problem("lsconform-no-such-lua")
    assert problem is not None
    assert "lsconform-no-such-lua is not installed" in problem and "apt-get install" in problem


def test_a_runtime_without_luasocket_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "fake-lua"
    fake.write_text("#!/bin/sh\necho \"module 'socket' not found\" >&2\nexit 1\n")
    fake.chmod(0o755)
    problem = runtime_problem(str(fake))
    assert problem is not None and "LuaSocket 3 is not available" in problem and "not found" in problem


def test_an_unavailable_candidate_skips_every_scenario_with_the_reason() -> None:
    spec = luasocket3_candidate("luasocket3-nowhere", "lsconform-no-such-lua", "a runtime that is not there")
    result = run_scenario(one_call_scenario(), spec)
    assert result.verdict is Verdict.SKIP
    assert "luasocket3-nowhere is unavailable" in result.reason
    assert "lsconform-no-such-lua is not installed" in result.reason


def test_an_available_candidate_runs_the_scenario(runtime: str) -> None:
    result = run_scenario(one_call_scenario(), resolve(CANDIDATES[runtime]))
    assert result.verdict is Verdict.PASS, result.reason
