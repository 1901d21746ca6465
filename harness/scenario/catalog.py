"""The whole scenario suite: every ``scenarios/<area>/**/*.yaml`` loaded once.

The catalog is what the pytest plugin and the CLI iterate over. Ids are
unique across the suite; a duplicate is an error naming both places. Files
sit in area folders, and the folder decides the first segment of their ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import harness
from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.loader import load_file
from harness.scenario.model import Scenario

SCENARIOS_ENV = "LSCONFORM_SCENARIOS"


class UnknownScenarioError(LookupError):
    """``Catalog.select`` was given an id that selects nothing (likely a typo)."""


def default_root() -> Path:
    """``$LSCONFORM_SCENARIOS`` if set, else the repository's ``scenarios/``."""
    override = os.environ.get(SCENARIOS_ENV)
    if override:
        return Path(override)
    return Path(harness.__file__).resolve().parent.parent / "scenarios"


@dataclass(frozen=True)
class Catalog:
    """Loaded scenarios, sorted by id, with lookup and selection."""

    root: Path
    scenarios: tuple[Scenario, ...]
    by_id: Mapping[str, Scenario]

    @property
    def tags(self) -> frozenset[str]:
        """Every tag some scenario carries: the names a tag filter can match."""
        return frozenset(tag for scenario in self.scenarios for tag in scenario.tags)

    def select(self, ids: Iterable[str] | None = None, tags: Iterable[str] | None = None,
               keyword: str | Iterable[str] | None = None) -> tuple[Scenario, ...]:
        """The scenarios passing every given filter, in id order.

        ``ids``: each selects that scenario and everything below it in the
        hierarchy (``tcp.receive`` selects ``tcp.receive.line.crlf``); an id
        that selects nothing raises ``UnknownScenarioError``. ``tags``: a
        scenario carrying any of them. ``keyword``: a case-insensitive
        substring of the id or the title, or several, any of which selects.
        """
        chosen = self.scenarios
        if ids is not None:
            wanted = list(ids)
            unknown = [prefix for prefix in wanted if not any(_under(s.id, prefix) for s in chosen)]
            if unknown:
                raise UnknownScenarioError(f"no scenario has the id {', '.join(unknown)} or one below it")
            chosen = tuple(s for s in chosen if any(_under(s.id, prefix) for prefix in wanted))
        if tags is not None:
            tag_set = set(tags)
            chosen = tuple(s for s in chosen if tag_set.intersection(s.tags))
        words = [keyword] if isinstance(keyword, str) else list(keyword or ())
        needles = [word.lower() for word in words if word]
        if needles:
            chosen = tuple(s for s in chosen
                           if any(needle in s.id.lower() or needle in s.title.lower() for needle in needles))
        return chosen


def _under(scenario_id: str, prefix: str) -> bool:
    return scenario_id == prefix or scenario_id.startswith(prefix + ".")


def scenario_files(root: Path) -> list[Path]:
    """Every ``*.yaml`` below ``root``, in a stable order (README and the rest ignored)."""
    return sorted(path for path in root.rglob("*.yaml") if path.is_file())


MISNAMED = "scenario files end in .yaml; this .yml file would be ignored: rename it"


def misnamed_files(root: Path) -> list[Path]:
    """``*.yml`` files below ``root``: scenarios a user meant to add, which would silently not run."""
    return sorted(path for path in root.rglob("*.yml") if path.is_file())


def dangling_links(root: Path) -> list[Path]:
    """``*.yaml`` links below ``root`` whose target is gone: scenarios that would silently not run."""
    return sorted(path for path in root.rglob("*.yaml") if path.is_symlink() and not path.exists())


def load_catalog(root: Path | None = None) -> Catalog:
    """Load every scenario file under ``root`` (default: :func:`default_root`).

    Raises ``ScenarioError`` listing the problems of every bad file, and
    every duplicate id across files, at once.
    """
    root = default_root() if root is None else Path(root)
    if not root.is_dir():
        raise ScenarioError(str(root), 1, "scenarios", "the scenarios directory does not exist")
    problems = [Problem(str(path), 1, "file", MISNAMED) for path in misnamed_files(root)]
    problems += [Problem(str(path), 1, "file", f"a link to nothing: {os.readlink(path)} does not exist")
                 for path in dangling_links(root)]
    found: dict[str, Scenario] = {}
    for path in scenario_files(root):
        relative = path.relative_to(root)
        if len(relative.parts) < 2:
            problems.append(Problem(str(path), 1, "file", "scenario files belong in an area folder "
                                    "(scenarios/<area>/); the folder names the id's first segment"))
            continue
        try:
            loaded = load_file(path, area=relative.parts[0])
        except ScenarioError as error:
            problems.extend(error.errors)
            continue
        for scenario in loaded:
            first = found.get(scenario.id)
            if first is not None:
                problems.append(Problem(scenario.location.path, scenario.location.line, "id",
                                        f"duplicate id {scenario.id} (also at {first.location})"))
                continue
            found[scenario.id] = scenario
    if problems:
        raise ScenarioError.from_problems(problems)
    ordered = tuple(sorted(found.values(), key=lambda s: s.id))
    return Catalog(root=root, scenarios=ordered, by_id={s.id: s for s in ordered})
