"""``lsconform report RESULTS.json``: render a results file again, as Markdown, JUnit XML or HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.common import CliError
from harness.results import FileInTheWayError, ResultsError, load_document, write_text_atomic
from reports import html, junit, markdown

NAME = "report"
HELP = "re-render a results.json as a Markdown summary, JUnit XML or the HTML matrix"
EXAMPLE = "lsconform report lsconform-report/results.json --format html -o report.html"
FILE_NAMES = {"md": "summary.md", "junit": "junit.xml", "html": "report.html"}
"""The names `run` gives each format, suggested when -o names a directory."""
RENDERERS = {"md": markdown.render, "junit": junit.render, "html": html.render}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS.json", help="a results file written by `run`")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="md",
                        help="output format (default md)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write to FILE (atomically) instead of standard output")


def execute(args: argparse.Namespace) -> int:
    try:
        document = load_document(args.results)
    except ResultsError as error:
        raise CliError(str(error)) from None
    if args.output is not None and args.output.is_dir():
        raise CliError(f"-o {args.output} is a directory: give the report file's name (e.g. "
                       f"{args.output / FILE_NAMES.get(args.format, 'report')})")
    if args.output is not None and args.output.resolve() == args.results.resolve():
        raise CliError(f"-o {args.output} is the results file being read; write the report elsewhere")
    text = RENDERERS[args.format](document)
    if args.output is None:
        # As a file is written: a lone surrogate a driver's bytes left in a reason must not end the output.
        sys.stdout.buffer.write(text.encode(sys.stdout.encoding or "utf-8", "backslashreplace"))
        sys.stdout.flush()
    else:
        try:
            write_text_atomic(args.output, text)
        except FileInTheWayError as error:
            raise CliError(f"-o {args.output}: {error}") from None
        except OSError as error:
            raise CliError(f"cannot write {args.output}: {error}") from None
    return 0
