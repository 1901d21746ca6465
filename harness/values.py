"""Lua values as the harness sees them, whatever the candidate's language.

Every candidate speaks Lua at its boundary, so the harness keeps one value
model for arguments, results, matching and transcripts:

=================  ===========================================================
Lua                Python (harness side)
=================  ===========================================================
nil                ``None``
boolean            ``bool``
number             ``int`` or ``float`` (Lua 4 has one number type; 1 == 1.0)
string             ``bytes`` (Lua strings are byte strings, never ``str``)
table              ``LuaTable`` (array part and hash part kept apart)
socket object      ``Handle`` (opaque; the adapter maps it to the real object)
function           ``LuaFunction`` (a streaming callback defined by a scenario)
=================  ===========================================================

Multiple returns are a tuple. Trailing nils are not significant: a Lua caller
cannot tell ``return a`` from ``return a, nil``, so :func:`trim` drops them
before anything is compared.

Text in scenario files stands for bytes, one code point per byte
(U+0000-U+00FF), the same convention the driver protocol uses on the wire.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

LuaKey = bool | int | float | bytes
LuaValue = Any  # None | bool | int | float | bytes | LuaTable | Handle | LuaFunction


@dataclass(frozen=True)
class Handle:
    """An opaque reference to a socket object owned by a candidate.

    ``kind`` is informational ("tcp-client", "tcp-server", "udp" or
    "unknown"); identity is ``id`` alone, so the same socket handed back by
    ``select`` compares equal to the one ``connect`` returned.
    """

    id: int
    kind: str = "unknown"
    type: str = "socket"
    """The Lua type: "socket", or "function", "userdata" or "thread" for an object that is
    no socket and that a driver cannot write out (PROTOCOL.md section 2)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("handle", self.id))


@dataclass(frozen=True)
class LuaFunction:
    """A function value passed to a candidate (a streaming callback).

    ``name`` refers to a callback the scenario declares; the adapter turns it
    into something the candidate can call and routes each call back to the
    harness.
    """

    name: str


@dataclass
class LuaTable:
    """A Lua table: a dense array part (keys 1..n) and a hash part.

    Kept apart because Lua code observes the difference (``t[1]``, ``t.n``),
    and because an empty table has no "list or dict" answer in Python.
    """

    array: list[LuaValue] = field(default_factory=list)
    hash: dict[LuaKey, LuaValue] = field(default_factory=dict)

    @classmethod
    def from_python(cls, value: Mapping[Any, Any] | Iterable[Any]) -> LuaTable:
        """Build a table from a Python list (array) or mapping (keys as given).

        Integer keys 1..n of a mapping land in the array part, as Lua would
        store them.
        """
        if isinstance(value, Mapping):
            table = cls()
            for key, item in value.items():
                table[_key(key)] = item
            return table
        return cls(array=list(value))

    def __getitem__(self, key: LuaKey) -> LuaValue:
        if isinstance(key, (int, float)) and not isinstance(key, bool) and math.isfinite(key):
            index = int(key)
            if index == key and 1 <= index <= len(self.array):
                return self.array[index - 1]
        return self.hash.get(key)

    def __setitem__(self, key: LuaKey, value: LuaValue) -> None:
        if isinstance(key, (int, float)) and not isinstance(key, bool) and math.isfinite(key) \
                and int(key) == key:
            index = int(key)
            if 1 <= index <= len(self.array):
                self.array[index - 1] = value
                return
            if index == len(self.array) + 1 and value is not None:
                self.array.append(value)
                # Absorb hash entries that now continue the array.
                while (len(self.array) + 1) in self.hash:
                    self.array.append(self.hash.pop(len(self.array) + 1))
                return
            key = index
        clash = self._clash(key)
        if value is None:
            if clash is _NO_KEY:
                self.hash.pop(key, None)
            return
        if clash is not _NO_KEY:
            # Python's True == 1 and False == 0 would merge two Lua keys into one entry, and a
            # comparison would then see a table the candidate never returned.
            raise ValueError(f"a table with both {lua_repr(clash)} and {lua_repr(key)} as keys: the harness "
                             "cannot hold them apart")
        self.hash[key] = value

    def _clash(self, key: LuaKey) -> Any:
        """The key already in the hash part that Python's ``==`` confuses with ``key`` although Lua
        tells them apart (``false`` and ``0``, ``true`` and ``1``), or ``_NO_KEY``."""
        if key not in self.hash or not (isinstance(key, bool) or key in (0, 1)):
            return _NO_KEY
        is_bool = isinstance(key, bool)
        same = (other for other in self.hash if other == key and isinstance(other, bool) != is_bool)
        return next(same, _NO_KEY)

    def items(self) -> Iterator[tuple[LuaKey, LuaValue]]:
        """All (key, value) pairs, array part first, like Lua's traversal."""
        yield from enumerate(self.array, start=1)
        yield from self.hash.items()

    def values(self) -> Iterator[LuaValue]:
        for _, value in self.items():
            yield value

    def __len__(self) -> int:
        return len(self.array) + len(self.hash)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LuaTable):
            return NotImplemented
        return lua_equal(self, other)

    def __hash__(self) -> int:  # tables are mutable; identity is not useful here
        raise TypeError("LuaTable is unhashable")


