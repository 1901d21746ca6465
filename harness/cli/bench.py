"""``lsconform bench``: throughput of candidates against the reference, measured in the same run.

Runs every selected perf workload (``scenarios/perf/``) for each candidate
and for the reference, interleaved round by round (``harness.bench.session``):
``--warmup`` rounds whose times are dropped, then ``--pairs`` measured
rounds, with the peers' own ceiling measured by a plain-socket client in
each. Prints each round as it ends, then the figures: per workload the
median rate of every side with its min-max, the candidate/reference ratio
and the peer ceiling, and per candidate one score, the geometric mean of
its ratios over the workloads that measure it (``harness.bench.scoring``).

The reference is placed as the candidates are (``choose_reference``): the
reference through the Python driver for driver candidates, in process for
in-process ones, since where a side runs moves its figures as much as how
it is written.

Writes results.json (with a ``bench`` section), junit.xml, summary.md and
report.html (one chart per workload) into ``--out``. Exit status 1 if a
run of any side was wrong (FAIL, CRASH, TIMEOUT): a wrong answer has no
speed. ``--quick`` runs the small variants (tag ``quick``) for smoke tests.
"""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli.common import (
    CANDIDATE_FORMS,
    INTERRUPTED,
    CliError,
    add_scenarios_option,
    check_output_dir,
    load,
    scenario_root,
    time_scale_option,
)
from harness.cli.run import NO_SCENARIOS, write_reports
from harness.scenario.catalog import UnknownScenarioError
from harness.scenario.model import Scenario

if TYPE_CHECKING:
    from harness.adapters.base import CandidateSpec

NAME = "bench"
HELP = "measure throughput: perf workloads for candidates and the reference, interleaved; write the reports"
EXAMPLE = "lsconform bench --candidate luasocket3-lua5.4 --out lsconform-bench"
DEFAULT_OUT = Path("lsconform-bench")
DEFAULT_REFERENCE = "auto"
IN_PROCESS_REFERENCE = "reference"
DRIVER_REFERENCE = "reference-driver"
QUICK_TAG = "quick"
FAIR_PAIRS = 5
"""Fewer measured rounds than this give figures for smoke runs only (said in the output)."""


def _count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        if text.isdigit() and int(text) >= minimum:
            return int(text)
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, not {text!r}")

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidate", action="append", metavar="NAME", required=True,
                        help=f"candidate to measure (repeatable: several share the reference's runs): "
                             f"{CANDIDATE_FORMS}; the --reference baseline is no candidate (named as one, "
                             "it is left out, and at least one other is needed), so measure a shipped "
                             f"reference against the other: --candidate {IN_PROCESS_REFERENCE} "
                             f"--reference {DRIVER_REFERENCE}")
    parser.add_argument("--reference", default=DEFAULT_REFERENCE, metavar="NAME",
                        help="what the ratios are relative to (default auto: the reference placed as the "
                             f"candidates are, {DRIVER_REFERENCE} for driver candidates, "
                             f"{IN_PROCESS_REFERENCE} in process otherwise)")
    parser.add_argument("--quick", action="store_true",
                        help=f"only the small variants of the workloads (tag {QUICK_TAG}), for smoke runs; "
                             "with --workload or -k, the small ones among those")
    parser.add_argument("--pairs", type=_count(1), default=FAIR_PAIRS, metavar="N",
                        help=f"measured rounds per workload (default {FAIR_PAIRS})")
    parser.add_argument("--warmup", type=_count(0), default=1, metavar="N",
                        help="rounds run first and not measured (default 1)")
    parser.add_argument("--workload", action="append", metavar="ID", default=None,
                        help="only this workload, or those below this id (repeatable; e.g. perf.tcp)")
    parser.add_argument("-k", dest="keyword", action="append", metavar="TEXT",
                        help="only workloads whose id or title has TEXT (repeatable: any of them)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="do not measure the peers' ceiling with plain-socket clients (their load "
                             "during each run, CPU seconds per timed second, is measured anyway)")
    parser.add_argument("--time-scale", type=time_scale_option, default=1.0, metavar="F",
                        help="multiply deadlines and peer timeouts by F, above 0 and at most 1000 "
                             "(default 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"directory for results.json, junit.xml, summary.md, report.html "
                             f"(default {DEFAULT_OUT}/)")
    add_scenarios_option(parser)


def select_workloads(scenarios: Sequence[Scenario], quick: bool, named: bool) -> list[Scenario]:
    """Perf scenarios only: with ``quick`` the quick variants; without, the full ones unless some were named.

    A named workload runs whatever its size (``--workload perf.udp`` runs
    both UDP variants, and a quick one named by its id runs without
    ``--quick``), but ``--quick`` still means the small ones.
    """
    chosen = [scenario for scenario in scenarios if scenario.workload is not None]
    if quick or not named:
        chosen = [scenario for scenario in chosen if (QUICK_TAG in scenario.tags) == quick]
    return chosen


