"""Any importable Python module that implements the API, as a candidate.

Behind ``--candidate python:pkg.module`` and behind the shipped reference
candidate: both are the in-process adapter over a module, differing only in
which module and which name they report.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from harness.adapters.base import Adapter, CandidateSpec
from harness.adapters.inprocess import InProcessAdapter

PREFIX = "python:"


def module_version(module: ModuleType) -> str:
    """The module's ``__version__`` as text, or "unknown"."""
    version = getattr(module, "__version__", None)
    return str(version) if version is not None else "unknown"


def in_process_spec(module_name: str, name: str, description: str = "") -> CandidateSpec:
    """A spec whose adapters call ``module_name`` in this process.

    The module is imported when an adapter is made, so that merely listing
    candidates never imports (or breaks on) an implementation.
    """

    def make_adapter() -> Adapter:
        module = importlib.import_module(module_name)
        return InProcessAdapter(module, name, module_version(module))

    return CandidateSpec(
        name=name,
        description=description or f"the Python module {module_name}, in process",
        make_adapter=make_adapter,
        tags=frozenset({"in-process", "python"}),
    )


def spec_for(candidate_name: str) -> CandidateSpec:
    """The spec for ``python:pkg.module``; the module must be importable now.

    Importing here, once, makes a typo fail when the run starts rather than
    as a CRASH in every scenario.
    """
    module_name = candidate_name.removeprefix(PREFIX)
    if not module_name:
        raise ValueError(f"{candidate_name!r}: name a module after {PREFIX!r}, e.g. python:mypkg.luasocket")
    importlib.import_module(module_name)
    return in_process_spec(module_name, candidate_name)
