"""``lsconform coverage``: which functions of the manual the scenarios call, and which none do.

The function list and the rule that attributes a call to an area (TCP and
UDP sockets share method names) belong to
``harness.scenario.manual_functions``; this command only prints them.
"""

from __future__ import annotations

import argparse

from harness.cli.common import add_scenarios_option, load

NAME = "coverage"
HELP = "map every function of the manual to the scenarios that call it; list those with none"
EXAMPLE = "lsconform coverage --strict"

TRANSPORT_AREAS = ("tcp", "udp", "dns")
"""The C core's functions, the ones ``--strict`` requires scenarios for."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help=f"exit 1 if a transport function ({', '.join(TRANSPORT_AREAS)}) has no scenario")
    parser.add_argument("--counts", action="store_true", help="print counts only, not the scenario ids")
    add_scenarios_option(parser)


def execute(args: argparse.Namespace) -> int:
    from harness.scenario.manual_functions import coverage

    table = coverage(load(args.scenarios).scenarios)
    width = max((len(name) for functions in table.values() for name in functions), default=0)
    uncovered = []
    for area, functions in table.items():
        print(area)
        for name, ids in functions.items():
            if not ids:
                uncovered.append(f"{area}.{name}")
            shown = str(len(ids)) if args.counts or not ids else f"{len(ids)}  {', '.join(ids)}"
            print(f"  {name:<{width}}  {shown}")
    print()
    if uncovered:
        print(f"functions with no scenario ({len(uncovered)}): {', '.join(uncovered)}")
    else:
        print("every function of the manual is called by at least one scenario")
    missing_core = [name for name in uncovered if name.split(".", 1)[0] in TRANSPORT_AREAS]
    return 1 if args.strict and missing_core else 0
