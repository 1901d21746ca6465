"""Lua-style argument handling: absent vs nil, numbers, strings.

The C core of LuaSocket reads its arguments through the Lua API, which
coerces between numbers and strings and reports wrong types as
``"<type> expected, got <type>"``. This module is the one place where that
coercion happens, so every function accepts the same things:

* A trailing ``None`` is an *absent* argument: a Lua callee cannot tell
  ``f(a, nil)`` from ``f(a)`` in the manual's reading (the 2001 code could;
  DIVERGENCES.md #14). :func:`settle` turns trailing ``None`` into
  :data:`ABSENT`; a ``None`` followed by a real value stays an explicit nil.
* Numbers are ``int`` or ``float`` (never ``bool``); numeric strings such as
  ``"8080"`` or ``b"1.5"`` count as numbers, as in Lua.
* Data strings are ``bytes``; numbers become their ``%.16g`` text (Lua 4's
  format) and ``str`` is accepted for convenience, one code point per byte.
* Text arguments (patterns, modes, addresses, option names) may be ``str`` or
  ``bytes`` and come back as ``str``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from reference.errors import LuaError


class _Absent:
    """The "no value" marker: an argument the caller did not pass."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

# What C's isspace() accepts in the "C" locale; Lua's string-to-number
# conversion skips these around the number, and "*w" uses the same set.
C_WHITESPACE: Final = " \t\n\v\f\r"

# ASCII digits only, as C's strtod reads them: in a str pattern \d would take "８" or "٢" too.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?", re.ASCII)


def settle(args: tuple[object, ...], count: int) -> list[object]:
    """The first ``count`` arguments, trailing ``None`` made :data:`ABSENT`.

    Extra arguments are ignored, as a Lua function ignores them.
    """
    end = len(args)
    while end and args[end - 1] is None:
        end -= 1
    values: list[object] = list(args[: min(end, count)])
    values.extend([ABSENT] * (count - len(values)))
    return values


def trim(args: tuple[object, ...]) -> tuple[object, ...]:
    """Drop trailing ``None`` arguments (they are absent, not nil)."""
    end = len(args)
    while end and args[end - 1] is None:
        end -= 1
    return args if end == len(args) else args[:end]


def is_absent(value: object) -> bool:
    return value is ABSENT or value is None


def lua_type(value: object) -> str:
    """The Lua type name used in argument errors ("no value" when absent)."""
    if value is ABSENT:
        return "no value"
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        return "string"
    if isinstance(value, (list, tuple, Mapping)) or getattr(value, "kind", None) is not None:
        return "table"  # socket objects are tables in Lua
    if callable(value):
        return "function"
    return "userdata"


def _c_strip(text: str) -> str:
    return text.strip(C_WHITESPACE)


def to_number(value: object) -> int | float | None:
    """``value`` as a Lua number, or None if Lua would not convert it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        return None
    text = _c_strip(value)
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _HEX.fullmatch(text):
        sign = -1.0 if text.startswith("-") else 1.0
        return sign * float.fromhex(text.lstrip("+-"))
    return None


def check_number(value: object) -> int | float:
    """A required number argument; raises ``number expected, got X``."""
    number = to_number(value)
    if number is None:
        raise LuaError(f"number expected, got {lua_type(value)}")
    return number


def truncate(number: int | float) -> int:
    """Truncate toward zero like C's ``(int)`` cast, without overflowing.

    NaN becomes 0 and infinities saturate, so a silly argument gives a
    defined answer instead of a Python exception.
    """
    if isinstance(number, int):
        return number
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return 2**62 if number > 0 else -(2**62)
    return int(number)


def check_port(value: object) -> int:
    """A port: a number, fraction dropped, reduced to 16 bits (-1 -> 65535)."""
    if type(value) is int:  # the usual case, spared the general rules (sendto runs this per datagram)
        return value & 0xFFFF
    return truncate(check_number(value)) & 0xFFFF


def format_number(number: int | float) -> str:
    """A number as Lua 4 prints it into a string (``%.16g``)."""
    try:
        return f"{number:.16g}"
    except OverflowError:  # an int too large for a double
        return str(number)


def check_data(value: object) -> bytes:
    """A data string argument as bytes; numbers become their text."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise LuaError("string expected, got text with characters above U+00FF") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value).encode("ascii")
    raise LuaError(f"string expected, got {lua_type(value)}")


def check_text(value: object) -> str:
    """A text argument (pattern, mode, address, name) as ``str``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):  # every kind lua_type calls a string
        return bytes(value).decode("latin-1")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    raise LuaError(f"string expected, got {lua_type(value)}")
