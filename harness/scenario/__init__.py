"""The scenario language: YAML files -> validated, frozen ``model`` objects.

``load_file`` reads one file, ``load_catalog`` the whole suite;
``match_returns``/``match_raises`` compare observed results with an
outcome; ``resolve`` substitutes run-time variables. The format is
documented in ``scenarios/README.md``.
"""

from harness.scenario.catalog import Catalog, UnknownScenarioError, default_root, load_catalog
from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.loader import load_file
from harness.scenario.matchers import describe_returns, match_raises, match_returns
from harness.scenario.refs import UnresolvedRef, resolve

__all__ = [
    "Catalog",
    "Problem",
    "ScenarioError",
    "UnknownScenarioError",
    "UnresolvedRef",
    "default_root",
    "describe_returns",
    "load_catalog",
    "load_file",
    "match_raises",
    "match_returns",
    "resolve",
]
