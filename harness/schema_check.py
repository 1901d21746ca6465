"""Checking a JSON document against the part of JSON Schema that results.schema.json uses.

results.json is read back by every renderer, by ``merge`` and by
``update-expectations``; a hand-edited or truncated-and-repaired file must
be one clear ``field path: message``, never a traceback deep in a renderer.
The schema file is the contract, so this checks the document against it
rather than repeating its rules by hand. ``jsonschema`` is only a test
dependency, and its messages name no path a user can read, so this is a
small checker of the keywords the schema uses: ``type``, ``required``,
``properties``, ``additionalProperties``, ``propertyNames``, ``items``,
``enum``, ``const``, ``minLength``, ``minimum``, ``exclusiveMinimum``,
``format: date-time``, ``anyOf``, ``if``/``else`` and local ``$ref``. An
unknown keyword is an error (a test runs the shipped schema through it), so
a schema that grows a new rule cannot be silently half-checked.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

_IGNORED = frozenset({"$schema", "$id", "title", "description", "$defs"})
_KNOWN = _IGNORED | {"type", "required", "properties", "additionalProperties", "propertyNames", "items",
                     "enum", "const", "minLength", "minimum", "exclusiveMinimum", "format", "anyOf", "if",
                     "then", "else", "$ref"}


class SchemaProblem(ValueError):
    """Where (a field path such as ``results[3].transcript[0]``) and what is wrong there."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


def validate(document: Any, schema: Mapping[str, Any]) -> None:
    """Raise ``SchemaProblem`` for the first place ``document`` breaks ``schema``."""
    _check(document, schema, "", schema, None)


_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),), "boolean": (bool,), "integer": (int,), "number": (int, float), "string": (str,),
    "array": (list, tuple), "object": (Mapping,),
}


def _is(value: Any, name: str, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds) and not (isinstance(value, bool) and name != "boolean")


def _check(value: Any, schema: Mapping[str, Any], where: str, root: Mapping[str, Any],
           label: str | None) -> None:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"schema keyword(s) {', '.join(sorted(unknown))} not supported by this checker")
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        _check(value, root["$defs"][name], where, root, name)
    if "anyOf" in schema:
        _any_of(value, schema["anyOf"], where, root, label)
    if "type" in schema:
        _type(value, schema["type"], where)
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        raise SchemaProblem(where, f"expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and not any(value == option and type(value) is type(option)
                                    for option in schema["enum"]):
        options = ", ".join(str(option) for option in schema["enum"])
        raise SchemaProblem(where, f"unknown {label or 'value'} {value!r} (one of {options})")
    if isinstance(value, str):
        _string(value, schema, where)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _number(value, schema, where)
    elif isinstance(value, Mapping):
        _object(value, schema, where, root)
    elif isinstance(value, list | tuple) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{index}]", root, None)
    if "if" in schema:
        _conditional(value, schema, where, root)


def _type(value: Any, expected: str | list[str], where: str) -> None:
    names = expected if isinstance(expected, list) else [expected]
    if not any(_is(value, name, _TYPES[name]) for name in names):
        raise SchemaProblem(where, f"expected {' or '.join(names)}, got {type(value).__name__}")


def _string(value: str, schema: Mapping[str, Any], where: str) -> None:
    if len(value) < schema.get("minLength", 0):
        raise SchemaProblem(where, "must not be empty" if schema["minLength"] == 1
                            else f"shorter than {schema['minLength']} characters")
    if schema.get("format") == "date-time":
        try:
            moment = _dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise SchemaProblem(where, f"expected an ISO 8601 date and time with its zone, got {value!r}")


def _number(value: float, schema: Mapping[str, Any], where: str) -> None:
    if not math.isfinite(value):
        raise SchemaProblem(where, f"expected a finite number, got {value!r}")
    if "minimum" in schema and not value >= schema["minimum"]:
        raise SchemaProblem(where, f"expected at least {schema['minimum']}, got {value!r}")
    if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
        raise SchemaProblem(where, f"expected more than {schema['exclusiveMinimum']}, got {value!r}")


def _object(value: Mapping[str, Any], schema: Mapping[str, Any], where: str, root: Mapping[str, Any]) -> None:
    missing = [key for key in schema.get("required", ()) if key not in value]
    if missing:
        raise SchemaProblem(where or "document", f"missing {', '.join(missing)}")
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        # A declared field as .name, a key of a map (a candidate, a scenario id: dots of its own) as [key].
        inner = (f"{where}.{key}" if where else str(key)) if key in properties else f"{where}[{key}]"
        if "propertyNames" in schema:
            _check(key, schema["propertyNames"], inner, root, None)
        if key in properties:
            _check(item, properties[key], inner, root, None)
        elif extra is False:
            known = ", ".join(properties)
            raise SchemaProblem(where or "document", f"unknown field {key!r} (the fields are {known})")
        elif isinstance(extra, Mapping):
            _check(item, extra, inner, root, None)


def _any_of(value: Any, options: list[Mapping[str, Any]], where: str, root: Mapping[str, Any],
            label: str | None) -> None:
    """Fine if one option fits; else the problem with the option of the value's own type, if one has it."""
    problems = []
    for option in options:
        try:
            _check(value, option, where, root, label)
            return
        except SchemaProblem as problem:
            problems.append((option, problem))
    for option, problem in problems:
        if "type" in option and any(
                _is(value, name, _TYPES[name]) for name in _names(option["type"])):
            raise problem
    raise SchemaProblem(where, " or ".join(dict.fromkeys(problem.message for _, problem in problems)))


def _names(expected: str | list[str]) -> list[str]:
    return expected if isinstance(expected, list) else [expected]


def _conditional(value: Any, schema: Mapping[str, Any], where: str, root: Mapping[str, Any]) -> None:
    """``if``/``then``/``else``; a failing branch is named by the fields the condition reads: ``(FAIL)``."""
    try:
        _check(value, schema["if"], where, root, None)
        branch = schema.get("then")
    except SchemaProblem:
        branch = schema.get("else")
    if branch is None:
        return
    fields = schema["if"].get("properties", {}) if isinstance(value, Mapping) else {}
    shown = ", ".join(str(value[key]) for key in fields if key in value)
    _check(value, branch, f"{where} ({shown})" if shown else where, root, None)
