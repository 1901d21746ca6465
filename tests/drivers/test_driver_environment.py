"""The API's environment variable (SERVER_NAME) is the scenario's, whatever the shell running the suite has.

A scenario calls ``server_name`` (``drivermod``: SERVER_NAME as the
candidate's process sees it) in process, through a driver started per
scenario and through a kept one; the shell's own SERVER_NAME is set
throughout, and must be seen by none of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from driver_support import Recording, python_driver

from harness import environment
from harness.adapters import driver_spec
from harness.adapters.base import CandidateSpec
from harness.adapters.driver_spec import driver_candidate
from harness.candidates.python_module import in_process_spec, spec_for
from harness.runner import RunOptions, run_scenario
from harness.scenario.matchers import Exact
from harness.scenario.model import CallStep, ExpectedOutcome, Scenario, SourceLocation, Verdict

OPTIONS = RunOptions(default_deadline=5.0, leak_grace=2.0)
WHERE = SourceLocation("tests/drivers/environment.yaml", 1)
SHELL_VALUE = "shell.example"


def seeing(value: str | None, settings: environment.ApiEnvironment = ()) -> Scenario:
    """A scenario with ``settings`` whose candidate must see SERVER_NAME as ``value``."""
    expected = ExpectedOutcome(returns=(Exact(None if value is None else value.encode()),))
    step = CallStep(function="server_name", style="global", target=None, args=(), expect=(expected,),
                    location=WHERE)
    return Scenario(id="drivers.environment.case", title="SERVER_NAME", manual="", spec="", tags=(),
                    requires=(), peers=(), steps=(step,), location=WHERE, environment=settings)


SET = seeing("client.example", (("SERVER_NAME", "client.example"),))
UNSET = seeing(None)
LINE_BREAK = seeing("a\r\nb", (("SERVER_NAME", "a\r\nb"),))


@pytest.fixture(autouse=True)
def shell_server_name(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SERVER_NAME", SHELL_VALUE)
    yield
    assert os.environ.get("SERVER_NAME") == SHELL_VALUE, "the shell's value is back after every scenario"


def verdicts(spec: CandidateSpec, *scenarios: Scenario) -> list[Verdict]:
    results = [run_scenario(scenario, spec, OPTIONS) for scenario in scenarios]
    for result in results:
        assert result.leaks == (), result.leaks
    return [result.verdict for result in results]


def test_in_process_candidate_sees_the_scenarios_variable_only() -> None:
    spec = in_process_spec("drivermod", "drivermod-in-process")
    assert verdicts(spec, SET, UNSET, LINE_BREAK, UNSET) == [Verdict.PASS] * 4


@pytest.mark.parametrize("first", [UNSET, SET], ids=["unset-first", "set-first"])
def test_a_module_reading_the_variable_at_import_sees_it_unset_whoever_imports_it(first: Scenario) -> None:
    """Imported by ``spec_for`` at the start of a run, or by the first scenario's adapter."""
    sys.modules.pop("importtimemod", None)
    try:
        if first is UNSET:
            spec = spec_for("python:importtimemod")
        else:
            spec = in_process_spec("importtimemod", "imported-in-a-scenario")
            assert run_scenario(first, spec, OPTIONS).verdict is Verdict.FAIL, "it read the variable once"
        assert verdicts(spec, UNSET) == [Verdict.PASS]
    finally:
        sys.modules.pop("importtimemod", None)


def test_a_driver_per_scenario_is_started_with_the_scenarios_variable_only() -> None:
    driver_spec.set_reuse(False)
    try:
        spec = driver_candidate("environment", python_driver("drivermod"))
        assert verdicts(spec, SET, UNSET, LINE_BREAK) == [Verdict.PASS] * 3
    finally:
        driver_spec.set_reuse(None)


def test_a_kept_driver_serves_only_scenarios_of_the_environment_it_started_in() -> None:
    driver_spec.set_reuse(True)
    try:
        candidate = Recording(driver_candidate("environment-reused", python_driver("drivermod")))
        assert verdicts(candidate.spec, UNSET, UNSET, SET, SET, UNSET) == [Verdict.PASS] * 5
        first, again, changed, kept, back = candidate.pids
        assert first == again and changed == kept, "the same environment keeps its driver"
        assert len({first, changed, back}) == 3, "another environment gets a driver started in it"
    finally:
        driver_spec.end_reuse()


def test_a_candidates_own_env_cannot_set_an_api_variable() -> None:
    """Its ``env`` would otherwise decide every scenario's HELO domain behind the scenarios' backs."""
    driver_spec.set_reuse(False)
    try:
        spec = driver_candidate("environment-configured", python_driver("drivermod"),
                                env={"SERVER_NAME": "configured.example", "LSC_UNRELATED": "kept"})
        assert verdicts(spec, UNSET, SET) == [Verdict.PASS] * 2
    finally:
        driver_spec.set_reuse(None)


def test_the_transcript_names_the_variables_a_scenario_set() -> None:
    wrong = seeing("other.example", (("SERVER_NAME", "client.example"),))
    result = run_scenario(wrong, in_process_spec("drivermod", "drivermod-in-process"), OPTIONS)
    assert result.verdict is Verdict.FAIL
    assert any(entry.source == "harness" and entry.text == "environment SERVER_NAME='client.example'"
               for entry in result.transcript)


def test_scenario_environment_restores_what_was_there() -> None:
    with environment.scenario_environment((("SERVER_NAME", "inside.example"),)):
        assert os.environ["SERVER_NAME"] == "inside.example"
        with environment.scenario_environment(()):
            assert "SERVER_NAME" not in os.environ
        assert os.environ["SERVER_NAME"] == "inside.example"
    assert os.environ["SERVER_NAME"] == SHELL_VALUE
