"""The lsconform pytest plugin: scenario files become test items, results become results.json.

Loaded in every pytest run of an environment where the package is installed
(``pytest11`` entry point), so it is built to stay inert: it collects YAML
files only under the scenario root, imports the loader, the runner and the
candidates only once such a file is collected, and writes nothing unless
``--lsc-results`` asks for it.

Options::

    --lsc-candidate NAME   candidate to run (repeatable; default "reference")
    --lsc-time-scale F     multiply every time window and deadline by F
    --lsc-results PATH     write results.json there at the end of the session
    --lsc-scenarios DIR    the scenario root (default: the catalog's)
    --lsc-expectations F   judge a candidate against the expectations file F (repeatable)
    --lsc-strict           with expectations, unexpected passes and stale entries fail too
    --lsc-shard i/n        run only shard i of n (``harness.shards``), marked so in results.json
    --lsc-include-perf     also collect ``scenarios/perf/`` (throughput workloads, skipped by
                           default: big and slow); each runs once, as a correctness check

Under pytest-xdist each worker runs items and attaches each result record
to its report's ``user_properties``; the controller receives every report in
``pytest_runtest_logreport`` and alone writes results.json, so ``-n auto``
and a serial run produce the same document.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from harness import hookspecs
from harness.cli.common import MOST_SCALE
from harness.pytest_items import RECORD_PROPERTY, MisnamedFile, ScenarioFile, ScenarioItem
from harness.pytest_state import RUN_STATE, RunState
from harness.results import write_document
from reports.markdown import headline

DEFAULT_CANDIDATE = "reference"
PERF_AREA = "perf"  # harness.bench.workload.PERF_AREA, not imported: this module must stay light
_SCENARIO_SUFFIX = ".yaml"  # the catalog's rule too: README.md and friends are not scenarios
_COLLECTOR_NAME = "lsconform-results"


def default_scenario_root() -> Path:
    """The catalog's default: ``$LSCONFORM_SCENARIOS``, else the suite's own ``scenarios/``."""
    from harness.scenario.catalog import default_root

    return default_root()


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = config.pluginmanager.get_plugin(_COLLECTOR_NAME)
    if collector is not None:
        config.pluginmanager.unregister(collector)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lsconform", "LuaSocket 1.3b conformance scenarios")
    group.addoption("--lsc-candidate", action="append", dest="lsc_candidates", metavar="NAME", default=[],
                    help=f"candidate to run every scenario against (repeatable; default {DEFAULT_CANDIDATE})")
    group.addoption("--lsc-time-scale", type=float, dest="lsc_time_scale", metavar="F", default=1.0,
                    help="multiply every time window and deadline by F (slow machines: 2 or more)")
    group.addoption("--lsc-results", dest="lsc_results", metavar="PATH", default=None,
                    help="write results.json to PATH at the end of the session")
    group.addoption("--lsc-scenarios", dest="lsc_scenarios", metavar="DIR", default=None,
                    help="scenario root; only YAML files under it are collected (default: the suite's)")
    group.addoption("--lsc-no-summary", action="store_true", dest="lsc_no_summary",
                    help="do not print the lsconform verdict summary (the CLI prints its own)")
    group.addoption("--lsc-driver-reuse", action="store_true", dest="lsc_driver_reuse",
                    help="keep one driver process per worker and candidate instead of one per scenario")
    group.addoption("--lsc-expectations", action="append", dest="lsc_expectations", metavar="FILE",
                    default=[], help="judge the candidate the file names against its known non-passes "
                                     "(repeatable, one file per candidate)")
    group.addoption("--lsc-strict", action="store_true", dest="lsc_strict",
                    help="with --lsc-expectations, unexpected passes and stale entries fail as well")
    group.addoption("--lsc-shard", dest="lsc_shard", metavar="i/n", default=None,
                    help="run only shard i of n of the selected scenarios (round-robin on sorted ids)")
    group.addoption("--lsc-include-perf", action="store_true", dest="lsc_include_perf",
                    help="also collect the perf workloads (scenarios/perf/), each run once as a correctness "
                         "check; `lsconform bench` measures them")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("lsc_driver_reuse"):
        from harness.adapters import driver_spec

        driver_spec.set_reuse(True)
        config.add_cleanup(driver_spec.end_reuse)
    time_scale = config.getoption("lsc_time_scale")
    if not 0 < time_scale <= MOST_SCALE:  # NaN fails this too
        raise pytest.UsageError(f"--lsc-time-scale must be positive and at most {MOST_SCALE:g}, "
                                f"not {time_scale}")
    option_root = config.getoption("lsc_scenarios")
    results = config.getoption("lsc_results")
    explicit = tuple(dict.fromkeys(config.getoption("lsc_candidates")))
    state = RunState(
        config=config,
        root_option=Path(option_root) if option_root else None,
        candidate_names=explicit or (DEFAULT_CANDIDATE,),
        time_scale=time_scale,
        results_path=Path(results).resolve() if results else None,
        show_summary=not config.getoption("lsc_no_summary"),
    )
    config.stash[RUN_STATE] = state
    config.pluginmanager.register(ResultCollector(state), _COLLECTOR_NAME)
    # Names given on purpose are checked now, so a typo is one clear usage
    # error instead of a CRASH in every scenario. The default is resolved
    # only when a scenario runs, keeping unrelated pytest runs inert.
    for name in explicit:
        try:
            state.candidate(name)
        except (LookupError, ValueError) as error:
            raise pytest.UsageError(f"--lsc-candidate {name}: {error}") from None
    _configure_shard_and_expectations(config, state)


def _configure_shard_and_expectations(config: pytest.Config, state: RunState) -> None:
    """Parse ``--lsc-shard``; load ``--lsc-expectations``.

    Entry ids are checked against the suite once, in the controller (or the
    only process), not again in every xdist worker.
    """
    shard = config.getoption("lsc_shard")
    if shard is not None:
        from harness.shards import Shard

        try:
            state.shard = Shard.parse(shard)
        except ValueError as error:
            raise pytest.UsageError(f"--lsc-shard: {error}") from None
    state.strict = config.getoption("lsc_strict")
    paths = config.getoption("lsc_expectations")
    if not paths:
        return
    from harness.expectations_file import ExpectationsError, load_for_run

    try:
        state.expectations = load_for_run(paths, state.candidate_names,
                                          None if state.is_worker else state.known_ids())
    except ExpectationsError as error:
        raise pytest.UsageError(f"--lsc-expectations:\n{error}") from None


@pytest.hookimpl(trylast=True)
def pytest_lsconform_resolve_candidate(config: pytest.Config, name: str) -> object:
    from harness.candidates.registry import resolve

    return resolve(name)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if file_path.suffix not in (_SCENARIO_SUFFIX, ".yml"):
        return None
    state = parent.config.stash[RUN_STATE]
    try:
        relative = file_path.resolve().relative_to(state.root)
    except ValueError:
        return None
    if file_path.suffix == ".yml":
        return MisnamedFile.from_parent(parent, path=file_path, nodeid=relative.as_posix())
    if relative.parts[0] == PERF_AREA and not parent.config.getoption("lsc_include_perf"):
        return None  # throughput workloads: big and slow, measured by `lsconform bench`
    # The node id is relative to the scenario root, whatever pytest's rootdir:
    # "tcp/receive.yaml::tcp.receive.line.crlf-stripped[reference]".
    return ScenarioFile.from_parent(parent, path=file_path, nodeid=relative.as_posix())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--lsc-shard``, keep this shard's scenarios; after ``-k``/``-m`` have had their say."""
    state = config.stash[RUN_STATE]
    if state.shard is None:
        return
    mine = state.shard.select(item.scenario.id for item in items if isinstance(item, ScenarioItem))
    kept, dropped = [], []
    for item in items:
        (dropped if isinstance(item, ScenarioItem) and item.scenario.id not in mine else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class ResultCollector:
    """Per-session hooks that gather result records and write results.json.

    An object rather than module functions because ``pytest_runtest_logreport``
    receives no config: the collector holds its session's state itself.
    """

    def __init__(self, state: RunState) -> None:
        self.state = state
        self._document: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """Built once, at session end: describing candidates may start a driver process."""
        if self._document is None:
            self._document = self.state.document()
        return self._document

    def pytest_sessionstart(self) -> None:
        self.state.started = time.perf_counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == RECORD_PROPERTY:
                self.state.add(value)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.state.collection_failed = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # A scenario file that failed to load stops a run without xdist
        # ("Interrupted: errors during collection"); with xdist the workers'
        # errors reach this hook and the others' scenarios run on, and a run
        # whose results silently lack that file's scenarios must not look
        # like a pass: the run ends INTERRUPTED either way.
        if self.state.collection_failed and not self.state.is_worker:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        if self.state.is_worker or self.state.results_path is None:
            return
        write_document(self.state.results_path, self.document())

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.state.records or not self.state.show_summary:
            return
        terminalreporter.section("lsconform")
        for line in headline(self.document()):
            terminalreporter.write_line(line)
        if self.state.results_path is not None:
            terminalreporter.write_line(f"results: {self.state.results_path}")
