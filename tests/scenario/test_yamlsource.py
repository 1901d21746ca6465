"""The YAML layer: located containers, core-schema typing and the tags."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from harness.scenario.errors import Collector
from harness.scenario.located import InvalidValue, YList, YMap
from harness.scenario.matchers import (
    AnyValue,
    Contains,
    Digest,
    ErrorClass,
    Exact,
    Length,
    OneOf,
    Range,
    RefEquals,
    Regex,
    TableMatcher,
    TypeIs,
    Unordered,
)
from harness.scenario.message_matcher import MessageMatcher
from harness.scenario.model import Ref
from harness.scenario.record_matchers import Absent
from harness.scenario.yamlsource import ScenarioYamlLoader, load_yaml, parse_yaml


def parse(text: str) -> tuple[object, Collector, list[InvalidValue]]:
    collector = Collector("mem.yaml")
    loader = ScenarioYamlLoader(text, collector)
    try:
        return loader.get_single_data(), collector, loader.invalid
    finally:
        loader.dispose()


def value(text: str) -> object:
    data, collector, invalid = parse(f"v: {text}\n")
    assert not collector.problems and not invalid, (collector.problems, invalid)
    return data["v"]


def invalid_message(text: str) -> str:
    data, _, invalid = parse(f"v: {text}\n")
    assert isinstance(data["v"], InvalidValue), data["v"]
    assert data["v"] in invalid
    return data["v"].message


def test_containers_remember_lines() -> None:
    data, _, _ = parse("a: 1\nb:\n  - x\n  -\n    y: 2\n")
    assert isinstance(data, YMap) and data.line == 1
    assert (data.line_of("a"), data.line_of("b")) == (1, 2)
    items = data["b"]
    assert isinstance(items, YList) and items.item_lines == [3, 5]
    assert items[1].line_of("y") == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("false", False), ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"),
    ("null", None), ("~", None), ("", None), ("12", 12), ("-3", -3), ("0x1F", 31), ("1_000", 1000),
    ("010", "010"), ("1:20", "1:20"), ("2.5", 2.5), ("1e3", 1000.0), (".5", 0.5),
    ("2001-06-01", "2001-06-01"), ('"*l"', "*l"),
])
def test_core_schema_scalars(text: str, expected: object) -> None:
    result = value(text)
    assert result == expected and type(result) is type(expected)


def test_ref_and_byte_tags() -> None:
    assert value("!ref c") == Ref("c")
    assert value("!ref srv.port") == Ref("srv.port")
    assert value('!hex "0d 0a ff"') == b"\r\n\xff"
    assert value("!repeat {data: ab, count: 3}") == b"ababab"
    assert value('!repeat {data: !hex "00", count: 2}') == b"\0\0"
    assert value("!repeat {data: x, count: 0}") == b""


@pytest.mark.parametrize(("text", "expected"), [
    ("!any", AnyValue()),
    ("!type socket", TypeIs("socket")),
    ("!len 10", Length(10)),
    ("!contains closed", Contains(b"closed")),
    ("!range [0.1, 0.5]", Range(0.1, 0.5)),
    ("!range [null, 3]", Range(None, 3)),
    ("!error resolver", ErrorClass("resolver")),
    ('!oneof ["a", null, !type number]', OneOf((Exact(b"a"), Exact(None), TypeIs("number")))),
    ("!unordered [1, !ref c]", Unordered((Exact(1), RefEquals("c")))),
    ("!oneof [[1], {a: x}]", OneOf((TableMatcher(((1, Exact(1)),)), TableMatcher(((b"a", Exact(b"x")),))))),
])
def test_matcher_tags(text: str, expected: object) -> None:
    assert value(text) == expected


def test_the_message_tag() -> None:
    matcher = value('!message {headers: {To: !ref who, X-Priority: 3, Bcc: !absent }, body: "b", '
                    'lenient: true}')
    fields = ((b"To", RefEquals("who")), (b"X-Priority", Exact(b"3")), (b"Bcc", Absent()))
    assert matcher == MessageMatcher(fields, Exact(b"b"), True)
    assert [ref.name for ref in matcher.refs()] == ["who"]  # type: ignore[attr-defined]
    assert value("!message {headers: {}}") == MessageMatcher(())


def test_regex_and_digest_tags() -> None:
    regex = value('!re "^HTTP/1\\\\.[01] \\\\d{3}"')
    assert isinstance(regex, Regex) and regex.matches(b"HTTP/1.1 200 OK", {})
    sha = hashlib.sha256(b"abc").hexdigest()
    assert value(f"!digest {{sha256: {sha}, len: 3}}") == Digest("sha256", sha, 3)
    md5 = hashlib.md5(b"").hexdigest()
    assert value(f"!digest {{md5: {md5}}}") == Digest("md5", md5, None)


@pytest.mark.parametrize(("text", "fragment"), [
    ("!ref 9lives", "is not a variable name"),
    ("!ref srv.addr", "is not a variable name"),
    ("!ref [a]", "!ref takes a variable name"),
    ("!hex xyz", "'x' is not a hex digit"),
    ("!hex 'ab c'", "odd number of hex digits"),
    ("!repeat {data: a, count: -1}", "count must be a whole number >= 0"),
    ("!repeat {data: a, count: 2, extra: 1}", "unknown key 'extra'"),
    ("!repeat [a, 2]", "takes a mapping {data, count}"),
    ("!any 3", "takes no argument"),
    ("!type integer", "unknown type 'integer'"),
    ("!len -1", "!len must be a whole number >= 0"),
    ("!len abc", "!len must be a whole number >= 0"),
    ('!re "[a-"', "bad regular expression"),
    ('!re "\u20ac"', "non-byte character"),
    ("!digest {sha256: ab}", "sha256 must be 64 hex digits"),
    ("!digest {len: 3}", "exactly one of sha256, sha1, md5"),
    ("!digest {crc32: ab}", "unknown key 'crc32'"),
    ("!oneof []", "at least one alternative"),
    ("!oneof abc", "takes a list of alternatives"),
    ("!range [1]", "takes [low, high]"),
    ("!range [a, 2]", "takes [low, high]"),
    ("!range [3, 2]", "above high"),
    ("!unordered {a: 1}", "takes a list of element matchers"),
    ("!error nosuch", "unknown error family"),
    ("!reworded timeout", "unknown failure 'timeout' for !reworded (one of refused)"),
    ("!message {body: x}", "missing key 'headers'"),
    ("!message {headers: [To]}", "headers: expected a mapping"),
    ("!message {headers: {'To:': x}}", "is not a field name"),
    ("!message {headers: {}, lenient: yes}", "lenient: expected true or false"),
    ("!message {headers: {}, absent: [Bcc]}", "unknown key 'absent'"),
    ("!message [To]", "takes a mapping {headers, body, lenient}"),
    ("!whatever x", "unknown tag !whatever"),
    ("!!binary aGk=", "unknown tag tag:yaml.org,2002:binary"),
])
def test_bad_tags_become_invalid_values(text: str, fragment: str) -> None:
    assert fragment in invalid_message(text)


def test_nested_bad_tag_keeps_its_own_problem() -> None:
    data, _, invalid = parse('v: !oneof ["a", !re "("]\n')
    (problem,) = invalid
    assert data["v"] is problem and problem.tag == "!re"


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    data, collector, _ = parse("a: 1\nb: 2\na: 3\n")
    assert data["a"] == 1
    (problem,) = collector.problems
    assert (problem.line, problem.field) == (3, "a")
    assert problem.message == "duplicate key (first at line 1)"


@pytest.mark.parametrize(("text", "line", "field"), [
    ("a:\n  b: [x, {c: 1, c: 2}]\n", 2, "a.b[1].c"),
    ("- k: 1\n- k: 1\n  k: 2\n", 3, "[1].k"),
    ("v: !digest {sha256: a, sha256: b}\n", 1, "v.sha256"),
    ("expectations:\n  tcp.a.b:\n    verdict: FAIL\n    verdict: CRASH\n", 4,
     "expectations[tcp.a.b].verdict"),
    # An anchored mapping keeps the path where it is written; a merged one is
    # part of the mapping it merges into.
    ("a: &x {k: 1, k: 2}\nb: *x\n", 1, "a.k"),
    ("a:\n  <<: {k: 1, j: 2, j: 3}\n", 2, "a.j"),
], ids=["nested", "list-item", "in-tag", "dotted-key", "anchor", "merge"])
def test_duplicate_keys_are_reported_under_their_field_path(text: str, line: int, field: str) -> None:
    _, collector, _ = parse(text)
    (problem,) = collector.problems
    assert (problem.line, problem.field) == (line, field)
    assert problem.message.startswith("duplicate key (first at line ")


def test_a_merge_is_overridden_by_the_mappings_own_keys_and_by_earlier_merges() -> None:
    data, collector, _ = parse("base: &b {k: 1, j: 2}\nother: &o {j: 3, m: 4}\n"
                               "use:\n  <<: [*b, *o]\n  k: 5\n")
    assert not collector.problems  # overriding a merged key is no repeat
    assert data["use"] == {"k": 5, "j": 2, "m": 4}
    assert (data["use"].line_of("k"), data["use"].line_of("m")) == (5, 2)


@pytest.mark.parametrize("merged", ["[1, 2]", "!digest {sha256: a}", "!nosuchtag {x: 1}"])
def test_a_merge_of_something_else_than_mappings_is_reported(merged: str) -> None:
    collector = Collector("mem.yaml")
    assert not parse_yaml(f"a:\n  <<: {merged}\n".encode(), collector).parsed
    (problem,) = collector.problems
    assert problem.line == 2 and "a merge (<<) takes a mapping or a list of mappings" in problem.message


def test_a_second_merge_key_is_a_repeated_key() -> None:
    data, collector, _ = parse("a:\n  <<: {x: 1}\n  <<: {x: 2, y: 3}\n")
    (problem,) = collector.problems
    assert (problem.line, problem.field, problem.message) == (3, "a.<<", "duplicate key (first at line 2)")
    assert data["a"] == {"x": 1}


def test_complex_mapping_keys_are_reported() -> None:
    _, collector, invalid = parse("? [a, b]\n: 1\n")
    (problem,) = collector.problems
    assert (problem.line, problem.field) == (1, "key") and not invalid
    _, collector, _ = parse("a:\n- ? [b]\n  : 1\n")
    (problem,) = collector.problems
    assert (problem.line, problem.field) == (2, "a[0]")


def test_load_yaml_reports_syntax_errors_with_line(tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    collector = Collector(str(path))
    document = load_yaml(path, collector)
    assert not document.parsed and document.data is None
    (problem,) = collector.problems
    assert problem.field == "yaml" and problem.line == 3
    assert problem.message.endswith("(the flow sequence began at line 2)")


def test_load_yaml_rejects_several_documents(tmp_path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("a: 1\n---\nb: 2\n", encoding="utf-8")
    collector = Collector(str(path))
    assert not load_yaml(path, collector).parsed
    assert "expected a single document" in collector.problems[0].message


# -- libyaml's parse of a clean file, the Python parser's of every other ------


def test_every_suite_file_loads_through_libyaml_as_through_the_python_parser(monkeypatch):
    from harness.scenario import loader as loader_module
    from harness.scenario import yamlsource
    from harness.scenario.catalog import default_root

    files = sorted(default_root().rglob("*.yaml"))
    assert len(files) > 50
    fast = {}
    for path in files:
        loader_module._LOADED.clear()
        fast[path] = repr(loader_module.load_file(path))
    taken = [path for path in files if yamlsource._parse_clean(path.read_text(encoding="utf-8")) is not None]
    if yaml.__with_libyaml__:  # a PyYAML built without it parses every file in Python, as before
        assert len(taken) >= 0.75 * len(files), "libyaml parses too few files to save time"
    monkeypatch.setattr(yamlsource, "_parse_clean", lambda text: None)
    for path in files:
        loader_module._LOADED.clear()
        assert repr(loader_module.load_file(path)) == fast[path], path
    loader_module._LOADED.clear()


@pytest.mark.parametrize("text", [
    "title: one # two\n",                # a prose key's plain text cut by a comment
    "a: 1\na: 2\n",                       # a duplicate key
    "a: !nosuch x\n",                     # an unknown tag
    "a: [1\n",                            # a syntax error
    "a: [!any, 1]\n",                     # a tag against a flow indicator: the parsers differ
    "a: \"\x07\"\n",                      # a character PyYAML refuses before parsing
])
def test_a_file_with_any_problem_is_left_to_the_python_parser(text):
    from harness.scenario.yamlsource import _parse_clean

    assert _parse_clean(text) is None
    collector = Collector("mem.yaml")
    document = parse_yaml(text.encode(), collector)
    assert collector.problems or document.invalid


def test_a_comment_after_prose_is_seen_in_libyaml_marks_too():
    # libyaml's marks hold no buffer and its plain style is "", not None: read by index from the text.
    from harness.scenario.yamlsource import _LibyamlLoader

    text = "title: é𝄞 one # two\nnotes: 'quoted' # fine\n"
    for loader_class in (ScenarioYamlLoader, _LibyamlLoader):
        collector = Collector("mem.yaml")
        loader = loader_class(text, collector)
        try:
            loader.get_single_data()
        finally:
            loader.dispose()
        assert [(p.line, p.field) for p in collector.problems] == [(1, "title")], loader_class
