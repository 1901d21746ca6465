"""Turn constructed YAML data into Lua values or matchers, by context.

The same YAML text means different things in different places: ``"abc"`` in
``args`` is the Lua string ``abc``; in ``returns`` it is a matcher accepting
exactly that string; in ``raises`` it accepts any message containing it. The
loader picks the right function here for each position. Every failure is a
``ConversionError`` carrying the line of the offending item.
"""

from __future__ import annotations

import math
from typing import Any

from harness.scenario.located import AlreadyReported, ConversionError, InvalidValue, YList, YMap
from harness.scenario.matchers import Contains, ErrorClass, Exact, OneOf, RefEquals, TableMatcher
from harness.scenario.model import Matcher, Ref, Template
from harness.values import LuaFunction, LuaKey, LuaTable, LuaValue, text_to_bytes


def to_bytes(text: str, line: int) -> bytes:
    """Scenario text -> Lua string, with the line on failure."""
    try:
        return text_to_bytes(text)
    except ValueError as error:
        raise ConversionError(line, f"non-byte character: {error}") from None


def to_lua_value(raw: Any, line: int) -> Any:
    """A value for ``args`` or peer data: Lua values, Refs and templates, no matchers.

    Lists become array tables and mappings keyed tables; strings become
    bytes. Tables may not hold nil (Lua would drop it silently, which is
    never what the author meant).
    """
    if isinstance(raw, InvalidValue):
        raise AlreadyReported(raw)
    if raw is None or isinstance(raw, (bool, int, float, bytes, Ref, Template, LuaFunction)):
        return raw
    if isinstance(raw, str):
        return to_bytes(raw, line)
    if isinstance(raw, Matcher):
        raise ConversionError(line, f"a matcher ({raw.describe({})}) is only allowed in expectations")
    if isinstance(raw, YList):
        table = LuaTable()
        for index, item in enumerate(raw):
            item_line = raw.line_of(index)
            if item is None:
                raise ConversionError(item_line, "a table cannot hold nil; use a mapping with number keys")
            table.array.append(to_lua_value(item, item_line))
        return table
    if isinstance(raw, YMap):
        table = LuaTable()
        for key, item in raw.items():
            item_line = raw.line_of(key)
            if item is None:
                raise ConversionError(item_line, f"table key {key!r} is nil; Lua drops such keys")
            table[to_lua_key(key, item_line)] = to_lua_value(item, item_line)
        return table
    raise ConversionError(line, f"not a Lua value: {raw!r}")


def to_lua_key(raw: Any, line: int) -> LuaKey:
    if isinstance(raw, str):
        return to_bytes(raw, line)
    if isinstance(raw, float) and math.isnan(raw):
        raise ConversionError(line, "a table key cannot be NaN (Lua refuses it: table index is NaN)")
    if isinstance(raw, (bool, int, float, bytes)):
        return raw
    raise ConversionError(line, f"not a valid table key: {raw!r}")


def to_matcher(raw: Any, line: int) -> Matcher:
    """A matcher for one value: plain values match exactly, tables by shape."""
    if isinstance(raw, InvalidValue):
        raise AlreadyReported(raw)
    if isinstance(raw, Matcher):
        return raw
    if isinstance(raw, Ref):
        return RefEquals(raw.name, raw.line)
    if isinstance(raw, YList):
        return TableMatcher(tuple((index + 1, to_matcher(item, raw.line_of(index)))
                                  for index, item in enumerate(raw)))
    if isinstance(raw, YMap):
        return TableMatcher(tuple((to_lua_key(key, raw.line_of(key)), to_matcher(item, raw.line_of(key)))
                                  for key, item in raw.items()))
    value: LuaValue = to_lua_value(raw, line)
    return Exact(value)


def to_raises_matcher(raw: Any, line: int) -> Matcher:
    """A matcher for a Lua error message: plain text means "contains".

    Spec §0.2: a raised message carries the function name and argument
    number, which depend on the call style, so scenarios match the detail
    part. The same reading applies inside ``!oneof`` and to ``!error``.
    """
    return _within_message(to_matcher(raw, line))


def _within_message(matcher: Matcher) -> Matcher:
    if isinstance(matcher, Exact) and isinstance(matcher.value, bytes):
        return Contains(matcher.value)
    if isinstance(matcher, ErrorClass):
        return ErrorClass(matcher.name, within_message=True)
    if isinstance(matcher, OneOf):
        return OneOf(tuple(_within_message(option) for option in matcher.options))
    return matcher
