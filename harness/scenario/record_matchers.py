"""Matchers for what a fake server or a callback recorded (``check:`` steps).

A server record (an HTTP request, an SMTP envelope, an FTP transfer) has
many fields and a scenario cares about a few, so records are matched by
``PartialTable``: the listed fields only, a field the record lacks reading
as nil. ``Absent`` is how a scenario says "this header must not be there".
FTP and SMTP commands are written as a verb, a command line or a matcher, and
``CommandMatcher`` knows which parts of the recorded command each compares.
A list is matched whole (these entries, in this order) unless it is written
``{none: [...]}``: ``NoneOf`` then accepts any list in which no entry is
like one of those, which is how a safety scenario says "whatever else the
client did, this never reached the server" without fixing the rest. Written
``{in-order: [...], besides: [...]}``, ``InOrder`` accepts the listed entries
in that order (a nested list: those entries in any order) with any number of
entries like one of ``besides`` among them, which is how a scenario lets a
client send harmless extra commands (``NOOP``, ``SYST``) it did not fix.

``explain`` walks nested partial tables to name the first field that
differs, so a failed check says ``requests[1].headers.host`` rather than
printing two whole requests side by side.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from harness.scenario.matchers import BaseMatcher, value_mismatch
from harness.scenario.model import Env, Matcher, Ref
from harness.scenario.refs import iter_refs
from harness.values import LuaKey, LuaTable, LuaValue, lua_repr


@dataclass(frozen=True)
class Absent(BaseMatcher):
    """No value at all: a header, field or file that must not be there (nil)."""

    def matches(self, value: LuaValue, env: Env) -> bool:
        return value is None

    def describe(self, env: Env) -> str:
        return "absent"


@dataclass(frozen=True)
class PartialTable(BaseMatcher):
    """A table whose listed keys match; other keys are not looked at."""

    entries: tuple[tuple[LuaKey, Matcher], ...]

    def matches(self, value: LuaValue, env: Env) -> bool:
        if not isinstance(value, LuaTable):
            return False
        return all(matcher.matches(value[key], env) for key, matcher in self.entries)

    def describe(self, env: Env) -> str:
        parts = [f"{_key_text(key)}={matcher.describe(env)}" for key, matcher in self.entries]
        return "{" + ", ".join(parts) + ", ...}"

    def refs(self) -> Iterator[Ref]:
        for _, matcher in self.entries:
            yield from iter_refs(matcher)


@dataclass(frozen=True)
class CommandMatcher(BaseMatcher):
    """One recorded FTP or SMTP command, accepted if ``matcher`` accepts one of its ``parts``.

    Parts: ``verb`` (the first word, upper-cased: clients may send any
    case), ``text`` (the line without its line end) and ``line`` (the raw
    line, CRLF included). A verb written in a scenario is compared with the
    verb, a command line with the text (or, ending in CRLF, with the raw
    line), and any other matcher with all three, so ``!oneof [PASV, EPSV]``
    and ``!re "\\A(?i:user) x\\r\\n\\Z"`` both read naturally. The value
    matched is the command's table from ``harness.received``.
    """

    parts: tuple[str, ...]
    matcher: Matcher

    def matches(self, value: LuaValue, env: Env) -> bool:
        return isinstance(value, LuaTable) and any(
            self.matcher.matches(value[part.encode()], env) for part in self.parts)

    def describe(self, env: Env) -> str:
        if self.parts == ("verb",):
            return f"a command with verb {self.matcher.describe(env)}"
        if self.parts == ("line",):
            return f"the command line {self.matcher.describe(env)}"
        return f"a command whose verb, text or line is {self.matcher.describe(env)}"

    def refs(self) -> Iterator[Ref]:
        return iter_refs(self.matcher)


@dataclass(frozen=True)
class NoneOf:
    """A record list with no entry that one of ``forbidden`` accepts (``{none: [...]}``)."""

    forbidden: tuple[Matcher, ...]

    def violation(self, key: str, observed: list[LuaTable], env: Env) -> str | None:
        """The first entry that must not be there, named by its index, and what it is like."""
        for index, value in enumerate(observed):
            for matcher in self.forbidden:
                if matcher.matches(value, env):
                    return (f"{key}[{index}]: {_entry_text(value)} is {matcher.describe(env)}, "
                            f"which must not arrive ({self.describe(env)})")
        return None

    size = 0  # records the list needs at least: none, only a quiet server

    def describe(self, env: Env) -> str:
        return "none of " + _listed(self.forbidden, env)

    def refs(self) -> Iterator[Ref]:
        for matcher in self.forbidden:
            yield from iter_refs(matcher)


@dataclass(frozen=True)
class InOrder:
    """A record list of ``groups`` in order, each group's entries in any order, with
    entries like one of ``besides`` anywhere among them (``{in-order: [...], besides: [...]}``)."""

    groups: tuple[tuple[Matcher, ...], ...]
    besides: tuple[Matcher, ...]

    @property
    def size(self) -> int:
        """How many records the list needs at least."""
        return sum(len(group) for group in self.groups)

    def violation(self, key: str, observed: list[LuaTable], env: Env) -> str | None:
        """The first entry that is neither the next expected one nor allowed besides, or what is missing.

        Read greedily first: a record is taken for the next expected entry
        before it is taken for an allowed extra, and within a group by the
        first pending entry that accepts it. Only if that reading fails is
        every other one tried (group entries that overlap, an extra that
        looks like an expected entry), and the greedy reading's first
        mismatch is what the report names. An extra can never stand in for
        an expected entry: every entry still has to be matched by a record.
        """
        problem = self._greedy_violation(key, observed, env)
        if problem is None or self._fits(observed, env):
            return None
        return problem

    def _fits(self, observed: list[LuaTable], env: Env) -> bool:
        """Is there any reading of ``observed`` as the groups in order, with extras besides?"""
        groups = self.groups

        @functools.cache
        def walk(index: int, group: int, pending: frozenset[int]) -> bool:
            if group == len(groups):
                return all(self._extra(value, env) for value in observed[index:])
            if index == len(observed):
                return False
            value = observed[index]
            for member in pending:
                if groups[group][member].matches(value, env):
                    rest = pending - {member}
                    after = (group, rest) if rest else (group + 1, _all_members(groups, group + 1))
                    if walk(index + 1, *after):
                        return True
            return self._extra(value, env) and walk(index + 1, group, pending)

        return walk(0, 0, _all_members(groups, 0))

    def _greedy_violation(self, key: str, observed: list[LuaTable], env: Env) -> str | None:
        groups = [list(group) for group in self.groups]
        for index, value in enumerate(observed):
            pending = groups[0] if groups else []
            hit = next((matcher for matcher in pending if matcher.matches(value, env)), None)
            if hit is not None:
                pending.remove(hit)
                if not pending:
                    groups.pop(0)
                continue
            if self._extra(value, env):
                continue
            wanted = _one_of(pending, env) if pending else "nothing more"
            return (f"{key}[{index}]: expected {wanted} (or one of {_listed(self.besides, env)}), "
                    f"got {_entry_text(value)}")
        if not groups:
            return None
        missing = sum(len(group) for group in groups)
        return (f"{key}: then nothing came: missing {_one_of(groups[0], env)}"
                + (f" and {missing - 1} more" if missing > 1 else ""))

    def _extra(self, value: LuaTable, env: Env) -> bool:
        """Is ``value`` one of the entries allowed besides the expected ones?"""
        return any(matcher.matches(value, env) for matcher in self.besides)

    def describe(self, env: Env) -> str:
        parts = [group[0].describe(env) if len(group) == 1 else "any order of " + _listed(group, env)
                 for group in self.groups]
        return "[" + ", ".join(parts) + "] in order, besides any of " + _listed(self.besides, env)

    def refs(self) -> Iterator[Ref]:
        for group in self.groups:
            for matcher in group:
                yield from iter_refs(matcher)
        for matcher in self.besides:
            yield from iter_refs(matcher)


def _all_members(groups: tuple[tuple[Matcher, ...], ...], group: int) -> frozenset[int]:
    return frozenset(range(len(groups[group]))) if group < len(groups) else frozenset()


def _listed(matchers: Sequence[Matcher], env: Env) -> str:
    return "[" + ", ".join(matcher.describe(env) for matcher in matchers) + "]"


def _one_of(matchers: Sequence[Matcher], env: Env) -> str:
    return matchers[0].describe(env) if len(matchers) == 1 else "one of " + _listed(matchers, env)


def _entry_text(value: LuaTable) -> str:
    """A command by its raw line (what went over the wire); any other record whole."""
    line = value[b"line"] if isinstance(value, LuaTable) else None
    return lua_repr(line if isinstance(line, bytes) else value, 120)


def explain(matcher: Matcher, value: LuaValue, env: Env, path: str) -> str:
    """Why ``value`` fails ``matcher``: the first differing field and both sides."""
    if isinstance(matcher, PartialTable) and isinstance(value, LuaTable):
        for key, inner in matcher.entries:
            if not inner.matches(value[key], env):
                return explain(inner, value[key], env, f"{path}.{_key_text(key)}")
    if isinstance(matcher, CommandMatcher) and isinstance(value, LuaTable):
        return f"{path}: expected {matcher.describe(env)}, got {lua_repr(value[b'line'])}"
    return f"{path}: {value_mismatch(matcher, value, env)}"


def _key_text(key: LuaKey) -> str:
    if isinstance(key, bytes) and key.isascii():
        text = key.decode()
        if text.replace("-", "_").isidentifier():
            return text
    return f"[{lua_repr(key)}]"
