"""Load one scenario file into frozen ``model.Scenario`` objects.

The file is checked as a whole against the schema (``schema.py``,
documented in ``scenarios/README.md``): unknown keys, wrong types, bad ids,
unbound ``!ref``/``VAR:`` names and waits nobody signals are all errors.
Every problem found is reported at once in one ``ScenarioError``, each as
``path:line: field: message``; nothing half-loaded is ever returned.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.errors import Collector, ScenarioError
from harness.scenario.load_callbacks import load_callbacks
from harness.scenario.load_peers import load_peers, required_capabilities
from harness.scenario.load_steps import load_steps
from harness.scenario.located import YList, YMap
from harness.scenario.model import CallStep, PeerSpec, Scenario, SourceLocation, Step
from harness.scenario.schema import (
    API_VARIABLES,
    CAPABILITIES,
    FILE_KEYS,
    ID_RE,
    SCENARIO_KEYS,
    SCENARIO_REQUIRED,
    TAG_RE,
)
from harness.scenario.yamlsource import parse_yaml

__all__ = ["ScenarioError", "load_file"]


_LOADED: dict[tuple[str, str | None, bytes], tuple[Scenario, ...]] = {}
"""Files already loaded in this process, by path as given, area and content digest."""


def load_file(path: Path | str, area: str | None = None) -> tuple[Scenario, ...]:
    """All scenarios of one file, in file order.

    ``area`` is the required first segment of every id; by default the name
    of the folder holding the file (``scenarios/tcp/x.yaml`` -> ``tcp``).
    Raises ``ScenarioError`` listing every problem of the file.

    One ``lsconform run`` loads the suite up to three times in one process
    (the command's own checks, the plugin's expectations check, pytest's
    collection), at about a second each: a file whose bytes are the same
    as at its last load gives the same (frozen) scenarios again. Keyed by
    content, not by modification time, which cannot tell apart two writes
    within one clock tick. The file is read once: the bytes parsed are the
    bytes keyed, so an edit landing during a load cannot file one content's
    scenarios under another's digest. An unreadable file raises ``OSError``.
    """
    path = Path(path)
    raw = path.read_bytes()
    key = (str(path), area, hashlib.sha256(raw).digest())
    if key not in _LOADED:
        _LOADED[key] = _load(path, area, raw)
    return _LOADED[key]


def _load(path: Path, area: str | None, raw: bytes) -> tuple[Scenario, ...]:
    collector = Collector(str(path))
    checker = Checker(collector)
    document = parse_yaml(raw, collector)
    scenarios: list[Scenario] = []
    if document.parsed:
        checker.pending = list(document.invalid)
        scenarios = _load_document(checker, document.data, area if area is not None else path.parent.name)
        checker.report_unclaimed()
    collector.raise_if_any()
    return tuple(scenarios)


def _load_document(checker: Checker, data: Any, area: str) -> list[Scenario]:
    shape = "a mapping with the single key scenarios (a list)"
    if not checker.expect(data, 1, "scenarios", shape, isinstance(data, YMap)):
        return []
    if not checker.keys(data, "", FILE_KEYS, FILE_KEYS):
        return []
    items = data["scenarios"]
    if not checker.expect(items, data.line_of("scenarios"), "scenarios", "a list of scenarios",
                          isinstance(items, YList)):
        return []
    scenarios = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(items):
        field = f"scenarios[{index}]"
        scenario = _load_scenario(checker, item, items.line_of(index), field, area)
        if scenario is None:
            continue
        if scenario.id in first_line:
            checker.report(scenario.location.line, join(field, "id"),
                           f"duplicate id {scenario.id} (first at line {first_line[scenario.id]})")
            continue
        first_line[scenario.id] = scenario.location.line
        scenarios.append(scenario)
    return scenarios


def _load_scenario(checker: Checker, raw: Any, line: int, field: str, area: str) -> Scenario | None:
    item = checker.mapping(raw, line, field)
    if item is None:
        return None
    complete = checker.keys(item, field, SCENARIO_KEYS, SCENARIO_REQUIRED)
    scenario_id = _load_id(checker, item, field, area)
    title = checker.text(item, "title", field) if "title" in item else None
    manual = checker.text(item, "manual", field) if "manual" in item else None
    spec = checker.text(item, "spec", field) if "spec" in item else None
    notes = (checker.text(item, "notes", field) or "") if "notes" in item else ""
    tags = _load_names(checker, item, "tags", field)
    requires = _load_names(checker, item, "requires", field)
    environment = _load_environment(checker, item, field) if "environment" in item else ()
    bindings = Bindings()
    peers = load_peers(checker, item["peers"], item.line_of("peers"), join(field, "peers"), bindings) \
        if "peers" in item else ()
    callbacks = load_callbacks(checker, item["callbacks"], item.line_of("callbacks"),
                               join(field, "callbacks"), bindings) if "callbacks" in item else ()
    steps = load_steps(checker, item["steps"], item.line_of("steps"), join(field, "steps"), bindings) \
        if "steps" in item else ()
    workload = _load_workload(checker, item, field, area, steps, peers, bindings)
    bindings.finish(checker)
    for capability, user in required_capabilities(peers).items():
        if capability not in requires:
            line = item.line_of("requires") if "requires" in item else item.line
            checker.report(line, join(field, "requires"), f"{user} needs {capability!r}: list it in "
                           "requires (the scenario is then skipped, with the reason, where it is missing)")
    if not complete or None in (scenario_id, title, manual, spec) or workload is FAILED:
        return None
    functions = dict.fromkeys(step.function for step in steps if isinstance(step, CallStep))
    return Scenario(id=scenario_id, title=title, manual=manual, spec=spec, tags=tags, requires=requires,
                    peers=peers, steps=steps, location=SourceLocation(checker.collector.path, item.line),
                    notes=notes, functions=tuple(functions), callbacks=callbacks, workload=workload,
                    environment=environment)


def _load_workload(checker: Checker, item: YMap, field: str, area: str, steps: tuple[Step, ...],
                   peers: tuple[PeerSpec, ...], bindings: Bindings) -> Any:
    """The ``workload`` section: required in the ``perf`` area, refused elsewhere (None if absent)."""
    from harness.bench.workload import PERF_AREA, load_workload

    if "workload" not in item:
        if area == PERF_AREA:
            checker.report(item.line, join(field, "workload"), "a perf scenario needs a workload section "
                           "(what one run measures; scenarios/README.md, Perf workloads)")
            return FAILED
        return None
    if area != PERF_AREA:
        checker.report(item.line_of("workload"), join(field, "workload"),
                       f"only scenarios under {PERF_AREA}/ have a workload")
        return FAILED
    workload = load_workload(checker, item["workload"], item.line_of("workload"), join(field, "workload"),
                             steps, peers, bindings)
    return FAILED if workload is None else workload


def _load_environment(checker: Checker, item: YMap, field: str) -> tuple[tuple[str, str], ...]:
    """``environment``: API variables (``API_VARIABLES``) and their text, sorted by name.

    Only the variables the API reads may be named: anything else would
    change the harness and its drivers rather than the candidate's inputs.
    """
    raw, line, env_field = item["environment"], item.line_of("environment"), join(field, "environment")
    mapping = checker.mapping(raw, line, env_field)
    if mapping is None:
        return ()
    settings: dict[str, str] = {}
    for name in mapping:
        value, value_line, value_field = mapping[name], mapping.line_of(name), join(env_field, str(name))
        if name not in API_VARIABLES:
            known = "; ".join(f"{known} ({why})" for known, why in API_VARIABLES.items())
            checker.report(value_line, value_field, f"not a variable the API reads (known: {known})")
        elif checker.expect(value, value_line, value_field, "text (quote it)", isinstance(value, str)):
            if "\0" in value:
                checker.report(value_line, value_field, "an environment variable cannot hold a NUL byte")
            else:
                settings[name] = value
    return tuple(sorted(settings.items()))


def _load_id(checker: Checker, item: YMap, field: str, area: str) -> str | None:
    if "id" not in item:
        return None
    raw, line, id_field = item["id"], item.line_of("id"), join(field, "id")
    if not checker.expect(raw, line, id_field, "an id", isinstance(raw, str)):
        return None
    if not ID_RE.match(raw):
        checker.report(line, id_field, f"{raw!r} is not a valid id: lower-case dotted segments "
                                       "(letters, digits, '-'), at least two, e.g. tcp.receive.line.crlf")
        return None
    if raw.split(".", 1)[0] != area:
        checker.report(line, id_field, f"{raw!r} must start with {area + '.'!r}: "
                                       f"the first segment names the area folder ({area}/)")
        return None
    return raw


def _load_names(checker: Checker, item: YMap, key: str, field: str) -> tuple[str, ...]:
    """``tags`` (free lower-case words) or ``requires`` (known capabilities)."""
    names: list[str] = []
    for name, line, name_field in checker.text_list(item, key, field):
        if key == "requires" and name not in CAPABILITIES:
            known = ", ".join(CAPABILITIES)
            checker.report(line, name_field, f"unknown capability {name!r} (known: {known})")
        elif key == "tags" and not TAG_RE.match(name):
            checker.report(line, name_field, f"{name!r} is not a tag (lower-case letters, digits, - and _)")
        elif name in names:
            checker.report(line, name_field, f"{name!r} is listed twice")
        else:
            names.append(name)
    return tuple(names)
