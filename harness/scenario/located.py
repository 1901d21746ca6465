"""YAML containers that remember where they came from.

Plain ``dict``/``list`` lose line numbers, and without them a schema error
cannot say where it is. These subclasses behave exactly like their bases and
additionally keep the line of the container, of each key and of each item.
Scalars cannot carry attributes, so their line is the line recorded by their
parent (the key's line for mapping values, the item's line for list items).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class YMap(dict[Any, Any]):
    """A YAML mapping; ``key_lines[k]`` is the 1-based line of key ``k``."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A YAML sequence; ``item_lines[i]`` is the 1-based line of item ``i``."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True, eq=False)
class InvalidValue:
    """Stands in for a tagged node that could not be built.

    The YAML layer does not know which scenario field the node sits in, so
    it leaves this placeholder with its problem; the loader reports the
    problem under the field path where it meets the placeholder (and reports
    unclaimed ones under the tag name). Compared by identity.
    """

    tag: str
    line: int
    message: str


class ConversionError(ValueError):
    """A value cannot become a Lua value or matcher; ``line`` says where."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def line_in(container: Any, key: Any, default: int) -> int:
    """The line of ``container[key]`` if the container knows it."""
    if isinstance(container, (YMap, YList)):
        return container.line_of(key)
    return default


class AlreadyReported(ConversionError):
    """Conversion met an ``InvalidValue``: its own problem is the one to report."""

    def __init__(self, invalid: InvalidValue) -> None:
        super().__init__(invalid.line, invalid.message)
        self.invalid = invalid
