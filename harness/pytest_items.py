"""pytest collection nodes for scenario files: one item per scenario x candidate.

``ScenarioFile`` loads one YAML file with the scenario loader and yields a
``ScenarioItem`` for every (scenario, candidate) pair, named
``SCENARIO_ID[CANDIDATE]`` so that ``-k tcp.receive.line`` selects by id and
the node id reads ``tcp/receive.yaml::tcp.receive.line.crlf-stripped[reference]``.

The verdict decides pytest's outcome: PASS, NON-STRICT and INFORMATIONAL
pass; SKIP and UNIMPLEMENTED are skipped with their reason (neither is the
candidate misbehaving); FAIL, CRASH and TIMEOUT fail with a readable account
instead of a traceback. Against an expectations file (``--lsc-expectations``)
a listed failure is reported as xfail, and with ``--lsc-strict`` any result
the file does not describe fails. Whatever the outcome, the full result record rides
on the report's ``user_properties``, which pytest-xdist ships to the
controller, so results.json can be written once, there.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from harness.pytest_state import RUN_STATE, RunState
from harness.results import PASSING, result_record
from harness.scenario.model import Scenario, ScenarioResult, Verdict
from reports.text import failure_text

if TYPE_CHECKING:
    from harness.expectations import Expectation

RECORD_PROPERTY = "lsconform_result"
VERDICT_PROPERTY = "lsconform_verdict"


class ScenarioFailed(Exception):
    """Raised by ``ScenarioItem.runtest`` for FAIL, CRASH and TIMEOUT; carries the record."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(record["verdict"])
        self.record = record


class ExpectationMismatch(Exception):
    """Raised under ``--lsc-strict`` when a result is not what the expectations file says."""


class MisnamedFile(pytest.File):
    """A ``.yml`` file under the scenario root: a collection error, rather than scenarios that never run."""

    def collect(self) -> Iterator[ScenarioItem]:
        from harness.scenario.catalog import MISNAMED

        raise self.CollectError(f"{self.path}:1: file: {MISNAMED}")


class ScenarioFile(pytest.File):
    """A YAML file under the scenario root."""

    def collect(self) -> Iterator[ScenarioItem]:
        from harness.scenario.errors import ScenarioError
        from harness.scenario.loader import load_file

        state = _state(self.config)
        relative = self.path.resolve().relative_to(state.root)
        if len(relative.parts) < 2:
            raise self.CollectError(f"{self.path}:1: file: scenario files belong in an area folder "
                                    "(scenarios/<area>/), which names the first segment of their ids")
        area = relative.parts[0]
        try:
            scenarios = load_file(self.path, area=area)
        except ScenarioError as error:
            # A collection error naming path:line: field: message, not a traceback.
            raise self.CollectError(str(error)) from None
        for scenario in scenarios:
            earlier = state.claim_id(scenario.id, str(scenario.location))
            if earlier is not None:
                raise self.CollectError(f"{scenario.location}: id: duplicate id {scenario.id} "
                                        f"(also at {earlier})")
        for scenario in scenarios:
            markers = list(dict.fromkeys(state.marker_for(tag) for tag in (*scenario.tags, area)))
            for candidate in state.candidate_names:
                item = ScenarioItem.from_parent(self, name=f"{scenario.id}[{candidate}]", scenario=scenario,
                                                candidate=candidate, area=area)
                for marker in markers:
                    item.add_marker(marker)
                yield item


class ScenarioItem(pytest.Item):
    """One scenario run against one candidate."""

    def __init__(self, *, scenario: Scenario, candidate: str, area: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.candidate = candidate
        self.area = area

    def runtest(self) -> None:
        state = _state(self.config)
        result = self._run(state)
        record = state.localize(result_record(result, self.scenario, self.area))
        self.user_properties.append((VERDICT_PROPERTY, record["verdict"]))
        self.user_properties.append((RECORD_PROPERTY, record))
        verdict = Verdict(record["verdict"])
        entry = self._judge_against_expectations(state, verdict)
        if verdict in PASSING:
            return
        if verdict is Verdict.SKIP:
            _skip(record["reason"] or "skipped (no reason given)")
        if verdict is Verdict.UNIMPLEMENTED:
            reason = record["reason"] or "the candidate lacks a function this scenario needs"
            _skip(reason if reason.startswith("UNIMPLEMENTED") else f"UNIMPLEMENTED: {reason}")
        if entry is not None:  # listed with another verdict: the account says which (a regression)
            record = {**record, "expectation": {"status": "regression", "verdict": entry.verdict.value,
                                                "reason": entry.reason}}
        raise ScenarioFailed(record)

    def _judge_against_expectations(self, state: RunState, verdict: Verdict) -> Expectation | None:
        """xfail for a listed failure; fail for any mismatch when strict; otherwise the verdict decides.

        Returns the scenario's entry, if its candidate's expectations file has one.
        """
        listed = state.expectations.get(self.candidate)
        if listed is None:
            return None
        from harness.expectations import Status, classify

        entry = listed.entries.get(self.scenario.id)
        status = classify(verdict, entry)
        if status is Status.EXPECTED and entry is not None and verdict.is_failure:
            pytest.xfail(f"expected {verdict.value} ({listed.source}): {entry.reason}")
        if status is not Status.REGRESSION and status.fails(state.strict):
            listed_as = f"lists it as {entry.verdict.value} ({entry.reason})" if entry else "does not list it"
            raise ExpectationMismatch(f"{status.value}: the verdict is {verdict.value}, and {listed.source} "
                                      f"{listed_as}")
        return entry

    def _run(self, state: RunState) -> ScenarioResult:
        """Run the scenario; a harness exception becomes a CRASH result, never a lost record."""
        from harness.runner import run_scenario

        try:
            spec = state.candidate(self.candidate)
            return run_scenario(self.scenario, spec, state.run_options())
        except Exception as error:  # recorded as CRASH, with its traceback
            return ScenarioResult(
                scenario=self.scenario.id,
                candidate=self.candidate,
                verdict=Verdict.CRASH,
                duration=0.0,
                reason=f"harness error: {type(error).__name__}: {error}",
                step=str(self.scenario.location),
                actual="".join(traceback.format_exception(error)).rstrip(),
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return failure_text(excinfo.value.record)
        if isinstance(excinfo.value, ExpectationMismatch):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.location.line - 1, f"{self.scenario.id} [{self.candidate}]"


def _skip(reason: str) -> NoReturn:
    """Skip, reported at the scenario's place (``reportinfo``) rather than at this line.

    ``_use_item_location`` is how pytest's own skip markers get that; without
    it ``-rs`` would point every skipped scenario at this module.
    """
    raise pytest.skip.Exception(reason, _use_item_location=True)


def _state(config: pytest.Config) -> RunState:
    return config.stash[RUN_STATE]