_NO_KEY = object()


def key_identity(key: LuaKey) -> tuple[str, Any]:
    """A table key as Lua tells keys apart: ``true`` is not ``1``, ``false`` is not ``0``
    (Python's ``==`` says they are), while the float ``1.0`` is the key ``1``."""
    if isinstance(key, bool):
        return ("boolean", key)
    if isinstance(key, float) and key.is_integer():
        return ("number", int(key))
    if isinstance(key, (int, float)):
        return ("number", key)
    return (type(key).__name__, key)


def table_pairs(table: LuaTable) -> dict[tuple[str, Any], tuple[LuaKey, LuaValue]]:
    """A table's entries by ``key_identity``, nil values left out, as Lua sees them: ``{1, nil, 3}``
    (an array part with a hole, as a Python candidate's ``[1, None, 3]`` gives it) and
    ``{[1]=1, [3]=3}`` are the same table."""
    return {key_identity(key): (key, value) for key, value in table.items() if value is not None}


def _key(key: Any) -> LuaKey:
    if isinstance(key, str):
        return text_to_bytes(key)
    return key


def text_to_bytes(text: str) -> bytes:
    """Map scenario text to a Lua string, one code point per byte.

    Raises ValueError naming the first code point above U+00FF, because such a
    character has no single-byte meaning and silently UTF-8 encoding it would
    make a scenario's expected length wrong.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as error:
        bad = text[error.start]
        raise ValueError(
            f"character {bad!r} (U+{ord(bad):04X}) at offset {error.start} is not a byte; "
            "Lua strings are bytes: write it as \\xNN escapes or use !hex"
        ) from None


def trim(values: Iterable[LuaValue]) -> tuple[LuaValue, ...]:
    """Drop trailing nils: Lua callers cannot observe them."""
    items = list(values)
    while items and items[-1] is None:
        items.pop()
    return tuple(items)


def lua_type(value: LuaValue) -> str:
    """The Lua type name of a value, with "socket" for handles."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, bytes):
        return "string"
    if isinstance(value, LuaTable):
        return "table"
    if isinstance(value, Handle):
        return value.type
    if isinstance(value, LuaFunction):
        return "function"
    raise TypeError(f"not a Lua value: {value!r}")


def lua_equal(left: LuaValue, right: LuaValue) -> bool:
    """Structural equality of Lua values (tables compared by contents).

    Tables are equal when they hold the same non-nil entries, keys told apart
    as Lua does (``key_identity``). NaN equals NaN here, unlike in Lua: an
    expected ``.nan`` asks for a NaN, and nothing else could ever match it.
    """
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, LuaTable) and isinstance(right, LuaTable):
        left_pairs, right_pairs = table_pairs(left), table_pairs(right)
        if left_pairs.keys() != right_pairs.keys():
            return False
        return all(lua_equal(item, right_pairs[key][1]) for key, (_, item) in left_pairs.items())
    if lua_type(left) != lua_type(right):
        return False
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    return bool(left == right)


