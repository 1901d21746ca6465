"""Any importable Python module that implements the API, as a candidate.

Behind ``--candidate python:pkg.module`` and behind the shipped reference
candidate: both are the in-process adapter over a module, differing only in
which module and which name they report.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from types import ModuleType

from harness import environment
from harness.adapters.base import Adapter, CandidateSpec
from harness.adapters.inprocess import InProcessAdapter

PREFIX = "python:"


ENTRY_FUNCTIONS = ("connect", "bind", "udpsocket", "select", "toip", "tohostname", "smtp_mail", "mail",
                   "http_request", "http_get", "ftp_get", "ftp_put")
"""The functions an implementation of any part of the API exports at module level."""


class CandidateImportError(ImportError):
    """The candidate's module could not be imported; the message says how it failed."""


def import_candidate_module(module_name: str) -> ModuleType:
    """Import ``module_name``; any failure is one ``CandidateImportError`` saying how it failed.

    A syntax error or an exception raised by the module is the user's
    mistake, so it is reported as such rather than as a harness traceback.
    """
    try:
        return _import_without_api_variables(module_name)
    except Exception as error:  # noqa: BLE001 (whatever the module raised is reported, not a traceback)
        note = _import_failure_note(module_name, error)
        raise CandidateImportError(f"{type(error).__name__}: {error}{note}") from error


def _import_failure_note(module_name: str, error: Exception) -> str:
    """Where an import failed, after the exception's own text; "" when that text says it already.

    The module itself (or its package) not found: where Python looked, since
    that is what the user can change. Anything the module's own code raised:
    the file and line it was raised at, the deepest frame outside the import
    machinery and the harness (a SyntaxError names its line already).
    """
    if isinstance(error, SyntaxError):
        return ""
    if isinstance(error, ModuleNotFoundError) and error.name is not None and (
            module_name == error.name or module_name.startswith(error.name + ".")):
        parent, _, last = error.name.rpartition(".")
        package = sys.modules.get(parent) if parent else None
        if package is not None:
            where = ", ".join(getattr(package, "__path__", None) or [str(package.__file__)])
            return f" (the package {parent} in {where} has no module {last})"
        top = error.name.partition(".")[0]
        if os.path.exists(f"{top}.py") or os.path.isdir(top):
            return (f" (it is in the current folder, {os.getcwd()}, which the lsconform command does not "
                    "search: PYTHONPATH=. lsconform run ...)")
        return (" (not found on sys.path; install it, or put the folder that holds it on PYTHONPATH: "
                "PYTHONPATH=DIR lsconform run ...)")
    harness_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.startswith("<frozen ")
              and not os.path.abspath(frame.filename).startswith(harness_root + os.sep)]
    if not frames:
        return ""
    return f" (raised at {frames[-1].filename}:{frames[-1].lineno})"


def _import_without_api_variables(module_name: str) -> ModuleType:
    """Import with the API's variables unset, as a scenario that sets none sees them.

    A module that reads ``SERVER_NAME`` when it is imported then sees the
    same thing on every machine, whatever the shell has or whichever
    scenario happens to import it first (scenarios/README.md, Environment).
    """
    with environment.scenario_environment(()):
        return importlib.import_module(module_name)


def import_implementation(module_name: str) -> ModuleType:
    """Import ``module_name`` and check that it exports some of the API.

    A module with neither the ``LuaError`` the README asks implementations
    to export nor any of the API's entry functions (the package rather than
    the module inside it, say) is refused with ``ValueError`` instead of
    scoring 0% as UNIMPLEMENTED throughout.
    """
    module = import_candidate_module(module_name)
    functions = [name for name in ENTRY_FUNCTIONS if callable(getattr(module, name, None))]
    if not functions and not hasattr(module, "LuaError"):
        where = getattr(module, "__file__", None) or "a namespace package"
        raise ValueError(f"module {module_name!r} ({where}) has neither LuaError nor any of the API's "
                         f"functions ({', '.join(ENTRY_FUNCTIONS)}); name the module that defines them, "
                         f"e.g. {module_name}.luasocket")
    return module


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
        module = _import_without_api_variables(module_name)
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
    import_implementation(module_name)
    return in_process_spec(module_name, candidate_name)
