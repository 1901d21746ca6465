"""The process environment a candidate sees during a scenario: the variables the API reads.

LuaSocket 1.3b reads one environment variable, ``SERVER_NAME``, the
domain ``smtp_mail`` sends in HELO (spec §1.7). Left to the shell that
runs the suite, it would make verdicts depend on the machine: a CI runner
that happens to set ``SERVER_NAME`` would fail the reference on every HELO
check. So for the length of each scenario the harness's own environment
holds exactly the API variables the scenario's ``environment`` sets, and
none of the others. In-process candidates read it there; driver processes
started during the scenario inherit it; a kept driver
(``harness.adapters.driver_spec``) serves only scenarios whose API
environment is the one it was started with.

Nothing is written when the environment already matches (the usual case:
the variable unset, and no scenario setting it), so most runs never touch
``os.environ``. The environment is the process's, so this relies on what
the runner already guarantees: one process runs one scenario at a time
(pytest-xdist runs them in parallel in separate processes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from harness.scenario.schema import API_VARIABLES

ApiEnvironment = tuple[tuple[str, str], ...]
"""The API variables that are set, with their values, sorted by name: hashable, for keying drivers."""


def current() -> ApiEnvironment:
    """The API variables set in this process now."""
    return tuple((name, os.environ[name]) for name in sorted(API_VARIABLES) if name in os.environ)


@contextmanager
def scenario_environment(settings: ApiEnvironment) -> Iterator[None]:
    """Within the block, the API variables are exactly ``settings``; afterwards as they were."""
    saved = current()
    _apply(dict(settings))
    try:
        yield
    finally:
        _apply(dict(saved))


def without_api_variables(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less the API variables: a candidate's configured environment cannot override a scenario's."""
    return {name: value for name, value in env.items() if name not in API_VARIABLES}


def describe(settings: ApiEnvironment) -> str:
    """``SERVER_NAME='mail.example'``, for transcripts; "no API variable set" when empty."""
    return ", ".join(f"{name}={value!r}" for name, value in settings) or "no API variable set"


def _apply(wanted: Mapping[str, str]) -> None:
    for name in API_VARIABLES:
        value = wanted.get(name)
        if value is None:
            if name in os.environ:
                del os.environ[name]
        elif os.environ.get(name) != value:
            os.environ[name] = value
