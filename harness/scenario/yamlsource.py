"""Reading scenario YAML: line-keeping containers and the custom tags.

A ``SafeLoader`` subclass with three changes:

* mappings and sequences become ``YMap``/``YList`` (``located.py``), so every
  later complaint can name its line; a key repeated in one mapping is an
  error instead of silently overwriting the first, reported under its full
  field path (``scenarios[0].steps[3].args``) like the loader's own errors;
* implicit typing is YAML 1.2's core schema narrowed: only ``true``/``false``
  are booleans (``yes``/``no``/``on``/``off`` stay text); whole numbers are
  decimal without a leading zero or ``0x`` hex, so ``010``, ``0o17``,
  ``0b1`` and sexagesimal ``1:20`` stay text; no timestamps. YAML 1.1's
  ``_`` digit separator is kept (``1_000`` is 1000). Scenario data is mostly
  byte strings and surprises there cost a debugging session;
* the scenario tags (``!ref``, ``!fmt``, ``!callback``, ``!hex``, ``!repeat``
  and the matcher tags)
  are built here. A tag that cannot be built, or an unknown tag, becomes an
  ``InvalidValue`` carrying its problem, so that one load reports every bad
  tag of a file (under the field where the loader finds it).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fakeservers.config import join
from harness.scenario.convert import to_matcher
from harness.scenario.error_classes import ERROR_CLASSES, REWORDED_FAILURES
from harness.scenario.errors import Collector
from harness.scenario.located import AlreadyReported, ConversionError, InvalidValue, YList, YMap
from harness.scenario.matchers import (
    DIGEST_ALGORITHMS,
    LUA_TYPES,
    AnyValue,
    Contains,
    Digest,
    ErrorClass,
    Length,
    OneOf,
    Range,
    Regex,
    Reworded,
    TypeIs,
    Unordered,
)
from harness.scenario.message_matcher import MessageMatcher
from harness.scenario.value_tags import (
    INT_RE,
    absent_tag,
    callback_tag,
    fmt_tag,
    hex_tag,
    ref_tag,
    scalar,
    text_bytes,
    whole_number,
)

_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _ScenarioLoading:
    """What both loaders add to PyYAML's: the collector, the bad tags, the field paths."""

    def __init__(self, stream: str, collector: Collector) -> None:
        super().__init__(stream)
        self.text = stream
        self.collector = collector
        self.invalid: list[InvalidValue] = []
        self.paths: dict[int, str] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        # Constructors see one node at a time; the field path of every
        # container is worked out first so that a duplicate key can name it.
        self.paths = _container_paths(node)
        return super().construct_document(node)

    def problem(self, node: yaml.Node, message: str) -> InvalidValue:
        """The placeholder for ``node``, registered so it is reported exactly once."""
        invalid = InvalidValue(node.tag, _line(node), message)
        self.invalid.append(invalid)
        return invalid


class ScenarioYamlLoader(_ScenarioLoading, yaml.SafeLoader):
    """SafeLoader with located containers, core-schema typing and our tags."""

    yaml_implicit_resolvers: dict[Any, Any] = {}



def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


MERGE_TAG = "tag:yaml.org,2002:merge"


def _field_path(parent: str, key: Any) -> str:
    """``parent.key`` as the loader's errors write it; ``parent[key]`` for a key with dots or spaces.

    The fake servers' configuration errors write paths by the same rule
    (``fakeservers.config.join``), and a server's options sit inside a
    scenario, so both kinds of error name a field alike.
    """
    return join(parent, str(key))


def _container_paths(root: yaml.Node) -> dict[int, str]:
    """The field path of every mapping and sequence node, by ``id(node)``.

    An anchored node keeps the path where it is first written; the mapping
    under a ``<<`` merge key counts as part of the mapping it merges into.
    """
    paths: dict[int, str] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in paths or isinstance(node, yaml.ScalarNode):
            return
        paths[id(node)] = path
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}[{index}]")
            return
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                for item in _merge_sources(value_node):
                    walk(item, path)
            elif isinstance(key_node, yaml.ScalarNode):
                walk(value_node, _field_path(path, key_node.value))

    walk(root, "")
    return paths


def _merge_sources(value_node: yaml.Node) -> list[yaml.Node]:
    """The nodes a ``<<`` key merges: its value, or each item of a list."""
    return value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]


