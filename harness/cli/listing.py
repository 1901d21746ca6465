"""``lsconform list``: the scenarios, one per line, with their titles and tags."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable

from harness.cli.common import CliError, add_scenarios_option, load

NAME = "list"
HELP = "list scenario ids, titles and tags"
EXAMPLE = "lsconform list --tag pattern-line -k receive"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", dest="keyword", action="append", metavar="TEXT",
                        help="only scenarios whose id or title contains TEXT (plain text, not run's "
                             "-k expression: no and/or/not; repeatable: any of them)")
    parser.add_argument("--tag", action="append", metavar="TAG", default=None,
                        help="only scenarios with this tag (repeatable: a scenario with any of them)")
    add_scenarios_option(parser)


def execute(args: argparse.Namespace) -> int:
    catalog = load(args.scenarios)
    if args.tag is not None:
        _check_tags(args.tag, catalog.tags)
    selected = catalog.select(tags=args.tag, keyword=args.keyword)
    width = max((len(s.id) for s in selected), default=0)
    for scenario in selected:
        tags = f"  [{', '.join(scenario.tags)}]" if scenario.tags else ""
        print(f"{scenario.id:<{width}}  {scenario.title}{tags}")
    workloads = sum(1 for scenario in selected if scenario.workload is not None)
    note = f" ({workloads} of them perf workloads, which bench runs and run does not)" if workloads else ""
    print(f"{len(selected)} of {len(catalog.scenarios)} scenarios{note}")
    return 0


def _check_tags(wanted: Iterable[str], known: frozenset[str]) -> None:
    """Refuse a ``--tag`` no scenario carries, with the nearest tag or, failing one, every tag.

    A misspelt tag matched nothing, and ``0 of N scenarios`` with exit 0
    read as a real, empty answer; with other ``--tag`` options it silently
    narrowed the selection.
    """
    problems = []
    for tag in dict.fromkeys(wanted):
        if tag in known:
            continue
        near = difflib.get_close_matches(tag, sorted(known), n=1)
        hint = f"did you mean {near[0]}?" if near else f"the tags are: {', '.join(sorted(known)) or '(none)'}"
        problems.append(f"--tag {tag}: no scenario has this tag; {hint}")
    if problems:
        raise CliError("\n".join(problems))
