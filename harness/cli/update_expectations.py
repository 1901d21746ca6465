"""``lsconform update-expectations RESULTS.json``: write a candidate's expectations file from a run.

What is kept, added, marked TODO or dropped is ``harness.expectations_update``'s
rule; this command picks the candidate and the file, reads the old file if
there is one (TODO reasons allowed, so it can be run again before they are
written), writes the new one atomically and says what changed. Every new or
changed entry says TODO until a person writes its reason: such a file does
not load, so `lsconform run` refuses it until then (exit status 0 still: the
file was written as asked).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.cli.common import CliError, add_scenarios_option, load
from harness.expectations import default_file, embedded_sets
from harness.expectations_file import ExpectationsError, load_expectations, render
from harness.expectations_update import Update, update
from harness.results import ResultsError, load_document, write_text_atomic

NAME = "update-expectations"
HELP = "write a candidate's expectations file (its known non-passes) from a results.json"
EXAMPLE = "lsconform update-expectations lsconform-report/results.json --candidate luasocket3-lua5.4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS.json", help="a results file written by `run`")
    parser.add_argument("--candidate", metavar="NAME",
                        help="whose expectations to write (needed when the run had several candidates)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="the file to update or create (default: the file the run used, else "
                             "expectations/<candidate>.yaml beside the scenario root)")
    add_scenarios_option(parser)


def execute(args: argparse.Namespace) -> int:
    try:
        document = load_document(args.results)
    except ResultsError as error:
        raise CliError(str(error)) from None
    candidate = _candidate(document, args.candidate)
    catalog = load(args.scenarios)
    used = embedded_sets(document).get(candidate)
    output = args.output or (Path(used.source) if used else default_file(catalog.root, candidate))
    previous = {}
    if output.exists():
        try:
            previous = dict(load_expectations(output, allow_todo=True).entries)
        except ExpectationsError as error:
            raise CliError(f"cannot read the current file (fix it or pass another -o):\n{error}") from None
    changes = update(previous, document["results"], candidate, known_ids=frozenset(catalog.by_id))
    try:
        write_text_atomic(output, render(candidate, changes.entries))
    except OSError as error:
        raise CliError(f"cannot write {output}: {error}", code=1) from None
    _report(output, changes)
    return 0


def _candidate(document: Mapping[str, Any], chosen: str | None) -> str:
    names = [c["name"] for c in document["candidates"]]
    if chosen is not None:
        if chosen not in names:
            raise CliError(f"the run has no candidate {chosen!r} (it has {', '.join(names)})")
        return chosen
    if len(names) != 1:
        raise CliError(f"the run has {len(names)} candidates ({', '.join(names)}): "
                       "choose one with --candidate")
    return names[0]


def _report(output: Path, changes: Update) -> None:
    counts = [("kept", changes.kept), ("added", changes.added), ("verdict changed", changes.changed),
              ("dropped, now passing", changes.now_passing),
              ("carried over, not in this run", changes.carried),
              ("dropped, no longer in the suite", changes.removed_from_suite)]
    shown = ", ".join(f"{len(ids)} {label}" for label, ids in counts if ids) or "no entries"
    print(f"lsconform: wrote {output}: {len(changes.entries)} entries ({shown})")
    for label, ids in counts[3:]:
        for scenario in ids:
            print(f"  {label}: {scenario}")
    if changes.todo:
        count = len(changes.todo)
        print(f"lsconform: {count} {'entry says' if count == 1 else 'entries say'} TODO; "
              "write the reasons before the file is used:")
        for scenario in changes.todo:
            print(f"  {scenario}")
