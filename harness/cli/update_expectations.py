"""``lsconform update-expectations RESULTS.json``: write a candidate's expectations file from a run.

What is kept, added, marked TODO or dropped is ``harness.expectations_update``'s
rule; this command picks the candidate and the file, reads the old file if
there is one (TODO reasons allowed, so it can be run again before they are
written; for a new file, the entries the run was judged against, which
results.json holds), writes the new one atomically and says what changed. Every new or
changed entry says TODO until a person writes its reason: such a file does
not load, so `lsconform run` refuses it until then (exit status 0 still: the
file was written as asked).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.candidates.registry import SHIPPED
from harness.cli.common import CliError, add_scenarios_option, load
from harness.expectations import default_file, embedded_sets, file_name
from harness.expectations_file import TODO, ExpectationsError, load_expectations, render
from harness.expectations_update import Update, update
from harness.results import FileInTheWayError, ResultsError, load_document, write_text_atomic
from harness.scenario.catalog import default_root

NAME = "update-expectations"
HELP = "write a candidate's expectations file (its known non-passes) from a results.json"
EXAMPLE = "lsconform update-expectations lsconform-report/results.json --candidate luasocket3-lua5.4"
TODO_SHOWN = 20
"""TODO entries listed by id; the rest are counted (the file has them all)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS.json", help="a results file written by `run`")
    parser.add_argument("--candidate", metavar="NAME",
                        help="whose expectations to write (needed when the run had several candidates)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="the file to update or create (default: the file the run used, which must "
                             "still exist, else, for the suite's own candidates, "
                             "expectations/<candidate>.yaml beside the scenario root; for your own "
                             "candidate give the file)")
    parser.add_argument("--reason", metavar="TEXT",
                        help="the reason written for every new entry instead of TODO (one line, e.g. "
                             "'not implemented yet'); entries whose verdict changed still say TODO")
    add_scenarios_option(parser)


def execute(args: argparse.Namespace) -> int:
    try:
        document = load_document(args.results)
    except ResultsError as error:
        raise CliError(str(error)) from None
    candidate = _candidate(document, args.candidate)
    catalog = load(args.scenarios)
    used = embedded_sets(document).get(candidate)
    output = args.output or (_recorded_output(used.source) if used else _default_output(catalog.root,
                                                                                         candidate))
    reason = _one_line_reason(args.reason)
    previous = {}
    if output.exists():
        try:
            previous = dict(load_expectations(output, allow_todo=True).entries)
        except ExpectationsError as error:
            raise CliError(f"cannot read the current file (fix it or pass another -o):\n{error}") from None
    elif used is not None:
        # A new file (-o) for a run that was judged against entries: they are in results.json, and
        # their reasons carry over as they would have in the file itself.
        previous = dict(used.entries)
        count = f"{len(previous)} {'entry' if len(previous) == 1 else 'entries'}"
        print(f"lsconform: {output} does not exist yet: starting from the {count} the run was judged "
              f"against ({used.source})")
    changes = update(previous, document["results"], candidate, known_ids=frozenset(catalog.by_id),
                     new_reason=reason)
    try:
        write_text_atomic(output, render(candidate, changes.entries))
    except FileInTheWayError as error:
        raise CliError(f"{'-o ' if args.output else ''}{output}: {error}") from None
    except OSError as error:
        raise CliError(f"cannot write {output}: {error}", code=1) from None
    _report(output, changes)
    return 0


def _recorded_output(source: str) -> Path:
    """The file the run was judged against, which must still exist: it is the one being updated.

    A run records its file as an absolute path; an older results.json may
    hold it relative to wherever that run started. Either way a file that is
    not there now is not silently created anew (its carried-over entries
    would be lost): the user says which file with ``-o``.
    """
    path = Path(source)
    if not path.is_file():
        raise CliError(f"the run was judged against {source}, which does not exist "
                       f"{'' if path.is_absolute() else f'from {Path.cwd()} '}(moved, or another checkout?): "
                       "give the file to update with -o FILE")
    return path


def _default_output(root: Path, candidate: str) -> Path:
    """``expectations/<candidate>.yaml`` beside the scenario root, unless that is the shipped suite's
    tree and the candidate is not one of its own: then the file must be named.

    A file for someone's port would otherwise land inside the installed
    suite, and be picked up by every later run of that candidate there.
    """
    if candidate in SHIPPED or root != default_root().resolve():
        return default_file(root, candidate)
    raise CliError(f"{candidate!r} is not one of the suite's own candidates and the run used no "
                   f"expectations file: say where its file goes with -o FILE (e.g. -o "
                   f"expectations/{file_name(candidate)} in your project), then run with --expectations FILE")


def _one_line_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = reason.strip()
    if not text or "\n" in text or "\r" in text:
        raise CliError("--reason: expected one non-empty line")
    if text.upper().startswith(TODO):
        raise CliError(f"--reason: a reason starting with {TODO} is no reason (the file would not load)")
    return text


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
        for scenario in changes.todo[:TODO_SHOWN]:
            print(f"  {scenario}")
        if count > TODO_SHOWN:
            print(f"  ... and {count - TODO_SHOWN} more (grep TODO {output})")
