"""Concrete matchers: the ways a scenario can say "this value is acceptable".

Each matcher is a small frozen object with ``matches(value, env)`` and a
Lua-flavoured ``describe(env)`` used in expected-vs-observed diffs. Matchers
that contain other matchers or Refs expose them through ``refs()`` so the
loader can check every variable name before anything runs.

The two entry points the runner needs are :func:`match_returns` (one
outcome's ``returns`` against an observed return tuple) and
:func:`match_raises` (a ``raises`` matcher against a Lua error message).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.scenario.error_classes import ERROR_CLASSES, other_failure_named
from harness.scenario.model import Env, Matcher, Ref
from harness.scenario.refs import iter_refs, lookup, resolve
from harness.values import (
    LuaKey,
    LuaTable,
    LuaValue,
    key_identity,
    long_difference,
    lua_equal,
    lua_repr,
    lua_repr_all,
    lua_type,
    table_pairs,
    text_to_bytes,
    trim,
)

LUA_TYPES = ("nil", "boolean", "number", "string", "table", "socket", "function")
DIGEST_ALGORITHMS = ("sha256", "sha1", "md5")


class BaseMatcher(Matcher):
    """Adds ``refs()``: the variable names a matcher depends on; and ``why_not``, for a precise diff."""

    def refs(self) -> Iterator[Ref]:
        return iter(())

    def why_not(self, value: LuaValue, env: Env) -> str | None:
        """Why ``value`` is refused, when the matcher can say better than "expected X, got Y"."""
        return None


def type_of(value: Any) -> str | None:
    """``lua_type`` that answers None for a non-Lua value instead of raising.

    A misbehaving candidate may hand back anything; that must read as "does
    not match", with the value shown in the diff, not as a harness crash.
    """
    try:
        return lua_type(value)
    except TypeError:
        return None


@dataclass(frozen=True)
class Exact(BaseMatcher):
    """Equal to a Lua value (tables by contents; Refs inside are resolved)."""

    value: Any

    def matches(self, value: LuaValue, env: Env) -> bool:
        return type_of(value) is not None and lua_equal(resolve(self.value, env), value)

    def describe(self, env: Env) -> str:
        try:
            return lua_repr(resolve(self.value, env))
        except LookupError:
            return lua_repr(self.value)

    def refs(self) -> Iterator[Ref]:
        return iter_refs(self.value)


@dataclass(frozen=True)
class AnyValue(BaseMatcher):
    """Anything at all, nil included."""

    def matches(self, value: LuaValue, env: Env) -> bool:
        return True

    def describe(self, env: Env) -> str:
        return "any value"


@dataclass(frozen=True)
class TypeIs(BaseMatcher):
    """A value of one Lua type ("socket" for socket objects)."""

    type_name: str

    def matches(self, value: LuaValue, env: Env) -> bool:
        return type_of(value) == self.type_name

    def describe(self, env: Env) -> str:
        return "nil" if self.type_name == "nil" else f"any {self.type_name}"


_REGEX_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


@dataclass(frozen=True)
class Regex(BaseMatcher):
    """A string in which the (bytes) regular expression finds a match."""

    pattern: re.Pattern[bytes]

    def matches(self, value: LuaValue, env: Env) -> bool:
        return isinstance(value, bytes) and self.pattern.search(value) is not None

    def describe(self, env: Env) -> str:
        # control characters as the regex escapes that mean them: a literal CR LF in the
        # pattern must not break the report line it is shown on
        shown = "".join(_REGEX_ESCAPES.get(byte) or (chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}")
                        for byte in self.pattern.pattern)
        return f"a string matching /{shown}/"


@dataclass(frozen=True)
class Contains(BaseMatcher):
    """A string that contains ``text`` (how ``raises:`` text is matched)."""

    text: bytes

    def matches(self, value: LuaValue, env: Env) -> bool:
        return isinstance(value, bytes) and self.text in value

    def describe(self, env: Env) -> str:
        return f"a string containing {lua_repr(self.text)}"


@dataclass(frozen=True)
class Length(BaseMatcher):
    """A string of exactly ``length`` bytes."""

    length: int

    def matches(self, value: LuaValue, env: Env) -> bool:
        return isinstance(value, bytes) and len(value) == self.length

    def describe(self, env: Env) -> str:
        return f"a string of {self.length} bytes"


@dataclass(frozen=True)
class Digest(BaseMatcher):
    """A string with a given hash (and length, if stated): for big payloads."""

    algorithm: str
    hexdigest: str
    length: int | None = None

    def matches(self, value: LuaValue, env: Env) -> bool:
        if not isinstance(value, bytes):
            return False
        if self.length is not None and len(value) != self.length:
            return False
        return hashlib.new(self.algorithm, value).hexdigest() == self.hexdigest.lower()

    def describe(self, env: Env) -> str:
        size = "" if self.length is None else f" of {self.length} bytes"
        return f"a string{size} with {self.algorithm} {self.hexdigest[:16]}..."


@dataclass(frozen=True)
class ErrorClass(BaseMatcher):
    """One of the descriptive failure messages of a family (spec §3.2).

    ``within_message`` is set for ``raises:``, where the family's text only
    has to appear inside the full Lua error message.
    """

    name: str
    within_message: bool = False

    def matches(self, value: LuaValue, env: Env) -> bool:
        if not isinstance(value, bytes):
            return False
        texts = [text.encode("latin-1") for text in ERROR_CLASSES[self.name]]
        if self.within_message:
            return any(text in value for text in texts)
        return value in texts

    def describe(self, env: Env) -> str:
        return f"a {self.name} error message"


@dataclass(frozen=True)
class Reworded(BaseMatcher):
    """A failure message in a candidate's own words: any string that names no other condition.

    The non-strict twin of 1.3b's "connection refused" (the conditions it
    takes are ``error_classes.REWORDED_FAILURES``): the manual asks only for
    a message describing the error, so any wording
    passes as non-strict, but "timeout" for a refused connection describes
    another error and is refused (``error_classes.FAILURE_WORDS``).
    """

    failure: str

    def matches(self, value: LuaValue, env: Env) -> bool:
        return isinstance(value, bytes) and other_failure_named(value, self.failure) is None

    def why_not(self, value: LuaValue, env: Env) -> str | None:
        if not isinstance(value, bytes):
            return None
        word = other_failure_named(value, self.failure)
        if word is None:
            return None
        return (f"expected {self.describe(env)}, got {lua_repr(value)}, which names another failure "
                f"({word!r})")

    def describe(self, env: Env) -> str:
        return f"a {self.failure} message in any words"


@dataclass(frozen=True)
class OneOf(BaseMatcher):
    """Any value one of the alternatives accepts."""

    options: tuple[Matcher, ...]

    def matches(self, value: LuaValue, env: Env) -> bool:
        return any(option.matches(value, env) for option in self.options)

    def describe(self, env: Env) -> str:
        return "one of (" + " | ".join(option.describe(env) for option in self.options) + ")"

    def refs(self) -> Iterator[Ref]:
        for option in self.options:
            yield from iter_refs(option)


@dataclass(frozen=True)
class Range(BaseMatcher):
    """A number between ``low`` and ``high`` inclusive (None: unbounded)."""

    low: float | None
    high: float | None

    def matches(self, value: LuaValue, env: Env) -> bool:
        if type_of(value) != "number":
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self, env: Env) -> str:
        low = "-inf" if self.low is None else lua_repr(self.low)
        high = "inf" if self.high is None else lua_repr(self.high)
        return f"a number in [{low}, {high}]"


@dataclass(frozen=True)
class RefEquals(BaseMatcher):
    """Equal to the current value of a variable (a saved result, a peer port)."""

    name: str
    line: int = field(default=0, compare=False)  # where the !ref was written, for load errors

    def matches(self, value: LuaValue, env: Env) -> bool:
        return type_of(value) is not None and lua_equal(lookup(self.name, env), value)

    def describe(self, env: Env) -> str:
        if self.name in env:
            return f"{self.name} (= {lua_repr(env[self.name])})"
        return self.name

    def refs(self) -> Iterator[Ref]:
        yield Ref(self.name, self.line)


@dataclass(frozen=True)
class TableMatcher(BaseMatcher):
    """A table with exactly these keys, each value accepted by its matcher.

    A YAML list gives keys 1..n (an array); a YAML mapping gives its keys
    (strings as bytes).
    """

    entries: tuple[tuple[LuaKey, Matcher], ...]

    def matches(self, value: LuaValue, env: Env) -> bool:
        if not isinstance(value, LuaTable):
            return False
        observed = table_pairs(value)  # nil entries are not there, true is not 1 (key_identity)
        expected = {key_identity(key): matcher for key, matcher in self.entries}
        if observed.keys() != expected.keys():
            return False
        return all(matcher.matches(observed[key][1], env) for key, matcher in expected.items())

    def why_not(self, value: LuaValue, env: Env) -> str | None:
        """For a record-like table (a header table), the whole diff plus each key that differs.

        Two header tables side by side hide a one-key difference, such as
        ``Content-Length`` kept in its case or a value that lost its
        trailing spaces; arrays keep the plain "expected X, got Y".
        """
        if not isinstance(value, LuaTable) or all(isinstance(key, int) for key, _ in self.entries):
            return None
        observed = table_pairs(value)
        problems = []
        for key, matcher in self.entries:
            found = observed.get(key_identity(key))
            if found is None:
                problems.append(f"no key {lua_repr(key)}")
            elif not matcher.matches(found[1], env):
                problems.append(f"[{lua_repr(key)}]: {value_mismatch(matcher, found[1], env)}")
        wanted = {key_identity(key) for key, _ in self.entries}
        problems.extend(f"an unexpected key {lua_repr(key)} (= {lua_repr(item, 80)})"
                        for identity, (key, item) in observed.items() if identity not in wanted)
        if not problems:
            return None
        return f"expected {self.describe(env)}, got {lua_repr(value)}: " + "; ".join(problems)

    def describe(self, env: Env) -> str:
        keys = [key for key, _ in self.entries]
        if keys == list(range(1, len(keys) + 1)):
            return "{" + ", ".join(matcher.describe(env) for _, matcher in self.entries) + "}"
        parts = []
        for key, matcher in self.entries:
            if isinstance(key, bytes) and key.isascii() and key.decode().isidentifier():
                parts.append(f"{key.decode()}={matcher.describe(env)}")
            else:
                parts.append(f"[{lua_repr(key)}]={matcher.describe(env)}")
        return "{" + ", ".join(parts) + "}"

    def refs(self) -> Iterator[Ref]:
        for _, matcher in self.entries:
            yield from iter_refs(matcher)


@dataclass(frozen=True)
class Unordered(BaseMatcher):
    """An array table whose elements the matchers accept in some order."""

    items: tuple[Matcher, ...]

    def matches(self, value: LuaValue, env: Env) -> bool:
        if not isinstance(value, LuaTable):
            return False
        entries = table_pairs(value)  # as Lua sees it: a trailing nil is no element
        if entries.keys() != {key_identity(index) for index in range(1, len(self.items) + 1)}:
            return False
        return _assign([item for _, item in entries.values()], list(self.items), env)

    def describe(self, env: Env) -> str:
        return "{" + ", ".join(item.describe(env) for item in self.items) + "} in any order"

    def refs(self) -> Iterator[Ref]:
        for item in self.items:
            yield from iter_refs(item)


def _assign(values: list[LuaValue], matchers: list[Matcher], env: Env) -> bool:
    """Is there a one-to-one pairing of values and accepting matchers?

    Plain backtracking: scenario tables are small (a select result holds a
    handful of sockets).
    """
    if not values:
        return True
    first, rest = values[0], values[1:]
    for index, matcher in enumerate(matchers):
        if matcher.matches(first, env) and _assign(rest, matchers[:index] + matchers[index + 1:], env):
            return True
    return False


# -- outcome-level matching -------------------------------------------------


def match_returns(matchers: Sequence[Matcher], values: Sequence[LuaValue], env: Env, *,
                  observed_as: str = "returned", took: str = "") -> tuple[bool, str]:
    """Compare one outcome's ``returns`` with an observed return tuple.

    Trailing nils are dropped on both sides (a Lua caller cannot see them);
    a position present on one side only is compared against nil, so a
    trailing ``!any`` or ``!type nil`` still accepts a missing value. The
    detail names the first position that differs, then whichever whole list
    holds more than that position: ``value 1: expected "x", got nil
    (returned nil, "421 made up")``, since the rest of a result (an error
    message) is often what explains it. ``observed_as`` names the observed
    list ("called with" for a callback's arguments); ``took`` (e.g. "in
    0.002s") follows it when the timing is part of what was expected.
    """
    expected = _trim_matchers(matchers)
    observed = trim(values)
    for index in range(max(len(expected), len(observed))):
        matcher = expected[index] if index < len(expected) else Exact(None)
        value = observed[index] if index < len(observed) else None
        if not matcher.matches(value, env):
            wholes = []
            if any(position != index for position in range(len(expected))):
                wholes.append(f"expected {describe_returns(matchers, env)}")
            if any(position != index for position in range(len(observed))):
                wholes.append(f"{observed_as} {lua_repr_all(observed)}" + (f" {took}" if took else ""))
            shown = f" ({'; '.join(wholes)})" if wholes else ""
            return False, f"value {index + 1}: {value_mismatch(matcher, value, env)}{shown}"
    return True, ""


def value_mismatch(matcher: Matcher, value: LuaValue, env: Env) -> str:
    """``expected X, got Y`` for one value a matcher refused.

    Two long strings (an exact one expected) are shown around their first
    difference instead: each cut on its own, both may show the same head.
    """
    if isinstance(matcher, BaseMatcher):
        reason = matcher.why_not(value, env)
        if reason:
            return reason
    wanted: LuaValue = None
    try:
        if isinstance(matcher, Exact):
            wanted = resolve(matcher.value, env)
        elif isinstance(matcher, RefEquals):
            wanted = lookup(matcher.name, env)
    except LookupError:
        wanted = None
    difference = long_difference(wanted, value)
    if difference is not None:
        return difference
    return f"expected {matcher.describe(env)}, got {lua_repr(value)}"


def match_raises(matcher: Matcher, message: str, env: Env) -> tuple[bool, str]:
    """Compare a ``raises`` matcher with the message of a raised Lua error."""
    observed = message_bytes(message)
    if matcher.matches(observed, env):
        return True, ""
    return False, f"error message {lua_repr(observed)} is not {matcher.describe(env)}"


def describe_returns(matchers: Sequence[Matcher], env: Env) -> str:
    """``"abc", nil, "timeout"``-style rendering of a ``returns`` list."""
    trimmed = _trim_matchers(matchers)
    return ", ".join(matcher.describe(env) for matcher in trimmed) if trimmed else "(no values)"


def _trim_matchers(matchers: Sequence[Matcher]) -> tuple[Matcher, ...]:
    items = list(matchers)
    while items and isinstance(items[-1], Exact) and items[-1].value is None:
        items.pop()
    return tuple(items)


def message_bytes(message: str | bytes) -> bytes:
    """A raised error's message as the bytes ``raises:`` matchers judge (and reasons show)."""
    if isinstance(message, bytes):
        return message
    try:
        return text_to_bytes(message)
    except ValueError:  # a Python candidate may put non-Latin-1 text in an error
        return message.encode("utf-8")
