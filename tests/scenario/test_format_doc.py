"""scenarios/README.md stays in step with the loader.

Every complete example on the page (a ``yaml`` block starting with
``scenarios:``) must load, and every tag, key, peer action, capability and
error family the loader knows must be documented there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import harness
from harness.scenario.error_classes import ERROR_CLASSES
from harness.scenario.loader import load_file
from harness.scenario.model import PEER_OPS, CallStep, SignalStep, WaitStep
from harness.scenario.schema import (
    CALLBACK_KEYS,
    CALLBACK_RECORDS,
    CAPABILITIES,
    CHECK_CALLBACK_FIELDS,
    CHECK_KEYS,
    GENERATE_KEYS,
    OUTCOME_KEYS,
    PEER_KEYS,
    PEER_OPTIONS,
    RECORD_FIELDS,
    SCENARIO_KEYS,
    SERVER_PEER_KINDS,
    STEP_KEYS,
    VERDICTS,
)
from harness.scenario.yamlsource import TAGS

README = Path(harness.__file__).resolve().parent.parent / "scenarios" / "README.md"
TEXT = README.read_text(encoding="utf-8")
EXAMPLES = [block for block in re.findall(r"```yaml\n(.*?)```", TEXT, re.S) if block.startswith("scenarios:")]


def test_page_has_the_two_complete_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{n}" for n in range(1, len(EXAMPLES) + 1)])
def test_complete_examples_load(tmp_path: Path, example: str) -> None:
    area = re.search(r"id: ([a-z0-9]+)\.", example).group(1)
    path = tmp_path / area / "example.yaml"
    path.parent.mkdir()
    path.write_text(example, encoding="utf-8")
    assert load_file(path)


def test_second_example_uses_peers_sync_points_and_both_call_styles(tmp_path: Path) -> None:
    path = tmp_path / "tcp" / "example.yaml"
    path.parent.mkdir()
    path.write_text(EXAMPLES[1], encoding="utf-8")
    (scenario,) = load_file(path)
    assert scenario.peers
    kinds = {type(step) for step in scenario.steps}
    assert {CallStep, SignalStep, WaitStep} <= kinds
    assert {step.style for step in scenario.steps if isinstance(step, CallStep)} == {"global", "method"}
    assert len(scenario.steps[3].expect) == 2


@pytest.mark.parametrize("word", [
    *TAGS, *SCENARIO_KEYS, *OUTCOME_KEYS, *PEER_KEYS, *STEP_KEYS, *VERDICTS, *CAPABILITIES, *ERROR_CLASSES,
    # sorted: parameter ids must not depend on set order, or xdist workers disagree
    *sorted({option for options in PEER_OPTIONS.values() for option in options}),
    *sorted({op for ops in PEER_OPS.values() for op in ops}),
    *sorted({param.rstrip("!") for ops in PEER_OPS.values() for params in ops.values() for param in params}),
    # protocol scenarios: fake-server peers, callbacks, check steps
    *SERVER_PEER_KINDS, *CALLBACK_RECORDS, *GENERATE_KEYS,
    *sorted({key for keys in STEP_KEYS.values() for key in keys}),
    *sorted({key for keys in CHECK_KEYS.values() for key in keys}),
    *sorted({key for keys in RECORD_FIELDS.values() for key in keys}),
    *sorted({key for keys in CALLBACK_KEYS.values() for key in keys}),
    *sorted({key for keys in CHECK_CALLBACK_FIELDS.values() for key in keys}),
])
def test_every_schema_word_is_documented(word: str) -> None:
    assert f"`{word}" in TEXT, f"scenarios/README.md does not document `{word}`"
