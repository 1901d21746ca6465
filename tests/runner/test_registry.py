"""Resolving candidate names: shipped, python:, entry points, unknown."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import EntryPoint

import pytest

from harness.adapters import driver_spec
from harness.adapters.inprocess import InProcessAdapter
from harness.candidates import registry
from harness.candidates.python_module import module_version


def test_reference_is_shipped_and_in_process():
    spec = registry.resolve("reference")
    assert spec.name == "reference" == registry.DEFAULT
    adapter = spec.make_adapter()
    try:
        assert isinstance(adapter, InProcessAdapter)
        assert adapter.info.name == "reference"
        assert adapter.info.version == module_version(importlib.import_module("reference"))
    finally:
        adapter.close()


def test_python_prefix_wraps_any_importable_module():
    spec = registry.resolve("python:mini_luasocket")
    assert spec.name == "python:mini_luasocket"
    adapter = spec.make_adapter()
    try:
        assert (adapter.info.name, adapter.info.version) == ("python:mini_luasocket", "0.1-mini")
    finally:
        adapter.close()


def test_python_prefix_with_a_module_that_cannot_be_imported_fails_at_resolve():
    with pytest.raises(registry.CandidateError, match="no_such_module_here"):
        registry.resolve("python:no_such_module_here")
    with pytest.raises(registry.CandidateError, match="name a module"):
        registry.resolve("python:")


@pytest.mark.parametrize(
    ("candidate", "source", "message"),
    [
        ("python:lsc_syntax_error_mod", "def broken(:\n", r"cannot import the module: SyntaxError: .*line 1"),
        ("driver:python:lsc_syntax_error_mod", "def broken(:\n", r"cannot import the module: SyntaxError"),
        ("python:lsc_raising_mod", "raise RuntimeError('boom at import')\n",
         "cannot import the module: RuntimeError: boom at import"),
        ("driver:python:lsc_raising_mod", "raise RuntimeError('boom at import')\n",
         "cannot import the module: RuntimeError: boom at import"),
        ("python:lsc_not_an_api_mod", "VERSION = 1\n",
         r"has neither LuaError nor any of the API's functions .* lsc_not_an_api_mod\.luasocket"),
    ],
)
def test_a_module_that_fails_or_is_not_an_implementation_is_one_clear_error(tmp_path, monkeypatch, candidate,
                                                                            source, message):
    """Not a traceback, and not an in-process run that scores 0% as UNIMPLEMENTED everywhere."""
    module = candidate.rsplit(":", 1)[1]
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(registry.CandidateError, match=message):
        registry.resolve(candidate)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(registry.CandidateError) as error:
        registry.resolve("nonesuch")
    message = str(error.value)
    assert "nonesuch" in message and "reference" in message and "python:<module>" in message


def test_driver_prefix_needs_a_program_that_exists():
    with pytest.raises(registry.CandidateError, match="not on PATH"):
        registry.resolve("driver:no-such-driver-program")


def fake_entry_points(*points: tuple[str, str]):
    return lambda: [EntryPoint(name, value, registry.ENTRY_POINT_GROUP) for name, value in points]


def test_third_party_candidates_come_from_entry_points(monkeypatch):
    points = fake_entry_points(("thirdparty", "runner_support:THIRD_PARTY"))
    monkeypatch.setattr(registry, "_entry_points", points)
    spec = registry.resolve("thirdparty")
    assert spec.name == "thirdparty"
    assert "thirdparty" in registry.known_names()


def test_entry_point_must_load_a_spec_with_its_own_name(monkeypatch):
    monkeypatch.setattr(registry, "_entry_points", fake_entry_points(
        ("renamed", "runner_support:THIRD_PARTY"), ("notaspec", "runner_support:loc")))
    with pytest.raises(registry.CandidateError, match="names itself 'thirdparty'"):
        registry.resolve("renamed")
    with pytest.raises(registry.CandidateError, match="not a CandidateSpec"):
        registry.resolve("notaspec")


def test_start_problem_starts_only_drivers_and_says_why_one_failed(tmp_path):
    assert registry.start_problem(registry.resolve("reference")) is None  # in process: nothing to start
    assert registry.start_problem(registry.resolve("reference-driver")) is None
    garbage = tmp_path / "garbage.sh"
    garbage.write_text("#!/bin/sh\necho 'Welcome to my driver'\nsleep 30\n")
    garbage.chmod(0o755)
    problem = registry.start_problem(registry.resolve(f"driver:{garbage}"))
    assert problem is not None and "no valid hello" in problem and "Welcome to my driver" in problem


def test_start_problem_sees_a_dead_driver_also_when_drivers_are_reused(tmp_path):
    dying = tmp_path / "dying.sh"
    dying.write_text("#!/bin/sh\necho 'cannot load libmysocket.so' >&2\nexit 4\n")
    dying.chmod(0o755)
    driver_spec.set_reuse(True)
    try:
        problem = registry.start_problem(registry.resolve(f"driver:{dying}"))
    finally:
        driver_spec.end_reuse()
    assert problem is not None and "cannot load libmysocket.so" in problem


def test_start_problem_shows_the_drivers_whole_stderr_tail(tmp_path):
    # An interpreter's "module not found" comes first and its search path after it:
    # the tail must not be cut to its last few hundred characters.
    broken = tmp_path / "broken.sh"
    search_path = "".join(f"\\n\\tno file '/usr/local/share/lua/5.4/sockett/init{n}.lua'" for n in range(12))
    broken.write_text(f"#!/bin/sh\nprintf \"module 'sockett' not found:{search_path}\\n\" >&2\nexit 1\n")
    broken.chmod(0o755)
    problem = registry.start_problem(registry.resolve(f"driver:{broken}"))
    assert problem is not None
    assert "module 'sockett' not found" in problem
    assert "init11.lua" in problem


def test_an_import_failure_says_where_it_was_raised_or_where_python_looked(tmp_path, monkeypatch):
    # "RuntimeError: boom" alone sent the author hunting for the line; a module not found gave no hint
    # that it is the search path (PYTHONPATH) that decides, nor which package lacked a submodule.
    (tmp_path / "lsc_boom_mod.py").write_text("X = 1\n\ndef f():\n    raise RuntimeError('boom')\n\nf()\n")
    (tmp_path / "lsc_dep_mod.py").write_text("import lsc_no_such_dependency\n")
    (tmp_path / "lsc_pkg_mod").mkdir()
    (tmp_path / "lsc_pkg_mod" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(registry.CandidateError) as raised:
        registry.resolve("python:lsc_boom_mod")
    assert str(raised.value).endswith(f"RuntimeError: boom (raised at {tmp_path / 'lsc_boom_mod.py'}:4)")
    with pytest.raises(registry.CandidateError) as raised:
        registry.resolve("python:lsc_dep_mod")
    assert str(raised.value).endswith(
        f"No module named 'lsc_no_such_dependency' (raised at {tmp_path / 'lsc_dep_mod.py'}:1)")
    with pytest.raises(registry.CandidateError) as raised:
        registry.resolve("python:lsc_pkg_mod.luasocket")
    assert str(raised.value).endswith(f"(the package lsc_pkg_mod in {tmp_path / 'lsc_pkg_mod'} has no module "
                                      "luasocket)")
    with pytest.raises(registry.CandidateError) as raised:
        registry.resolve("driver:python:lsc_not_anywhere_mod")
    assert "not found on sys.path; install it, or put the folder that holds it on PYTHONPATH" in str(
        raised.value)


def test_a_module_in_the_current_folder_but_not_on_the_path_is_named_as_such(tmp_path, monkeypatch):
    # The lsconform script does not search the current folder (python3 -m does): the first run of a
    # candidate written in place failed with a bare "No module named 'mymod'".
    (tmp_path / "lsc_here_mod.py").write_text("def connect(host, port):\n    return (None, 'no')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".")])  # as lsconform
    with pytest.raises(registry.CandidateError) as raised:
        registry.resolve("python:lsc_here_mod")
    assert str(raised.value).endswith(f"No module named 'lsc_here_mod' (it is in the current folder, "
                                      f"{tmp_path}, which the lsconform command does not search: "
                                      "PYTHONPATH=. lsconform run ...)")