def choose_reference(requested: str, candidates: Sequence[CandidateSpec]) -> tuple[str, str]:
    """The baseline's name, and why it was chosen.

    Our peers and fake servers run as threads of the harness's interpreter.
    A candidate in process shares that interpreter (and its GIL) with them; a
    driver runs in a process of its own. Which of the two a side is changes
    its figures by up to a factor of two either way (a Python fake server
    competing with an in-process client for the GIL, a driver paying for a
    second process), so a ratio is only about the implementations when both
    sides are placed alike: the reference through the Python driver for
    driver candidates, the reference in process for in-process ones.
    """
    if requested != DEFAULT_REFERENCE:
        return requested, "as asked"
    names = {spec.name for spec in candidates}
    if candidates and all("driver" in spec.tags for spec in candidates):
        if DRIVER_REFERENCE not in names:
            return DRIVER_REFERENCE, "the candidates are drivers: the reference through the Python driver"
        return IN_PROCESS_REFERENCE, (f"{DRIVER_REFERENCE} is itself a candidate: the reference in process, "
                                      "so the drivers' ratios also measure their placement; name --reference "
                                      "to choose another")
    if all("in-process" in spec.tags for spec in candidates):
        return IN_PROCESS_REFERENCE, "the candidates run in process: the reference in process"
    return IN_PROCESS_REFERENCE, ("the candidates are placed differently (in process and in driver "
                                  "processes): the reference in process, so driver candidates' ratios also "
                                  "measure their placement; bench them apart or name --reference")


def command_line(args: argparse.Namespace, candidates: Sequence[str]) -> str:
    """The command, as it would be typed to get these figures again (shown with them)."""
    words = ["lsconform", "bench", *[f"--candidate {name}" for name in candidates]]
    if args.reference != DEFAULT_REFERENCE:
        words.append(f"--reference {args.reference}")
    if args.quick:
        words.append("--quick")
    if args.pairs != FAIR_PAIRS:
        words.append(f"--pairs {args.pairs}")
    if args.warmup != 1:
        words.append(f"--warmup {args.warmup}")
    words += [f"--workload {item}" for item in args.workload or []]
    words += [f"-k {word}" for word in args.keyword or []]
    if args.no_ceiling:
        words.append("--no-ceiling")
    if args.time_scale != 1.0:
        words.append(f"--time-scale {args.time_scale:g}")
    if args.scenarios is not None:
        words.append(f"--scenarios {shlex.quote(str(args.scenarios))}")
    return " ".join(words)


def execute(args: argparse.Namespace) -> int:
    from harness.bench import machine
    from harness.bench.document import bench_document
    from harness.bench.session import BenchInterrupted, BenchOptions, run_session
    from harness.candidates.registry import check_starts, resolve
    from harness.expectations import run_failures
    from harness.runner import RunOptions
    from reports import bench_text

    try:
        asked = [resolve(name) for name in dict.fromkeys(args.candidate)]
        reference_name, why = choose_reference(args.reference, asked)
        reference = resolve(reference_name)
        for spec in [*asked, reference]:
            check_starts(spec)
    except (LookupError, ValueError) as error:
        raise CliError(str(error)) from None
    candidates = [spec for spec in asked if spec.name != reference_name]
    names = [spec.name for spec in candidates]
    if not names:
        raise CliError("name at least one candidate other than the reference")
    root = scenario_root(args.scenarios)
    catalog = load(args.scenarios)
    try:
        scenarios = catalog.select(ids=args.workload or ["perf"], keyword=args.keyword)
    except UnknownScenarioError as error:
        raise CliError(str(error)) from None
    workloads = select_workloads(scenarios, args.quick, bool(args.workload))
    if not workloads:
        raise CliError("no workload selected: check --workload, -k and --quick (`lsconform list -k perf.`)",
                       code=NO_SCENARIOS)
    check_output_dir(args.out, root)
    settings = {"pairs": args.pairs, "warmup": args.warmup, "quick": bool(args.quick),
                "command": command_line(args, names), "machine": machine.describe(workloads)}
    print(f"lsconform: {len(workloads)} workloads x {1 + len(names)} sides, {args.warmup} warm-up + "
          f"{args.pairs} measured rounds each; reference {reference_name} ({why})", flush=True)
    if args.pairs < FAIR_PAIRS:
        print(f"lsconform: fewer than {FAIR_PAIRS} measured rounds: figures for a smoke run only", flush=True)
    options = BenchOptions(pairs=args.pairs, warmup=args.warmup, ceiling=not args.no_ceiling,
                           run=RunOptions(time_scale=args.time_scale))
    started = time.perf_counter()
    interrupted = False
    try:
        runs = run_session(workloads, reference, candidates, options,
                           progress=lambda line: print(f"  {line}", flush=True))
    except BenchInterrupted as stop:
        if not stop.finished:
            raise KeyboardInterrupt from None  # nothing measured to the end: nothing to write
        runs, interrupted = stop.finished, True
        settings["interrupted"] = {"after": len(runs), "of": len(workloads)}
        print(f"\nlsconform: interrupted: writing the {len(runs)} of {len(workloads)} workloads measured "
              "to the end", flush=True)
    document = bench_document(runs, reference_name, names, root=root, wall_time=time.perf_counter() - started,
                              time_scale=args.time_scale, settings=settings)
    written = write_reports(args.out, document)
    bench = document["bench"]
    print()
    for line in bench_text.table(bench):
        print(line)
    print()
    for line in bench_text.failure_lines(document):
        print(f"lsconform: {line}")
    for name in names:
        print(f"lsconform: {bench_text.score_line(name, bench['scores'][name], len(bench['workloads']))}")
    print(f"lsconform: {bench_text.settings_line(bench)}")
    print("lsconform: wrote " + ", ".join(str(path) for path in written))
    if interrupted:
        return INTERRUPTED
    return 1 if run_failures(document) else 0
