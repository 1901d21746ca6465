"""What one pytest session of the lsconform plugin knows: options, candidates, results.

Kept on ``config.stash`` rather than in module globals, because one process
can run several sessions (``pytester``, ``lsconform run --repeat``) and
each must start clean.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.results import build_document, candidate_entry, localize, suite_version

if TYPE_CHECKING:
    from harness.adapters.base import CandidateSpec
    from harness.expectations import ExpectationSet
    from harness.runner import RunOptions
    from harness.shards import Shard


@dataclass
class RunState:
    config: pytest.Config
    root_option: Path | None
    candidate_names: tuple[str, ...]
    time_scale: float
    results_path: Path | None
    show_summary: bool
    started: float = field(default_factory=time.perf_counter)
    shard: Shard | None = None
    expectations: dict[str, ExpectationSet] = field(default_factory=dict)
    strict: bool = False
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    collection_failed: bool = False  # a file (scenario or not) failed to collect: the run cannot pass
    _specs: dict[str, CandidateSpec] = field(default_factory=dict)
    _markers: set[str] = field(default_factory=set)
    _root: Path | None = None
    _foreign_markers: frozenset[str] | None = None
    _seen_ids: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The scenario root, found on first use so that runs without scenarios import nothing."""
        if self._root is None:
            from harness.pytest_plugin import default_scenario_root

            self._root = (self.root_option or default_scenario_root()).resolve()
        return self._root

    def known_ids(self) -> frozenset[str] | None:
        """Every scenario id of the suite under the root (None if it does not load: collection says why)."""
        from harness.scenario.catalog import load_catalog
        from harness.scenario.errors import ScenarioError

        try:
            return frozenset(load_catalog(self.root).by_id)
        except ScenarioError:
            return None

    def claim_id(self, scenario_id: str, where: str) -> str | None:
        """Record where an id is defined; the earlier place if another file took it first."""
        earlier = self._seen_ids.setdefault(scenario_id, where)
        return earlier if earlier != where else None

    @property
    def is_worker(self) -> bool:
        """True inside a pytest-xdist worker, which must leave writing to the controller."""
        return hasattr(self.config, "workerinput")

    def candidate(self, name: str) -> CandidateSpec:
        """Resolve a candidate name once per session, through the plugin hook."""
        if name not in self._specs:
            spec = self.config.hook.pytest_lsconform_resolve_candidate(config=self.config, name=name)
            if spec is None:
                raise LookupError(f"no plugin resolved the candidate {name!r}")
            self._specs[name] = spec
        return self._specs[name]

    def run_options(self) -> RunOptions:
        from harness.runner import RunOptions

        return RunOptions(time_scale=self.time_scale)

    def marker_for(self, tag: str) -> str:
        """The pytest marker for a scenario tag or area, declared so ``--strict-markers`` accepts it.

        ``pattern-line`` becomes ``pattern_line``. A name some other plugin
        already declared (``skip``, ``parametrize``, pytest-timeout's
        ``timeout``...) gets a ``tag_`` prefix, because reusing it would hand
        the item to that plugin: a ``skip`` tag must not skip.
        """
        name = tag.replace("-", "_").replace(".", "_")
        if self._foreign_markers is None:
            declared = (line.split(":")[0].split("(")[0].strip() for line in self.config.getini("markers"))
            self._foreign_markers = frozenset(declared)
        if name in self._foreign_markers:
            name = f"tag_{name}"
        if name not in self._markers:
            self._markers.add(name)
            self.config.addinivalue_line("markers", f"{name}: lsconform scenario tag or area")
        return name

    def localize(self, record: dict[str, Any]) -> dict[str, Any]:
        """Show file locations relative to the scenario root, as node ids are."""
        return localize(record, self.root)

    def add(self, record: Mapping[str, Any]) -> None:
        """Keep the latest result per (scenario, candidate); reruns replace earlier ones."""
        self.records[(record["scenario"], record["candidate"])] = dict(record)

    def document(self) -> dict[str, Any]:
        document = build_document(
            self.records.values(),
            [self.describe(name) for name in self.candidate_names],
            suite_version=suite_version(self.root) if self.root.is_dir() else "unknown",
            wall_time=time.perf_counter() - self.started,
            time_scale=self.time_scale,
        )
        if self.shard is not None:
            # The selection goes with the mark: shards of different -k/-m selections do not add up
            # to one run, and merge must be able to say so.
            document["shard"] = {**self.shard.to_json(), "selection": {
                "keyword": self.config.getoption("keyword") or "",
                "markexpr": self.config.getoption("markexpr") or ""}}
        if self.expectations:
            from harness.expectations import with_expectations

            document = with_expectations(document, self.expectations.values(), strict=self.strict)
        return document

    def describe(self, name: str) -> dict[str, Any]:
        """Name, version and capabilities, as the candidate reports them about itself.

        This needs one adapter (for a driver, one process); a candidate that
        cannot even start is listed with version "unknown".
        """
        try:
            adapter = self.candidate(name).make_adapter()
        except Exception:  # the results still list the candidate that failed to start
            return candidate_entry(name, "unknown", ())
        try:
            info = adapter.info
            return candidate_entry(name, info.version, info.capabilities)
        finally:
            adapter.close()


RUN_STATE = pytest.StashKey[RunState]()
