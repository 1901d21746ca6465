"""Hooks the lsconform pytest plugin offers to conftest files and other plugins.

Each hook is an empty function whose docstring is its contract, as pytest
declares its own. They are registered by ``harness.pytest_plugin`` through
``pytest_addhooks``; implement them in a ``conftest.py`` or a plugin. Their
names start with ``pytest_`` because pytest only looks for implementations
under that prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.adapters.base import CandidateSpec


@pytest.hookspec(firstresult=True)
def pytest_lsconform_resolve_candidate(config: pytest.Config, name: str) -> CandidateSpec | None:
    """Turn a candidate name from ``--lsc-candidate`` into a ``CandidateSpec``.

    Return None to let the next implementation decide; the plugin's own
    fallback asks ``harness.candidates.registry.resolve``. Raise
    ``LookupError`` (or ``ValueError``) for a name that must not run; the
    message is shown to the user. A project can use this to offer candidates
    that the registry does not know, without installing them.
    """