def lua_repr(value: LuaValue, limit: int = 200) -> str:
    """Render a value the way a Lua programmer would read it.

    Long strings are cut to about ``limit`` bytes, a head and a tail, with
    their full length shown: a transcript of a 256 MiB receive stays
    readable, and a wrong last byte (a missing CR, a bad tail) still shows.
    """
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, bytes):
        if len(value) <= limit:
            return quote(value)
        tail = limit // 4
        shown = quote(value[:limit - tail]) + "..." + (quote(value[len(value) - tail:]) if tail else "")
        return f"{shown} ({len(value)} bytes)"
    if isinstance(value, Handle):
        return f"<{value.kind if value.type == 'socket' else value.type} #{value.id}>"
    if isinstance(value, LuaFunction):
        return f"<function {value.name}>"
    if isinstance(value, LuaTable):
        parts = [lua_repr(item, limit) for item in value.array]
        for key, item in value.hash.items():
            if isinstance(key, bytes) and key.isascii() and key.decode().isidentifier():
                parts.append(f"{key.decode()}={lua_repr(item, limit)}")
            else:
                parts.append(f"[{lua_repr(key, limit)}]={lua_repr(item, limit)}")
        return "{" + ", ".join(parts) + "}"
    return repr(value)


def quote(data: bytes) -> str:
    """A Lua string literal for ``data``, whole, read back by Lua as the same bytes."""
    body = "".join(_escape_byte(byte, data[index + 1:index + 2]) for index, byte in enumerate(data))
    return f'"{body}"'


DIFFERENCE_CONTEXT = 16
"""Bytes shown on each side of the first difference between two strings."""


def first_difference(expected: bytes, actual: bytes) -> int | None:
    """The offset of the first byte where two strings differ (the shorter one's length
    if it is a prefix of the other), or None if they are equal."""
    if expected == actual:
        return None
    return next((index for index, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
                min(len(expected), len(actual)))


def show_difference(expected: bytes, actual: bytes, context: int = DIFFERENCE_CONTEXT) -> str:
    """Two strings that differ, shown around their first difference.

    ``first difference at offset 97: expected ..."[\\`abc"..., got ..."[\\`ABC"...``,
    with both lengths when they differ. Cutting each string on its own would
    show two identical heads when the difference lies beyond them.
    """
    offset = first_difference(expected, actual)
    if offset is None:
        return "no difference"
    start = max(0, offset - context)

    def window(data: bytes) -> str:
        end = min(len(data), offset + context)
        return ("..." if start else "") + quote(data[start:end]) + ("..." if end < len(data) else "")

    text = f"first difference at offset {offset}: expected {window(expected)}, got {window(actual)}"
    if len(expected) != len(actual):
        text += f" (expected {len(expected)} bytes, got {len(actual)})"
    return text


def long_difference(expected: LuaValue, actual: LuaValue, limit: int = 200) -> str | None:
    """``show_difference`` for two different strings, either one too long to show whole
    (above ``limit``); None when showing both values says it better."""
    if not (isinstance(expected, bytes) and isinstance(actual, bytes)) or expected == actual:
        return None
    return show_difference(expected, actual) if max(len(expected), len(actual)) > limit else None


def lua_repr_all(values: Iterable[LuaValue], limit: int = 200) -> str:
    """Render a return list as Lua would print it: comma separated."""
    rendered = [lua_repr(value, limit) for value in values]
    return ", ".join(rendered) if rendered else "(no values)"


_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r",
            0x22: '\\"', 0x5C: "\\\\"}


def _escape_byte(byte: int, following: bytes = b"") -> str:
    """One byte inside a Lua string literal.

    A decimal escape before a digit takes three digits, as Lua's ``%q``
    does: ``"\\0"`` then ``"1"`` must read ``"\\0001"``, since Lua reads
    ``"\\01"`` as the single byte 1.
    """
    if byte in _ESCAPES:
        return _ESCAPES[byte]
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    if following.isdigit():
        return f"\\{byte:03d}"
    return f"\\{byte}"
