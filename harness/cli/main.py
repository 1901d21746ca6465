"""``lsconform``: run the LuaSocket 1.3b conformance suite and inspect it.

A thin command line over the pytest plugin and the scenario catalog. Each
command lives in its own module exposing ``NAME``, ``HELP``, ``EXAMPLE``,
``add_arguments(parser)`` and ``execute(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

from harness.cli import (
    bench,
    check_driver,
    coverage,
    listing,
    merge,
    report,
    run,
    serve,
    show,
    update_expectations,
)
from harness.cli.common import INTERRUPTED, CliError

COMMANDS: tuple[ModuleType, ...] = (run, listing, show, coverage, report, merge, update_expectations, serve,
                                    check_driver, bench)

DESCRIPTION = """\
Conformance suite for the LuaSocket 1.3b API. Every scenario (a YAML file
under scenarios/) is run against every chosen candidate, and each pair gets
a verdict: PASS, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAIL, CRASH,
TIMEOUT or SKIP."""

EPILOG = """\
examples:
{examples}

exit status: 0 success; 1 a FAIL, CRASH or TIMEOUT (or, with --repeat, a
verdict that changed; with an expectations file, only a regression against
it, and with --strict any difference from it); 2 usage error (unknown
scenario id, bad arguments, a -k/-m expression that does not parse, a
scenario or expectations file that does not load, shards that do not
merge, reports that could not be written: then none is replaced and the
run's results.json is kept where the message says); 5 no scenario
selected; 130 interrupted (Ctrl-C); other values are pytest's own."""


def build_parser() -> argparse.ArgumentParser:
    examples = "\n".join(f"  {module.EXAMPLE}" for module in COMMANDS)
    parser = argparse.ArgumentParser(prog="lsconform", description=DESCRIPTION,
                                     epilog=EPILOG.format(examples=examples),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        sub = commands.add_parser(module.NAME, help=module.HELP,
                                  description=module.HELP[0].upper() + module.HELP[1:] + ".",
                                  epilog=f"example:\n  {module.EXAMPLE}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(execute=module.execute)
    return parser


def _hear_interrupts() -> None:
    """Let SIGINT interrupt, even when it was ignored at start.

    A script that starts ``lsconform bench ... &`` hands it SIGINT ignored, and
    Python then installs no handler: ``kill -INT`` (how a CI job is stopped)
    went unheard, and a long bench ran on. Only the main thread can set it.
    """
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _hear_interrupts()
    try:
        return int(args.execute(args))
    except CliError as error:
        print(f"lsconform: error: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print("lsconform: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`lsconform list | head`): stop quietly, as other tools do. Standard
        # output is pointed at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, what a shell reports for a process the pipe killed


if __name__ == "__main__":
    sys.exit(main())