def _resolver(tag: str, pattern: re.Pattern[str] | str, first: str) -> None:
    regexp = re.compile(pattern) if isinstance(pattern, str) else pattern
    ScenarioYamlLoader.add_implicit_resolver(tag, regexp, list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", INT_RE, "-+0123456789")
_resolver("tag:yaml.org,2002:float", _FLOAT_RE, "-+0123456789.")
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
ScenarioYamlLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
_resolver("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")


def _construct_int(loader: ScenarioYamlLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:  # a syntax problem at its line: longer than Python converts (4300 digits), or "0x_"
        too_long = len(text) > sys.get_int_max_str_digits() > 0
        problem = f"a whole number of {len(text)} digits is too long to read" if too_long else \
            f"{loader.construct_scalar(node)!r} is not a whole number"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _construct_map(loader: ScenarioYamlLoader, node: yaml.MappingNode) -> YMap:
    """A mapping whose repeated keys are reported, with ``<<`` merges resolved here.

    Merges are not left to PyYAML's ``flatten_mapping``: how it treats a key
    repeated inside a merged mapping changed between releases (6.0.3 passed
    both on, 6.0.4 keeps the first in silence). Each merged mapping is built
    as a mapping of its own, so its repeated keys are reported once, under
    the path of the mapping it merges into; a key written in the mapping
    itself then overrides a merged one, as YAML's merge type says, and an
    earlier merged mapping overrides a later one.
    """
    own = _construct_pairs(loader, node, [pair for pair in node.value if pair[0].tag != MERGE_TAG])
    result = YMap(own.line)
    for merged in _merged_mappings(loader, node):
        for key, value in merged.items():
            if key not in result:
                result[key] = value
                result.key_lines[key] = merged.line_of(key)
    for key, value in own.items():
        result[key] = value
        result.key_lines[key] = own.line_of(key)
    return result


def _merged_mappings(loader: ScenarioYamlLoader, node: yaml.MappingNode) -> list[YMap]:
    """The mappings under ``node``'s ``<<`` key, in order; a second ``<<`` key is a repeated key."""
    merges = [(key_node, value_node) for key_node, value_node in node.value if key_node.tag == MERGE_TAG]
    for key_node, _ in merges[1:]:
        loader.collector.add(_line(key_node), _field_path(loader.paths.get(id(node), ""), "<<"),
                             f"duplicate key (first at line {_line(merges[0][0])})")
    if not merges:
        return []
    mappings = []
    for source in _merge_sources(merges[0][1]):
        merged = loader.construct_object(source, deep=True) if isinstance(source, yaml.MappingNode) else None
        if not isinstance(merged, YMap):  # a scalar, a list, or a tagged mapping (!digest ...)
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "a merge (<<) takes a mapping or a list of mappings", source.start_mark)
        mappings.append(merged)
    return mappings


def _construct_pairs(loader: ScenarioYamlLoader, node: yaml.MappingNode,
                     pairs: list[tuple[yaml.Node, yaml.Node]]) -> YMap:
    """``pairs`` of ``node`` as a mapping; a repeated key is reported and its later values dropped."""
    result = YMap(_line(node))
    for key_node, value_node in pairs:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            loader.collector.add(_line(key_node), loader.paths.get(id(node)) or "key",
                                 "a mapping key must be a plain value, not a list or mapping")
            continue
        if key in result:
            loader.collector.add(_line(key_node), _field_path(loader.paths.get(id(node), ""), key),
                                 f"duplicate key (first at line {result.line_of(key)})")
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = _line(key_node)
        if key in PROSE_KEYS and _comment_follows(loader.text, value_node):
            loader.collector.add(_line(key_node), _field_path(loader.paths.get(id(node), ""), key),
                                 "text followed by a comment on its line: ' #' starts a YAML comment, so "
                                 "the text ends before it (quote the text, or put the comment on a line "
                                 "of its own; write 'item 7', not '#7')")
    return result


PROSE_KEYS = frozenset({"title", "note", "notes"})
"""Keys whose unquoted text readers see in reports: a ``#`` there cuts it short without a word."""


def _comment_follows(text: str, node: yaml.Node) -> bool:
    """Is this plain, one-line scalar of ``text`` followed by a comment on the same line?

    Read from the text, by the node's character index: libyaml's marks carry
    no buffer, and it writes the plain style "" where PyYAML writes None.
    """
    if not isinstance(node, yaml.ScalarNode) or node.style not in (None, ""):
        return False
    end = node.end_mark
    if end.line != node.start_mark.line:
        return False
    line_end = text.find("\n", end.index)  # the rest of this line only, not of the file
    return text[end.index:None if line_end < 0 else line_end].lstrip().startswith("#")


def _construct_seq(loader: ScenarioYamlLoader, node: yaml.SequenceNode) -> YList:
    result = YList(_line(node))
    for item_node in node.value:
        result.append(loader.construct_object(item_node, deep=True))
        result.item_lines.append(_line(item_node))
    return result


def _unknown_tag(loader: ScenarioYamlLoader, node: yaml.Node) -> InvalidValue:
    stripped = str(node.tag).rstrip(",]}")
    if stripped != node.tag and stripped in TAGS:
        # YAML lets "," "]" "}" belong to a tag, so "[!any, 1]" is one item tagged "!any,".
        return loader.problem(node, f"YAML reads {node.tag!r} as the tag; put a space after {stripped} "
                                    f"(\"[{stripped} , 1]\") or use block style")
    known = ", ".join(sorted(TAGS))
    return loader.problem(node, f"unknown tag {node.tag} (known tags: {known})")


# -- tag helpers --------------------------------------------------------------


def _children(loader: ScenarioYamlLoader, node: yaml.Node, what: str) -> YList | InvalidValue:
    if not isinstance(node, yaml.SequenceNode):
        return loader.problem(node, f"{node.tag} takes {what}")
    return _construct_seq(loader, node)


def _fields(loader: ScenarioYamlLoader, node: yaml.Node, allowed: tuple[str, ...],
            required: tuple[str, ...]) -> YMap | InvalidValue:
    shape = "{" + ", ".join(allowed) + "}"
    if not isinstance(node, yaml.MappingNode):
        return loader.problem(node, f"{node.tag} takes a mapping {shape}")
    fields = _construct_map(loader, node)
    unknown = [str(key) for key in fields if key not in allowed]
    missing = [key for key in required if key not in fields]
    if unknown or missing:
        detail = f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"
        return loader.problem(node, f"{detail}; {node.tag} takes {shape}")
    return fields


def _matchers(loader: ScenarioYamlLoader, node: yaml.Node, items: YList) -> tuple[Any, ...] | InvalidValue:
    try:
        return tuple(to_matcher(item, items.line_of(index)) for index, item in enumerate(items))
    except AlreadyReported as nested:
        return nested.invalid  # still registered: reported once, with its own line
    except ConversionError as error:
        return loader.problem(node, error.message)


# -- the tags -----------------------------------------------------------------


LARGEST_REPEAT = 256 << 20
"""The most bytes a ``!repeat`` may build: it is built in memory as the file loads, so a count off by
a few digits would otherwise take the machine's memory or end in a MemoryError."""


def _repeat(loader: ScenarioYamlLoader, node: yaml.Node) -> bytes | InvalidValue:
    fields = _fields(loader, node, ("data", "count"), ("data", "count"))
    if isinstance(fields, InvalidValue):
        return fields
    data = text_bytes(loader, node, fields["data"])
    count = whole_number(loader, node, fields["count"], "count")
    if isinstance(data, InvalidValue):
        return data
    if isinstance(count, InvalidValue):
        return count
    if (size := len(data) * count) > LARGEST_REPEAT:
        limit = LARGEST_REPEAT >> 20
        return loader.problem(node, f"!repeat makes {size} bytes, more than the {limit} MiB a scenario "
                                    "value may hold (bulk data: a peer's send with times, or a fake server's "
                                    "payload {size: N})")
    return data * count


def _any(loader: ScenarioYamlLoader, node: yaml.Node) -> AnyValue | InvalidValue:
    if not isinstance(node, yaml.ScalarNode) or node.value != "":
        return loader.problem(node, "!any takes no argument")
    return AnyValue()


def _type(loader: ScenarioYamlLoader, node: yaml.Node) -> TypeIs | InvalidValue:
    name = scalar(loader, node, "a Lua type name")
    if isinstance(name, InvalidValue):
        return name
    if name not in LUA_TYPES:
        return loader.problem(node, f"unknown type {name!r} (one of {', '.join(LUA_TYPES)})")
    return TypeIs(name)


def _re(loader: ScenarioYamlLoader, node: yaml.Node) -> Regex | InvalidValue:
    text = scalar(loader, node, "a regular expression")
    if isinstance(text, InvalidValue):
        return text
    pattern = text_bytes(loader, node, text)
    if isinstance(pattern, InvalidValue):
        return pattern
    try:
        return Regex(re.compile(pattern))
    except re.error as error:
        return loader.problem(node, f"bad regular expression: {error}")


def _contains(loader: ScenarioYamlLoader, node: yaml.Node) -> Contains | InvalidValue:
    text = scalar(loader, node, "text")
    if isinstance(text, InvalidValue):
        return text
    data = text_bytes(loader, node, text)
    return data if isinstance(data, InvalidValue) else Contains(data)


def _len(loader: ScenarioYamlLoader, node: yaml.Node) -> Length | InvalidValue:
    text = scalar(loader, node, "a byte count")
    if isinstance(text, InvalidValue):
        return text
    count = whole_number(loader, node, text, "!len")
    return count if isinstance(count, InvalidValue) else Length(count)


def _digest(loader: ScenarioYamlLoader, node: yaml.Node) -> Digest | InvalidValue:
    fields = _fields(loader, node, (*DIGEST_ALGORITHMS, "len"), ())
    if isinstance(fields, InvalidValue):
        return fields
    algorithms = [name for name in DIGEST_ALGORITHMS if name in fields]
    if len(algorithms) != 1:
        return loader.problem(node, f"!digest takes exactly one of {', '.join(DIGEST_ALGORITHMS)}")
    algorithm = algorithms[0]
    hexdigest = str(fields[algorithm]).lower()
    size = 2 * hashlib.new(algorithm).digest_size
    if not re.fullmatch(f"[0-9a-f]{{{size}}}", hexdigest):
        return loader.problem(node, f"{algorithm} must be {size} hex digits")
    length = None
    if "len" in fields:
        length = whole_number(loader, node, fields["len"], "len")
        if isinstance(length, InvalidValue):
            return length
    return Digest(algorithm, hexdigest, length)


def _oneof(loader: ScenarioYamlLoader, node: yaml.Node) -> OneOf | InvalidValue:
    items = _children(loader, node, "a list of alternatives")
    if isinstance(items, InvalidValue):
        return items
    if not items:
        return loader.problem(node, "!oneof needs at least one alternative")
    options = _matchers(loader, node, items)
    return options if isinstance(options, InvalidValue) else OneOf(options)


def _unordered(loader: ScenarioYamlLoader, node: yaml.Node) -> Unordered | InvalidValue:
    items = _children(loader, node, "a list of element matchers")
    if isinstance(items, InvalidValue):
        return items
    elements = _matchers(loader, node, items)
    return elements if isinstance(elements, InvalidValue) else Unordered(elements)


def _range(loader: ScenarioYamlLoader, node: yaml.Node) -> Range | InvalidValue:
    items = _children(loader, node, "[low, high]")
    if isinstance(items, InvalidValue):
        return items
    bounds_ok = len(items) == 2 and all(
        item is None or (isinstance(item, (int, float)) and not isinstance(item, bool)) for item in items)
    if not bounds_ok:
        return loader.problem(node, "!range takes [low, high]: two numbers (null for no bound)")
    low, high = items
    if low is not None and high is not None and low > high:
        return loader.problem(node, f"!range low {low} is above high {high}")
    return Range(low, high)


def _message(loader: ScenarioYamlLoader, node: yaml.Node) -> MessageMatcher | InvalidValue:
    fields = _fields(loader, node, ("headers", "body", "lenient"), ("headers",))
    if isinstance(fields, InvalidValue):
        return fields
    headers = fields["headers"]
    if not isinstance(headers, YMap):
        return loader.problem(node, "headers: expected a mapping of field names to values")
    lenient = fields.get("lenient", False)
    if not isinstance(lenient, bool):
        return loader.problem(node, "lenient: expected true or false")
    entries = []
    try:
        for name, raw in headers.items():
            if not isinstance(name, str) or not name or ":" in name or name.strip() != name:
                return loader.problem(node, f"headers: {name!r} is not a field name")
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                raw = str(raw)  # a field's value is text: X-Priority: 3
            entries.append((name.encode("latin-1"), to_matcher(raw, headers.line_of(name))))
        body = to_matcher(fields["body"], fields.line_of("body")) if "body" in fields else None
    except AlreadyReported as nested:
        return nested.invalid
    except ConversionError as error:
        return loader.problem(node, error.message)
    return MessageMatcher(tuple(entries), body, lenient)


def _error(loader: ScenarioYamlLoader, node: yaml.Node) -> ErrorClass | InvalidValue:
    name = scalar(loader, node, "an error family name")
    if isinstance(name, InvalidValue):
        return name
    if name not in ERROR_CLASSES:
        return loader.problem(node, f"unknown error family {name!r} (one of {', '.join(ERROR_CLASSES)})")
    return ErrorClass(name)


def _reworded(loader: ScenarioYamlLoader, node: yaml.Node) -> Reworded | InvalidValue:
    name = scalar(loader, node, "a failure name")
    if isinstance(name, InvalidValue):
        return name
    if name not in REWORDED_FAILURES:
        return loader.problem(node, f"unknown failure {name!r} for !reworded "
                                    f"(one of {', '.join(REWORDED_FAILURES)})")
    return Reworded(name)


# Every custom tag and its constructor (scenarios/README.md documents each one).
TAGS: dict[str, Callable[[ScenarioYamlLoader, yaml.Node], Any]] = {
    "!ref": ref_tag, "!hex": hex_tag, "!repeat": _repeat, "!fmt": fmt_tag, "!callback": callback_tag,
    "!any": _any, "!type": _type, "!re": _re, "!contains": _contains, "!len": _len,
    "!digest": _digest, "!oneof": _oneof, "!unordered": _unordered, "!range": _range, "!error": _error,
    "!reworded": _reworded, "!absent": absent_tag, "!message": _message,
}

ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
for _tag in ("binary", "timestamp", "set", "omap", "pairs"):
    ScenarioYamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _unknown_tag)
