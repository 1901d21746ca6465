"""The catalog: the whole suite, sorted, unique ids, selection, coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness
from harness.scenario.catalog import SCENARIOS_ENV, UnknownScenarioError, default_root, load_catalog
from harness.scenario.errors import ScenarioError
from harness.scenario.manual_functions import MANUAL_FUNCTIONS, area_of_call, coverage


def one(scenario_id: str, *, tags: str = "[]", call: str = "f", title: str = "t") -> str:
    """A scenario calling ``call``; a method call gets its socket from an earlier step."""
    target = call.partition(":")[0] if ":" in call else None
    setup = f"  - call: make_socket\n    save: [{target}]\n" if target else ""
    return (f"- id: {scenario_id}\n  title: {title}\n  manual: m\n  spec: s\n  tags: {tags}\n"
            f"  steps:\n{setup}  - call: {call}\n")


def suite(root: Path, files: dict[str, str]) -> Path:
    for relative, body in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return suite(tmp_path / "scenarios", {
        "README.md": "# not a scenario\n",
        "tcp/notes.txt": "ignored\n",
        "tcp/receive.yaml": "scenarios:\n"
        + one("tcp.receive.line.b", tags="[receive, line]", call="c:receive", title="Strips CR")
        + one("tcp.receive.all.a", tags="[receive]"),
        "tcp/deep/send.yaml": "scenarios:\n" + one("tcp.send.partial", tags="[send]", call="send"),
        "udp/receive.yaml": "scenarios:\n" + one("udp.receive.datagram", tags="[receive]", call="u:receive"),
        "select/readable.yaml": "scenarios:\n" + one("select.readable.udp", tags="[udp]", call="receive"),
    })


def test_loads_every_yaml_file_sorted_by_id(sample: Path) -> None:
    catalog = load_catalog(sample)
    assert catalog.root == sample
    assert [s.id for s in catalog.scenarios] == [
        "select.readable.udp", "tcp.receive.all.a", "tcp.receive.line.b", "tcp.send.partial",
        "udp.receive.datagram"]
    assert catalog.by_id["tcp.send.partial"].location.path == str(sample / "tcp" / "deep" / "send.yaml")


def test_select_by_id_prefix_tags_and_keyword(sample: Path) -> None:
    catalog = load_catalog(sample)
    ids = lambda chosen: [s.id for s in chosen]  # noqa: E731
    assert ids(catalog.select()) == ids(catalog.scenarios)
    assert ids(catalog.select(ids=["tcp.receive"])) == ["tcp.receive.all.a", "tcp.receive.line.b"]
    both = ["tcp.send.partial", "udp.receive.datagram"]
    assert ids(catalog.select(ids=["tcp.send.partial", "udp"])) == both
    assert ids(catalog.select(tags=["line", "send"])) == ["tcp.receive.line.b", "tcp.send.partial"]
    assert ids(catalog.select(keyword="strips cr")) == ["tcp.receive.line.b"]
    assert ids(catalog.select(keyword="DATAGRAM")) == ["udp.receive.datagram"]
    either = ["tcp.receive.line.b", "udp.receive.datagram"]
    assert ids(catalog.select(keyword=["strips cr", "DATAGRAM"])) == either
    assert ids(catalog.select(ids=["tcp"], tags=["receive"], keyword="all")) == ["tcp.receive.all.a"]
    assert catalog.select(tags=["nothing"]) == ()


def test_select_rejects_ids_that_select_nothing(sample: Path) -> None:
    catalog = load_catalog(sample)
    with pytest.raises(UnknownScenarioError, match="tcp.recv"):
        catalog.select(ids=["tcp.recv"])
    # A prefix selects whole segments only: "tcp.receive.lin" is not "tcp.receive.line.b"'s parent.
    with pytest.raises(UnknownScenarioError):
        catalog.select(ids=["tcp.receive.lin"])


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    root = suite(tmp_path / "s", {
        "tcp/a.yaml": "scenarios:\n" + one("tcp.same.id"),
        "tcp/b.yaml": "scenarios:\n" + "- id: tcp.other.id\n  title: t\n  manual: m\n  spec: s\n"
                      "  steps: [{call: f}]\n" + one("tcp.same.id"),
    })
    with pytest.raises(ScenarioError) as caught:
        load_catalog(root)
    (problem,) = caught.value.errors
    assert problem.path == str(root / "tcp" / "b.yaml") and problem.line == 7 and problem.field == "id"
    assert problem.message == f"duplicate id tcp.same.id (also at {root / 'tcp' / 'a.yaml'}:2)"


def test_a_yml_file_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    root = suite(tmp_path / "s", {"tcp/a.yaml": "scenarios:\n" + one("tcp.kept"),
                                  "tcp/b.yml": "scenarios:\n" + one("tcp.lost")})
    with pytest.raises(ScenarioError) as caught:
        load_catalog(root)
    (problem,) = caught.value.errors
    assert (problem.path, problem.line, problem.field) == (str(root / "tcp" / "b.yml"), 1, "file")
    assert "rename it" in problem.message


def test_a_link_to_nothing_is_refused_rather_than_skipped(tmp_path: Path) -> None:
    root = suite(tmp_path / "s", {"tcp/a.yaml": "scenarios:\n" + one("tcp.kept")})
    (root / "tcp" / "moved.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_catalog(root)
    (problem,) = caught.value.errors
    assert (problem.path, problem.line, problem.field) == (str(root / "tcp" / "moved.yaml"), 1, "file")
    assert problem.message == f"a link to nothing: {tmp_path / 'elsewhere.yaml'} does not exist"


def test_problems_of_every_bad_file_are_reported_together(tmp_path: Path) -> None:
    root = suite(tmp_path / "s", {
        "tcp/bad.yaml": "scenarios:\n" + one("udp.wrong.area"),
        "udp/worse.yaml": "scenarios: [1]\n",
        "loose.yaml": "scenarios: []\n",
    })
    with pytest.raises(ScenarioError) as caught:
        load_catalog(root)
    located = [(Path(p.path).name, p.line, p.field) for p in caught.value.errors]
    assert located == [("loose.yaml", 1, "file"), ("bad.yaml", 2, "scenarios[0].id"),
                       ("worse.yaml", 1, "scenarios[0]")]
    assert "area folder" in caught.value.errors[0].message


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="does not exist"):
        load_catalog(tmp_path / "nowhere")


def test_default_root_is_the_repository_scenarios_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)
    assert default_root() == Path(harness.__file__).resolve().parent.parent / "scenarios"
    assert (default_root() / "README.md").is_file()


def test_environment_overrides_default_root(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCENARIOS_ENV, str(sample))
    assert default_root() == sample
    assert len(load_catalog().scenarios) == 5


def test_area_of_call_follows_the_documented_rule(sample: Path) -> None:
    catalog = load_catalog(sample)
    by_id = catalog.by_id
    assert area_of_call(by_id["tcp.receive.line.b"], "receive") == "tcp"
    assert area_of_call(by_id["udp.receive.datagram"], "receive") == "udp"  # own area lists it
    assert area_of_call(by_id["select.readable.udp"], "receive") == "udp"  # tagged udp
    assert area_of_call(by_id["tcp.send.partial"], "toip") == "dns"  # only one area lists it
    assert area_of_call(by_id["select.readable.udp"], "select") == "tcp"
    assert area_of_call(by_id["tcp.send.partial"], "_sleep") is None


def test_coverage_lists_every_documented_function(sample: Path) -> None:
    table = coverage(load_catalog(sample).scenarios)
    assert set(table) == set(MANUAL_FUNCTIONS)
    for area, names in MANUAL_FUNCTIONS.items():
        assert tuple(table[area]) == names
    assert table["tcp"]["receive"] == ("tcp.receive.line.b",)
    assert table["tcp"]["send"] == ("tcp.send.partial",)
    assert table["udp"]["receive"] == ("select.readable.udp", "udp.receive.datagram")
    assert table["udp"]["send"] == ()
    assert table["http"]["http_get"] == ()


def test_manual_function_lists_match_the_brief() -> None:
    assert MANUAL_FUNCTIONS["tcp"] == ("bind", "connect", "accept", "receive", "send", "select", "timeout",
                                       "getsockname", "getpeername", "close")
    assert set(MANUAL_FUNCTIONS["udp"]) == {"udpsocket", "sendto", "send", "receive", "receivefrom",
                                            "setpeername", "setsockname", "getpeername", "getsockname",
                                            "timeout", "close"}
    assert MANUAL_FUNCTIONS["dns"] == ("toip", "tohostname")


def test_shipped_suite_loads_and_uses_both_call_styles() -> None:
    catalog = load_catalog(Path(harness.__file__).resolve().parent.parent / "scenarios")
    if not catalog.scenarios:
        pytest.skip("the shipped suite has no scenarios yet")
    styles = {step.style for scenario in catalog.scenarios for step in scenario.steps
              if getattr(step, "style", None)}
    assert styles == {"global", "method"}, "the suite must exercise both call styles (spec §1.6)"
