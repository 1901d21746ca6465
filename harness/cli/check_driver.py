"""``lsconform check-driver -- COMMAND...``: the driver self-test, one PASS/FAIL/SKIP line per check.

For whoever writes a driver: run it against the finished driver before
pointing the suite at it. Exit status 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse

from harness.cli.common import CliError

NAME = "check-driver"
HELP = "check that a driver program speaks the driver protocol (drivers/PROTOCOL.md)"
EXAMPLE = "lsconform check-driver -- python -m drivers.python.driver reference"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hello-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="how long to wait for the driver's hello (default 10)")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND",
                        help="the driver's command line (put -- before it)")


def execute(args: argparse.Namespace) -> int:
    from harness.candidates.driver_command import program_problem
    from harness.drivercheck import Target, run_checks

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise CliError("name the driver's command line, e.g. " + EXAMPLE)
    problem = program_problem(command[0])
    if problem is not None:
        raise CliError(problem)
    results = run_checks(Target(tuple(command), hello_timeout=args.hello_timeout))
    for result in results:
        print(result.line(), flush=True)
    failed = [result.name for result in results if result.status == "FAIL"]
    passed = sum(result.status == "PASS" for result in results)
    skipped = sum(result.status == "SKIP" for result in results)
    print(f"check-driver: {passed} passed, {len(failed)} failed, {skipped} skipped"
          + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0
