"""``lsconform merge OUT_DIR SHARD.json...``: join the results of a sharded run, as one run would have.

The checks (one suite version, the same candidates and options, every
shard once, no overlap) and the joining itself are ``harness.merging``'s;
this command loads the files, writes the four reports into OUT_DIR and
exits as ``lsconform run`` would have on the whole selection.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.common import CliError, check_output_dir
from harness.cli.run import conclude, write_reports
from harness.merging import MergeError, merge
from harness.results import ResultsError, load_document

NAME = "merge"
HELP = "merge the results.json files of `run --shard i/n` jobs and write the reports of the whole run"
EXAMPLE = "lsconform merge lsconform-report shard-1/results.json shard-2/results.json shard-3/results.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT_DIR",
                        help="directory for the merged results.json, junit.xml, summary.md, report.html")
    parser.add_argument("shards", type=Path, nargs="+", metavar="SHARD.json",
                        help="the results.json of every shard, in any order")


def execute(args: argparse.Namespace) -> int:
    check_output_dir(args.out)
    target = (args.out / "results.json").resolve()
    for path in args.shards:
        if path.resolve() == target:
            raise CliError(f"{path} would be overwritten by the merged results.json: give another OUT_DIR")
    pieces = []
    for path in args.shards:
        try:
            pieces.append((str(path), load_document(path)))
        except ResultsError as error:
            raise CliError(str(error)) from None
    try:
        document = merge(pieces)
    except MergeError as error:
        raise CliError(f"cannot merge: {error}") from None
    print(f"lsconform: merged {len(pieces)} shards: {len(document['results'])} results")
    return conclude(document, write_reports(args.out, document))
