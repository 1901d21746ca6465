"""Typed reads of YAML fields that report problems instead of raising.

The loader walks a whole file and wants every problem, so each helper here
returns ``None`` after recording a problem (``path:line: field: message``)
and the caller simply skips what it could not read. A field holding an
``InvalidValue`` (a tag the YAML layer could not build) is reported with
that tag's own problem, under the field where it was found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fakeservers.config import LONGEST_SECONDS
from harness.scenario.errors import Collector
from harness.scenario.located import AlreadyReported, ConversionError, InvalidValue, YList, YMap
from harness.scenario.model import Matcher, Ref, Template
from harness.values import LuaFunction

FAILED: Any = object()
"""What :meth:`Checker.convert` returns when the value could not be converted."""


def describe_kind(raw: Any) -> str:
    """How a YAML value looks to an author, for "expected X, got Y"."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return f"a boolean ({raw})".lower()
    if isinstance(raw, (int, float)):
        return f"a number ({raw})"
    if isinstance(raw, str):
        return f"text ({raw!r})"
    if isinstance(raw, bytes):
        return "bytes (!hex/!repeat)"
    if isinstance(raw, YMap):
        return "a mapping"
    if isinstance(raw, YList):
        shown = ", ".join(repr(item) if isinstance(item, str) else str(item) for item in raw)
        plain = all(isinstance(item, (int, float, str)) for item in raw)  # bool is an int
        return f"a list ([{shown}])" if raw and plain and len(shown) <= 40 else "a list"
    if isinstance(raw, Ref):
        return f"!ref {raw.name}"
    if isinstance(raw, Template):
        return "!fmt text"
    if isinstance(raw, LuaFunction):
        return f"!callback {raw.name}"
    if isinstance(raw, Matcher):
        return f"a matcher ({raw.describe({})})"  # as a reader knows it: "any socket", not a class name
    return type(raw).__name__


def is_number(raw: Any) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


@dataclass
class Checker:
    """Field-level checks bound to one file's problem collector."""

    collector: Collector
    pending: list[InvalidValue] = field(default_factory=list)

    def report(self, line: int, field: str, message: str) -> None:
        self.collector.add(line, field, message)

    def claim(self, invalid: InvalidValue, field: str) -> None:
        """Report a bad tag's problem under ``field``, the first time it is met."""
        if any(item is invalid for item in self.pending):
            self.pending = [item for item in self.pending if item is not invalid]
            message = invalid.message
            if invalid.tag not in message:
                message = f"{invalid.tag}: {message}"
            self.report(invalid.line, field, message)

    def report_unclaimed(self) -> None:
        """Bad tags the walk never reached (e.g. under a rejected key)."""
        for invalid in self.pending:
            self.report(invalid.line, invalid.tag, invalid.message)
        self.pending = []

    def expect(self, raw: Any, line: int, field: str, wanted: str, ok: bool) -> bool:
        """Report ``expected <wanted>, got ...`` unless ``ok``; InvalidValue is silent."""
        if ok:
            return True
        if isinstance(raw, InvalidValue):
            self.claim(raw, field)
        else:
            self.report(line, field, f"expected {wanted}, got {describe_kind(raw)}")
        return False

    def mapping(self, raw: Any, line: int, field: str) -> YMap | None:
        return raw if self.expect(raw, line, field, "a mapping", isinstance(raw, YMap)) else None

    def keys(self, mapping: YMap, field: str, allowed: Sequence[str], required: Sequence[str] = ()) -> bool:
        """Reject unknown keys and report missing required ones; True if all required are present."""
        for key in mapping:
            if key not in allowed:
                self.report(mapping.line_of(key), join(field, str(key)),
                            f"unknown key (allowed here: {', '.join(allowed)})")
        complete = True
        for key in required:
            if key not in mapping:
                self.report(mapping.line, join(field, key), "missing required key")
                complete = False
        return complete

    def convert(self, function: Callable[[Any, int], Any], raw: Any, line: int, field: str) -> Any:
        """Run a ``convert`` function; report its ConversionError at ``field``.

        Returns ``FAILED`` (not None: nil is a fine Lua value) on failure.
        """
        try:
            return function(raw, line)
        except AlreadyReported as error:
            self.claim(error.invalid, field)
            return FAILED
        except ConversionError as error:
            self.report(error.line, field, error.message)
            return FAILED

    def text(self, mapping: YMap, key: str, field: str) -> str | None:
        raw = mapping.get(key)
        line, name = mapping.line_of(key), join(field, key)
        if not self.expect(raw, line, name, "text", isinstance(raw, str)):
            return None
        if not raw.strip():
            self.report(line, name, "must not be empty")
            return None
        return raw

    def number(self, raw: Any, line: int, field: str, *, positive: bool = False) -> float | None:
        """A duration in seconds, at most ``LONGEST_SECONDS`` as a fake server's: a longer one (or
        ``.inf``) would load and then crash the harness in ``time.sleep`` or a thread wait, which the
        candidate's verdict would wear."""
        wanted = f"a number > 0 (seconds, at most {LONGEST_SECONDS})" if positive else \
            f"a number >= 0 (seconds, at most {LONGEST_SECONDS})"
        ok = is_number(raw) and (raw > 0 if positive else raw >= 0) and raw <= LONGEST_SECONDS
        return raw if self.expect(raw, line, field, wanted, ok) else None

    def count(self, raw: Any, line: int, field: str) -> int | None:
        ok = isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0
        return raw if self.expect(raw, line, field, "a whole number >= 0", ok) else None

    def outcome_entries(self, raw: Any, line: int, field: str) -> list[tuple[Any, int, str]] | None:
        """An ``expect:``'s outcomes as (item, line, field): one mapping or a non-empty list of them."""
        if isinstance(raw, YMap):
            return [(raw, raw.line, field)]
        wanted = "an outcome (mapping) or a list of outcomes"
        if not self.expect(raw, line, field, wanted, isinstance(raw, YList)):
            return None
        if not raw:
            self.report(line, field, "an empty list accepts nothing; list at least one outcome")
            return None
        return [(item, raw.line_of(index), f"{field}[{index}]") for index, item in enumerate(raw)]

    def text_list(self, mapping: YMap, key: str, field: str) -> list[tuple[str, int, str]]:
        """Items of a list of text as (text, line, field); bad items are reported and left out."""
        raw = mapping.get(key, [])
        if not self.expect(raw, mapping.line_of(key), join(field, key), "a list", isinstance(raw, list)):
            return []
        items = []
        for index, item in enumerate(raw):
            line, name = raw.line_of(index), f"{join(field, key)}[{index}]"
            if self.expect(item, line, name, "text", isinstance(item, str)):
                items.append((item, line, name))
        return items


def join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key

