"""The protocol seed files keep showing every protocol feature of the format.

``scenarios/{http,ftp,smtp}/seed.yaml`` are the worked examples scenario
writers copy from; the suite runs them against the reference like any other
scenario. This test makes sure that, between them, they keep using every
fake-server kind, every check key, both callback kinds and record modes,
``abort-at``, generated data, ``!fmt``, ``!callback``, ``!absent`` and
outcome sets, so a feature cannot lose its example unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness
from harness.scenario.loader import load_file
from harness.scenario.model import CallStep, CheckCallbackStep, CheckStep, Scenario, Template
from harness.scenario.record_matchers import Absent, PartialTable
from harness.scenario.schema import CHECK_KEYS, SERVER_PEER_KINDS
from harness.values import LuaFunction

SCENARIOS = Path(harness.__file__).resolve().parent.parent / "scenarios"
SEEDS = [SCENARIOS / area / "seed.yaml" for area in ("http", "ftp", "smtp")]


def seed_scenarios() -> list[Scenario]:
    return [scenario for path in SEEDS for scenario in load_file(path)]


def walk(value: Any) -> Iterator[Any]:
    """Every value and matcher nested in a step's arguments or expectations."""
    yield value
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, PartialTable):
        for _, item in value.entries:
            yield from walk(item)


def test_each_protocol_has_five_to_ten_seeds() -> None:
    for path in SEEDS:
        assert 5 <= len(load_file(path)) <= 10, path


def test_seeds_use_every_server_kind_and_check_key() -> None:
    scenarios = seed_scenarios()
    kinds = {peer.kind for scenario in scenarios for peer in scenario.peers}
    assert set(SERVER_PEER_KINDS) <= kinds
    used = {key for scenario in scenarios for step in scenario.steps if isinstance(step, CheckStep)
            for outcome in step.outcomes for key in outcome.fields}
    assert used == {key for keys in CHECK_KEYS.values() for key in keys}


def test_seeds_use_every_callback_feature() -> None:
    scenarios = seed_scenarios()
    specs = [spec for scenario in scenarios for spec in scenario.callbacks]
    assert {(spec.kind, spec.record) for spec in specs} >= {("receive", "data"), ("receive", "digest"),
                                                            ("send", "data")}
    assert any(spec.kind == "receive" and spec.abort_at for spec in specs)
    assert any(spec.kind == "send" and spec.abort_at for spec in specs)
    assert any(spec.generate for spec in specs) and any(spec.chunks for spec in specs)
    checked = {key for scenario in scenarios for step in scenario.steps if isinstance(step, CheckCallbackStep)
               for outcome in step.outcomes for key in outcome.fields}
    assert checked == {"calls", "count", "data", "digest", "empty", "first", "last"}


def test_seeds_use_fmt_callback_absent_and_outcome_sets() -> None:
    scenarios = seed_scenarios()
    steps = [step for scenario in scenarios for step in scenario.steps]
    args = [value for step in steps if isinstance(step, CallStep) for value in walk(step.args)]
    assert any(isinstance(value, Template) for value in args)
    assert any(isinstance(value, LuaFunction) for value in args)
    checks = [step for step in steps if isinstance(step, (CheckStep, CheckCallbackStep))]
    expected = [value for step in checks for outcome in step.outcomes for value in walk(outcome.fields)]
    assert any(isinstance(value, Absent) for value in expected)
    assert any(len(step.outcomes) > 1 for step in checks if isinstance(step, CheckStep))
    assert any(len(step.outcomes) > 1 for step in checks if isinstance(step, CheckCallbackStep))
    server_options = [peer.options for scenario in scenarios for peer in scenario.peers]
    assert any(isinstance(value, Template) for options in server_options for value in walk(options))
