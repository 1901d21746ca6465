"""``lsconform run``: run the suite through pytest and write the reports.

pytest (with pytest-xdist when installed) does the scheduling, progress
display and isolation; this command only builds its argument list, runs it
in process, reads back the results.json the plugin wrote, and renders
junit.xml, summary.md and report.html from it. With ``--repeat N`` it runs
the whole selection N times and reports every scenario whose verdict changed.

Expectations: a candidate is judged against ``--expectations FILE`` (the
file names its candidate) or, when none is given for it, against
``<scenario root>/../expectations/<candidate>.yaml`` if that file exists
(the shipped suite's ``expectations/``); ``--no-expectations`` turns the
automatic pickup off. Which file was used is printed and recorded in
results.json. ``--shard i/n`` runs one share of the selection
(``harness.shards``); ``lsconform merge`` joins the shards' results.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import importlib.util
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from harness.cli.common import (
    CANDIDATE_FORMS,
    CliError,
    add_scenarios_option,
    check_output_dir,
    load,
    scenario_root,
    time_scale_option,
)
from harness.cli.markers import marker_expression
from harness.expectations import default_file, run_failures
from harness.results import (
    ResultsError,
    check_document,
    dumps,
    load_document,
    with_repetitions,
    write_temporary,
)
from harness.shards import Shard
from reports import html, junit, markdown

NAME = "run"
HELP = "run scenarios against candidates; write results.json, junit.xml, summary.md and report.html"
EXAMPLE = "lsconform run --candidate reference --out lsconform-report -k tcp.receive -n auto"
DEFAULT_OUT = Path("lsconform-report")
NO_SCENARIOS = int(pytest.ExitCode.NO_TESTS_COLLECTED)
try:
    from _pytest.mark.expression import ParseError as _ParseError  # pytest 8; pytest 9 raises SyntaxError
    _EXPRESSION_ERRORS: tuple[type[Exception], ...] = (SyntaxError, _ParseError)
except ImportError:
    _EXPRESSION_ERRORS = (SyntaxError,)
_FINISHED = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED)


def _has_xdist() -> bool:
    return importlib.util.find_spec("xdist") is not None


def _workers(text: str) -> str:
    if text == "auto" or (text.isdigit() and int(text) >= 0):
        return text
    raise argparse.ArgumentTypeError(f"expected a number of workers or 'auto', not {text!r}")


def _positive_int(text: str) -> int:
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidate", action="append", metavar="NAME", default=None,
                        help=f"candidate to run (repeatable; default reference): {CANDIDATE_FORMS}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"directory for results.json, junit.xml, summary.md, report.html, outside "
                             f"the scenario root (default {DEFAULT_OUT}/)")
    parser.add_argument("-k", dest="keyword", action="append", metavar="EXPR",
                        help="select scenarios by substring expression, as pytest -k: it matches the id, "
                             "the file and folder names and the candidate's name (ID[CANDIDATE]); "
                             "repeatable: a scenario any of them selects")
    parser.add_argument("-m", dest="markexpr", action="append", metavar="MARKEXPR",
                        help="select by tags and areas, as pytest -m selects by markers: "
                             "-m 'pattern-line and not udp'; tags are written as `lsconform list` "
                             "shows them (pattern_line works too); repeatable: a scenario any of them "
                             "selects")
    parser.add_argument("-n", dest="workers", type=_workers, default="auto" if _has_xdist() else "0",
                        metavar="N|auto", help="parallel workers (default auto with pytest-xdist, else 0)")
    parser.add_argument("--time-scale", type=time_scale_option, default=1.0, metavar="F",
                        help="multiply time windows and deadlines by F, above 0 and at most 1000 (default 1)")
    parser.add_argument("--repeat", type=_positive_int, default=1, metavar="N",
                        help="run N times and report scenarios whose verdict changed (exit 1 if any)")
    parser.add_argument("--expectations", action="append", type=Path, metavar="FILE", default=None,
                        help="judge the candidate the file names against its known non-passes: only "
                             "regressions fail the run (repeatable; default: expectations/<candidate>.yaml "
                             "beside the scenario root, when it exists)")
    parser.add_argument("--no-expectations", action="store_true",
                        help="do not pick up expectations/<candidate>.yaml automatically")
    parser.add_argument("--strict", action="store_true",
                        help="with expectations, also fail on unexpected passes, stale and unlisted entries")
    parser.add_argument("--shard", type=_shard, metavar="i/n", default=None,
                        help="run only shard i of n (round-robin on sorted scenario ids); join the "
                             "results with `lsconform merge`")
    parser.add_argument("--reuse-driver", action="store_true",
                        help="driver candidates: one driver process per worker instead of one per scenario")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per scenario")
    add_scenarios_option(parser)


def any_of(expressions: Sequence[str]) -> str:
    """One pytest expression for repeated ``-k``/``-m``: each selects, so they are joined with ``or``.

    pytest itself keeps only the last of repeated ``-k``s, which silently
    ran a fraction of what ``-k dns -k udp`` asked for.
    """
    if len(expressions) == 1:
        return expressions[0]
    return " or ".join(f"({expression})" for expression in expressions)


def pytest_arguments(args: argparse.Namespace, root: Path, candidates: Sequence[str],
                     results: Path, expectations: Sequence[Path] = ()) -> list[str]:
    """The pytest command line for one repetition.

    The plugin is named explicitly (``-p``) so this works without the entry
    point installed; ``-p no:lsconform`` then stops the entry point from
    registering the same module a second time. ``--assert=plain``: scenario
    items use no assert statements, and rewriting would only warn about
    harness modules this process has already imported. ``no:benchmark``:
    pytest-benchmark, where installed, warns on every xdist worker that it
    is disabled; it has nothing to measure in a scenario run. ``--rootdir``:
    item ids are paths from the scenario root, and pytest shows them from
    its rootdir, so any other rootdir names files that do not exist.
    """
    command = [str(root), "--rootdir", str(root), "-p", "harness.pytest_plugin", "-p", "no:lsconform",
               "-p", "no:cacheprovider", "-p", "no:benchmark", "--assert=plain",
               "-v" if args.verbose else "-q", "--lsc-no-summary", "--lsc-scenarios", str(root),
               "--lsc-time-scale", str(args.time_scale), "--lsc-results", str(results)]
    for name in candidates:
        command += ["--lsc-candidate", name]
    if args.keyword:
        command += ["-k", any_of(args.keyword)]
    if args.markexpr:
        command += ["-m", marker_expression(any_of(args.markexpr))]
    if args.workers != "0" and _has_xdist():
        command += ["-n", args.workers]
    if getattr(args, "reuse_driver", False):
        command.append("--lsc-driver-reuse")
    for path in expectations:
        command += ["--lsc-expectations", str(path)]
    if args.strict:
        command.append("--lsc-strict")
    if args.shard is not None:
        command += ["--lsc-shard", str(args.shard)]
    return command


def execute(args: argparse.Namespace) -> int:
    root = scenario_root(args.scenarios)
    _check_expressions(args)
    candidates = list(dict.fromkeys(args.candidate or ["reference"]))
    _check_candidates(candidates)
    expectations = expectation_files(args, root, candidates)
    check_output_dir(args.out, root)
    started = time.perf_counter()
    documents = []
    with tempfile.TemporaryDirectory(prefix="lsconform-") as scratch:
        for index in range(args.repeat):
            if args.repeat > 1:
                print(f"lsconform: repetition {index + 1} of {args.repeat}", flush=True)
            documents.append(_run_once(args, root, candidates, Path(scratch) / f"results-{index}.json",
                                       expectations))
    wall_time = time.perf_counter() - started
    if len(documents) == 1:
        document = {**documents[0], "wall_time": round(wall_time, 3)}
    else:
        document = with_repetitions(documents, wall_time)
    written = write_reports(args.out, document)
    return conclude(document, written)


def _check_expressions(args: argparse.Namespace) -> None:
    """Refuse a ``-k`` or ``-m`` pytest could not parse now, not after collecting the whole suite.

    pytest reports such an expression only once collection is done (seconds
    later), with its own exit code 4 and the joined form of repeated options;
    this names the option and the expression as it was typed.
    """
    from _pytest.mark.expression import Expression

    for option, expressions in (("-k", args.keyword), ("-m", args.markexpr)):
        for expression in expressions or ():
            try:
                Expression.compile(expression)
            except _EXPRESSION_ERRORS as error:
                column, message = _expression_problem(error)
                raise CliError(f"{option} {expression!r}: not a valid expression: at column {column}, "
                               f"{message}") from None


def _expression_problem(error: Exception) -> tuple[int, str]:
    """Column and message of a bad expression: pytest 9 raises SyntaxError, pytest 8 its ParseError."""
    if isinstance(error, SyntaxError):
        return error.offset or 1, error.msg
    return getattr(error, "column", 1), getattr(error, "message", str(error))


def _check_candidates(names: Sequence[str]) -> None:
    """Fail before starting pytest on a name no candidate answers to, or a driver that does not start.

    Asks the registry, which is what the plugin falls back to; a candidate
    offered only by a conftest hook is for plain pytest runs, not this command.
    """
    from harness.candidates.registry import check_starts, resolve

    for name in names:
        try:
            check_starts(resolve(name))
        except (LookupError, ValueError) as error:
            raise CliError(str(error)) from None


def expectation_files(args: argparse.Namespace, root: Path, candidates: Sequence[str]) -> list[Path]:
    """The files to judge against: the explicit ones, then the default file of every other candidate.

    Checked here, before pytest starts, so that a bad file is one clear usage
    error naming its lines rather than a pytest start-up failure.
    """
    from harness.expectations_file import ExpectationsError, load_for_run

    @functools.cache
    def known() -> frozenset[str]:
        """The suite's ids, which every entry must name: loaded once, and only if a file is used
        (a whole load costs seconds, which a run with pytest-xdist would pay again in its workers)."""
        return frozenset(load(args.scenarios).by_id)

    try:
        paths = list(args.expectations or [])
        # with the ids from the start, so that one message lists every problem of a file
        covered = load_for_run(paths, candidates, known() if paths else None)
        if not args.no_expectations:
            defaults = (default_file(root, name) for name in candidates if name not in covered)
            paths += [path for path in defaults if path.is_file()]
        if not paths:
            if args.strict:
                raise CliError("--strict needs expectations: give --expectations FILE or add "
                               f"{default_file(root, candidates[0])}")
            return []
        chosen = load_for_run(paths, candidates, known())
    except ExpectationsError as error:
        raise CliError(f"cannot use the expectations:\n{error}") from None
    for name, listed in chosen.items():
        print(f"lsconform: judging {name} against {listed.source} ({len(listed.entries)} known non-passes"
              f"{', strict' if args.strict else ''})", flush=True)
    return paths


def _run_once(args: argparse.Namespace, root: Path, candidates: Sequence[str], path: Path,
              expectations: Sequence[Path] = ()) -> dict[str, Any]:
    with _watching_interrupts() as interrupted:
        code = pytest.main(pytest_arguments(args, root, candidates, path, expectations))
    if code == pytest.ExitCode.INTERRUPTED and interrupted:
        raise KeyboardInterrupt  # main's 130, not INTERRUPTED's 2: that is the usage-error code
    if code == pytest.ExitCode.INTERRUPTED:
        # A collection error: most likely a broken scenario file. Loading the suite here, as `list`
        # does, ends with its `file:line: field: message` lines; loading it before every run would
        # cost seconds that a run with pytest-xdist pays again in its workers.
        load(args.scenarios)
    if code not in _FINISHED:
        raise CliError(f"pytest stopped early ({pytest.ExitCode(code).name}, exit {int(code)}); "
                       "see its output above", code=int(code))
    try:
        document = load_document(path)
    except ResultsError as error:
        raise CliError(f"the run wrote no usable results: {error}", code=3) from None
    if not document["results"] and args.shard is None:  # a shard of a small selection may be empty
        raise CliError("no scenarios selected: check -k / -m, --scenarios and `lsconform list`",
                       code=NO_SCENARIOS)
    return document


@contextlib.contextmanager
def _watching_interrupts() -> Iterator[list[int]]:
    """A list that gets an entry when SIGINT arrives, the previous handler still running.

    pytest ends with INTERRUPTED both on Ctrl-C and on a collection error,
    and catches the KeyboardInterrupt itself, so only the signal tells them
    apart. Signal handlers can be set only in the main thread; elsewhere
    (a caller's thread) nothing is watched.
    """
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)

    def note(number: int, frame: FrameType | None) -> None:
        seen.append(number)
        if callable(previous):
            previous(number, frame)
        elif previous == signal.SIG_DFL:
            signal.default_int_handler(number, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def write_reports(out: Path, document: dict[str, Any]) -> list[Path]:
    """results.json, junit.xml, summary.md and report.html, written together or not at all.

    All four are rendered, then written to temporaries in ``out``, before
    the first replaces its old file: a renderer that fails, a full disk or a
    folder in the way leaves the directory as it was, never new results
    beside old reports. Should writing fail, the new results.json (the run's
    only record: it was in a temporary folder) is kept elsewhere and the
    error says where; exit status 2.
    """
    check_document(document)
    texts = {out / name: render(document) for name, render in
             (("results.json", dumps), ("junit.xml", junit.render), ("summary.md", markdown.render),
              ("report.html", html.render))}
    temporaries: dict[Path, Path] = {}
    replaced: list[str] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, text in texts.items():
            temporaries[path] = write_temporary(path, text)
        for path in texts:  # the one thing a rename in one folder fails on, checked before the first
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
            replaced.append(path.name)
    except OSError as error:
        already = f" (already replaced: {', '.join(replaced)})" if replaced else ""
        raise CliError(f"cannot write the reports to {out}: {error}{already}; "
                       f"{_keep_results(texts[out / 'results.json'])}") from None
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
    return list(texts)


def _keep_results(text: str) -> str:
    """Save a run's results.json in the temporary folder; what to tell the user about it."""
    try:
        handle, name = tempfile.mkstemp(prefix="lsconform-results-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as kept:
            kept.write(text)
    except OSError as error:
        return f"the run's results could not be kept elsewhere either ({error})"
    return f"this run's results.json is kept as {name} (`lsconform report {name}` renders it)"


def conclude(document: dict[str, Any], written: Sequence[Path]) -> int:
    """Print the headline and what was written; the exit status (``merge`` ends the same way)."""
    print()
    for line in markdown.headline(document):
        print(f"lsconform: {line}")
    changed = document.get("repeat", {}).get("changed", [])
    for entry in changed:
        print(f"lsconform: verdict changed between repetitions: {entry['scenario']} [{entry['candidate']}]: "
              + " -> ".join(entry["verdicts"]))
    print("lsconform: wrote " + ", ".join(str(path) for path in written))
    return 1 if run_failures(document) or changed else 0