ScenarioYamlLoader.add_constructor(None, _unknown_tag)
for _tag, _constructor in TAGS.items():
    ScenarioYamlLoader.add_constructor(_tag, _constructor)


_LIBYAML_BASE: type = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _LibyamlLoader(_ScenarioLoading, _LIBYAML_BASE):
    """``ScenarioYamlLoader`` over libyaml's parser: the same constructors, resolvers and data.

    Parsing the suite in Python takes seconds, paid by every process that
    loads it (each lsconform run, each pytest-xdist worker); libyaml takes a
    tenth of that. Only a file without a single problem is taken from it:
    anything else is parsed again by ``ScenarioYamlLoader``, whose messages
    the loader's errors are written in.
    """

    yaml_constructors = ScenarioYamlLoader.yaml_constructors
    yaml_implicit_resolvers = ScenarioYamlLoader.yaml_implicit_resolvers


_NOT_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
"""The characters PyYAML refuses before it parses (its reader's own pattern)."""

_TAG_AGAINST_FLOW = re.compile(r"![^\s,\[\]{}]*[,\[\]{}]")
"""A ``!`` with a flow indicator after it and no space between (``[!any, 1]``): PyYAML takes the
indicator into the tag, libyaml ends the tag before it; such a file goes to PyYAML (a few of the
suite's do, for a ``!`` in their text)."""


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its data (None if it did not parse) and its bad tags."""

    data: Any
    parsed: bool
    invalid: tuple[InvalidValue, ...] = ()


def load_yaml(path: Path, collector: Collector) -> YamlDocument:
    """Parse one file; syntax problems and duplicate keys go to ``collector``."""
    return parse_yaml(path.read_bytes(), collector)


def parse_yaml(raw: bytes, collector: Collector) -> YamlDocument:
    """Parse a file's bytes, for a caller that needs the very bytes it parsed (the loader's cache)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        collector.add(line, "file", f"not UTF-8 text ({error.reason} at byte {error.start})")
        return YamlDocument(None, parsed=False)
    fast = _parse_clean(text)
    if fast is not None:
        return fast
    try:
        loader = ScenarioYamlLoader(text, collector)
    except yaml.reader.ReaderError as error:  # PyYAML vets every character before it parses
        line = text.count("\n", 0, error.position) + 1
        code = error.character
        escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        collector.add(line, "file", f"character U+{code:04X} is not allowed in YAML text "
                      f"(write it as {escape} inside double quotes)")
        return YamlDocument(None, parsed=False)
    try:
        return YamlDocument(loader.get_single_data(), parsed=True, invalid=tuple(loader.invalid))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = f"{error.context + ', ' if error.context else ''}{error.problem}"
        if error.context_mark and mark and error.context_mark.line != mark.line:
            opened = re.match(r"while (?:parsing|scanning) (?:an? )?(.+)", error.context or "")
            what = opened.group(1) if opened else "construct"
            message += f" (the {what} began at line {error.context_mark.line + 1})"
        if error.context == "while scanning a tag":
            message += " (in flow style put a space between a tag and a following } or ]: {a: !absent })"
        collector.add(line, "yaml", message)
        return YamlDocument(None, parsed=False)
    finally:
        loader.dispose()


def _parse_clean(text: str) -> YamlDocument | None:
    """libyaml's parse of ``text`` if it has no problem at all; else None, for ``ScenarioYamlLoader``."""
    if not yaml.__with_libyaml__ or _NOT_PRINTABLE.search(text) or _TAG_AGAINST_FLOW.search(text):
        return None
    scratch = Collector("")
    loader = _LibyamlLoader(text, scratch)
    try:
        data = loader.get_single_data()
    except Exception:  # noqa: BLE001 - whatever it is, the Python parser meets it again and says it
        return None
    finally:
        loader.dispose()
    if scratch.problems or loader.invalid:
        return None
    return YamlDocument(data, parsed=True)
