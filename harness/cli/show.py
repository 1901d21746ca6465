"""``lsconform show ID``: one scenario, its clause references and its YAML source.

The YAML is cut out of its file exactly as written (comments included), by
asking the YAML parser where the scenario's mapping starts and ends, so what
is shown is what the author wrote, not a re-serialisation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from harness import environment
from harness.cli.common import CliError, add_scenarios_option, load, scenario_root
from harness.scenario.model import Scenario

NAME = "show"
HELP = "print one scenario: title, manual section, spec clause, tags, requires and its YAML"
EXAMPLE = "lsconform show tcp.receive.line.crlf-stripped"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario_id", metavar="ID", help="a scenario id, as `lsconform list` prints it")
    add_scenarios_option(parser)


def execute(args: argparse.Namespace) -> int:
    catalog = load(args.scenarios)
    scenario = catalog.by_id.get(args.scenario_id)
    if scenario is None:
        near = [s.id for s in catalog.scenarios if args.scenario_id in s.id][:5]
        hint = f"; did you mean: {', '.join(near)}" if near else "; `lsconform list` prints every id"
        raise CliError(f"unknown scenario id {args.scenario_id!r}{hint}")
    print(describe(scenario, scenario_root(args.scenarios)))
    return 0


def describe(scenario: Scenario, root: Path) -> str:
    path = _file_of(scenario, root)
    lines = [
        f"{scenario.id}: {scenario.title}",
        f"  manual:   {scenario.manual}",
        f"  spec:     {scenario.spec} (LuaSocket 1.3b behaviour specification)",
        f"  tags:     {', '.join(scenario.tags) or '-'}",
        f"  requires: {', '.join(scenario.requires) or '-'}",
        f"  file:     {path}:{scenario.location.line}",
    ]
    if scenario.environment:
        lines.append(f"  environment: {environment.describe(scenario.environment)}")
    if scenario.functions:
        lines.append(f"  calls:    {', '.join(scenario.functions)}")
    if scenario.notes:
        lines.append(f"  notes:    {scenario.notes}")
    lines += ["", source_text(path, scenario.id)]
    return "\n".join(lines)


def _file_of(scenario: Scenario, root: Path) -> Path:
    path = Path(scenario.location.path)
    return path if path.is_absolute() or path.exists() else root / path


def source_text(path: Path, scenario_id: str) -> str:
    """The lines of ``path`` that hold the scenario ``scenario_id``, as written."""
    text = path.read_text(encoding="utf-8")
    node = _scenario_node(yaml.compose(text), scenario_id)
    if node is None:
        raise CliError(f"{path}: no scenario {scenario_id!r} in the file")
    lines = text.splitlines()
    end = node.end_mark.line + (1 if node.end_mark.column else 0)
    chunk = lines[node.start_mark.line:end]
    # Blank lines and comments after the mapping belong to whatever follows it.
    while chunk and (not chunk[-1].strip() or _is_outer_comment(chunk[-1], node.start_mark.column)):
        chunk.pop()
    return "\n".join(chunk)


def _is_outer_comment(line: str, column: int) -> bool:
    stripped = line.lstrip()
    return stripped.startswith("#") and len(line) - len(stripped) < column


def _scenario_node(document: yaml.Node | None, scenario_id: str) -> yaml.MappingNode | None:
    if not isinstance(document, yaml.MappingNode):
        return None
    for key, value in document.value:
        if key.value == "scenarios" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.MappingNode) and any(
                    k.value == "id" and getattr(v, "value", None) == scenario_id for k, v in item.value
                ):
                    return item
    return None
