"""``lsconform list``, ``show``, ``coverage``, ``report`` and ``--help``, called in process."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_scenarios import FAILING_YAML, LOOKUP_YAML, UNIMPLEMENTED_YAML, write_tree

from harness.cli import coverage
from harness.cli.main import main
from harness.results import build_document, candidate_entry


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = {"dns/lookup.yaml": LOOKUP_YAML, "dns/failing.yaml": FAILING_YAML,
             "dns/reverse.yaml": UNIMPLEMENTED_YAML}
    return write_tree(tmp_path / "scenarios", files)


def test_help_explains_every_command_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for command in ("run", "list", "show", "coverage", "report"):
        assert f"\n  lsconform {command} " in text
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "example:\n  lsconform run " in capsys.readouterr().out


def test_list_prints_ids_titles_and_tags(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--scenarios", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "dns.tohostname.localhost", "dns.toip.localhost", "dns.toip.unknown-host", "dns.toip.wrong-answer"]
    assert lines[1].split(None, 1)[1] == "toip resolves localhost  [lookup, fast-path]"
    assert lines[-1] == "4 of 4 scenarios"


def test_list_filters_by_keyword_and_tag(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--scenarios", str(root), "--tag", "errors"]) == 0
    listed = capsys.readouterr().out.splitlines()[:-1]
    assert [line.split()[0] for line in listed] == ["dns.toip.unknown-host"]
    assert main(["list", "--scenarios", str(root), "-k", "WRONG"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:-1]] == ["dns.toip.wrong-answer"]
    assert out[-1] == "1 of 4 scenarios"
    assert main(["list", "--scenarios", str(root), "-k", "WRONG", "-k", "unknown"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:-1]] == ["dns.toip.unknown-host", "dns.toip.wrong-answer"]


def test_list_selects_by_a_tag_written_with_a_dash(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--scenarios", str(root), "--tag", "fast-path"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:-1]] == ["dns.toip.localhost"]
    assert out[-1] == "1 of 4 scenarios"


def test_list_refuses_a_tag_no_scenario_has(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt tag printed '0 of 4 scenarios' and exited 0, as if the answer were real."""
    assert main(["list", "--scenarios", str(root), "--tag", "fast_path"]) == 2
    captured = capsys.readouterr()
    assert "--tag fast_path: no scenario has this tag; did you mean fast-path?" in captured.err
    assert captured.out == ""
    assert main(["list", "--scenarios", str(root), "--tag", "lookup", "--tag", "zzz"]) == 2  # one bad of two
    assert ("--tag zzz: no scenario has this tag; the tags are: errors, fast-path, lookup, reverse"
            in capsys.readouterr().err)


def test_list_counts_the_perf_workloads_apart(capsys: pytest.CaptureFixture[str]) -> None:
    """run leaves the perf workloads out, so list's total would not match run's without the note."""
    assert main(["list", "-k", "perf.tcp."]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = len(lines) - 1
    assert listed > 0 and all(line.startswith("perf.tcp.") for line in lines[:-1])
    assert lines[-1].endswith(f"({listed} of them perf workloads, which bench runs and run does not)")


def test_list_reports_a_broken_file_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write_tree(tmp_path / "s", {"dns/bad.yaml": LOOKUP_YAML.replace("  spec: \"§9\"\n", "", 1)})
    assert main(["list", "--scenarios", str(broken)]) == 2
    assert "dns/bad.yaml:2: " in capsys.readouterr().err


def test_show_prints_references_and_the_yaml_as_written(root: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "dns.toip.unknown-host", "--scenarios", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dns.toip.unknown-host: toip on an unknown name returns nil and a message\n")
    assert "  manual:   DNS / toip\n" in out
    assert "  spec:     §9 " in out
    assert "  tags:     lookup, errors\n" in out
    assert f"  file:     {root / 'dns' / 'lookup.yaml'}:12\n" in out
    source = out.split("\n\n", 1)[1]
    assert source.startswith("- id: dns.toip.unknown-host\n")
    assert '    expect: {returns: [null, !type string]}' in source
    assert "dns.toip.localhost" not in source


def test_show_names_the_environment_a_scenario_sets(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    setting = '  environment: {SERVER_NAME: mx.example}\n'
    text = LOOKUP_YAML.replace('  spec: "§9"\n', '  spec: "§9"\n' + setting, 1)
    tree = write_tree(tmp_path / "s", {"dns/lookup.yaml": text})
    first = text.split("- id: ", 2)[1].split("\n", 1)[0]
    assert main(["show", first, "--scenarios", str(tree)]) == 0
    assert "  environment: SERVER_NAME='mx.example'\n" in capsys.readouterr().out


def test_show_unknown_id_is_an_error_with_hints(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "dns.toip", "--scenarios", str(root)]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario id 'dns.toip'" in err and "dns.toip.localhost" in err


def test_coverage_maps_functions_to_scenarios(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--scenarios", str(root)]) == 0
    out = capsys.readouterr().out
    toip = next(line for line in out.splitlines() if line.strip().startswith("toip "))
    assert toip.split()[1:] == ["3", "dns.toip.localhost,", "dns.toip.unknown-host,", "dns.toip.wrong-answer"]
    uncovered = next(line for line in out.splitlines() if line.startswith("functions with no scenario"))
    assert "tcp.connect" in uncovered and "dns.toip" not in uncovered and "dns.tohostname" not in uncovered
    assert main(["coverage", "--scenarios", str(root), "--strict"]) == 1


def test_coverage_strict_passes_when_every_core_function_is_called(
        root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(coverage, "TRANSPORT_AREAS", ("dns",))
    assert main(["coverage", "--scenarios", str(root), "--strict", "--counts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines if line.strip().startswith(("toip ", "tohostname "))] == [
        ["toip", "3"], ["tohostname", "1"]]


def _results_file(tmp_path: Path) -> Path:
    document = build_document([], [candidate_entry("reference", "0.1.0", [])], suite_version="0.1.0+test",
                              wall_time=1.5, time_scale=1.0)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_report_renders_markdown_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_file(tmp_path)
    assert main(["report", str(results)]) == 0
    assert "# LuaSocket 1.3b conformance" in capsys.readouterr().out
    assert main(["report", str(results), "--format", "junit", "-o", str(tmp_path / "j.xml")]) == 0
    assert ET.parse(tmp_path / "j.xml").getroot().find("testsuite").get("name") == "reference"


@pytest.mark.parametrize("below", ["x.md", "sub/x.md"])
def test_report_names_a_file_standing_where_o_needs_a_folder(tmp_path: Path, below: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """mkdir's '[Errno 17] File exists: afile' read as if the report itself already existed."""
    results = _results_file(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("kept\n", encoding="utf-8")
    assert main(["report", str(results), "-o", str(afile / below)]) == 2
    assert f"error: -o {afile / below}: {afile} is a file, not a directory\n" in capsys.readouterr().err
    assert afile.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.parametrize("report_format", ["md", "junit", "html"])
def test_a_report_on_standard_output_survives_a_lone_surrogate(tmp_path: Path, report_format: str) -> None:
    # A driver's undecodable byte can leave one in a version or a reason; a file takes it, so must stdout.
    import subprocess
    import sys

    document = build_document([], [candidate_entry("port", "1.0\udcff", [])], suite_version="0.1.0+test",
                              wall_time=1.5, time_scale=1.0)
    results = tmp_path / "results.json"
    results.write_text(json.dumps(document), encoding="utf-8")
    command = [sys.executable, "-m", "harness.cli", "report", str(results), "--format", report_format]
    done = subprocess.run(command, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
                          check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert b"1.0\\udcff" in done.stdout


def test_report_refuses_a_file_that_is_not_results(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    assert main(["report", str(other)]) == 2
    assert "not an lsconform results document" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["report", "--format", "md"], ["report", "--format", "junit"],
                                     ["report", "--format", "html"], ["update-expectations", "-o", "x.yaml"]])
def test_a_corrupt_transcript_is_a_usage_error_naming_the_field(tmp_path: Path, command: list[str],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Every renderer read transcript items as objects: a string there was a traceback, exit 1."""
    record = {"scenario": "dns.toip.x", "candidate": "reference", "verdict": "FAIL", "duration": 0.1,
              "title": "t", "area": "dns", "manual": "m", "spec": "§9", "tags": [], "reason": "r",
              "step": "dns/x.yaml:3", "expected": [], "actual": "", "transcript": ["not an entry"]}
    document = build_document([record], [candidate_entry("reference", "0.1.0", [])],
                              suite_version="0.1.0+test", wall_time=1.5, time_scale=1.0)
    results = tmp_path / "results.json"
    results.write_text(json.dumps(document), encoding="utf-8")
    arguments = [command[0], str(results), *command[1:]]
    if command[0] == "update-expectations":
        arguments[-1] = str(tmp_path / "x.yaml")
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err == f"lsconform: error: {results}: results[0].transcript[0]: expected object, got str\n"
    assert not (tmp_path / "x.yaml").exists()


def test_unwritable_report_directory_is_a_clear_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli.common import CliError
    from harness.cli.run import write_reports

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the unwritten results are kept
    blocker = tmp_path / "report"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    document = json.loads(_results_file(tmp_path).read_text(encoding="utf-8"))
    with pytest.raises(CliError, match=f"cannot write the reports to {blocker}.*is kept as {tmp_path}/"):
        write_reports(blocker, document)


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # `lsconform list | head -1`: the pipe closes while list still writes (the shipped
    # suite's list is larger than a pipe's buffer, so the write cannot have finished).
    import subprocess
    import sys

    with subprocess.Popen([sys.executable, "-m", "harness.cli", "list"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


def test_report_will_not_overwrite_the_results_it_reads(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_file(tmp_path)
    before = results.read_text(encoding="utf-8")
    assert main(["report", str(results), "--format", "html", "-o", str(results)]) == 2
    assert "is the results file being read" in capsys.readouterr().err
    assert results.read_text(encoding="utf-8") == before


def test_reports_are_all_rendered_before_any_is_written(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A renderer that fails must leave the directory as it was, not a new results.json beside old reports.
    from harness.cli import run as run_command

    document = json.loads(_results_file(tmp_path).read_text(encoding="utf-8"))
    out = tmp_path / "report"

    def broken(_document: object) -> str:
        raise ValueError("cannot render")

    monkeypatch.setattr(run_command.html, "render", broken)
    with pytest.raises(ValueError, match="cannot render"):
        run_command.write_reports(out, document)
    assert not out.exists() or list(out.iterdir()) == []


def test_a_root_one_level_off_is_one_clear_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The project folder, or one area folder: before, every file's every id was reported.
    assert main(["list", "--scenarios", str(root.parent)]) == 2
    err = capsys.readouterr().err
    assert f"the scenario root is probably {root}" in err and len(err.splitlines()) == 1
    assert main(["list", "--scenarios", str(root / "dns")]) == 2
    err = capsys.readouterr().err
    assert f"it looks like one area folder; give its parent ({root})" in err and len(err.splitlines()) == 1
    assert main(["list", "--scenarios", str(root)]) == 0


def test_report_to_a_directory_is_told_to_name_the_file(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_file(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["report", str(results), "-o", str(tmp_path / "out")]) == 2
    assert f"is a directory: give the report file's name (e.g. {tmp_path / 'out' / 'summary.md'})" in \
        capsys.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []


def test_serve_config_that_is_a_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "http", "--config", str(tmp_path)]) == 2
    assert f"{tmp_path}: a directory, not a configuration file" in capsys.readouterr().err
