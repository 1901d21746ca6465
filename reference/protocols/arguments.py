"""Argument checks shared by the protocol functions (misuse raises ``LuaError``).

The Lua modules of 1.3b did not check their arguments; a wrong type failed
somewhere inside with an unhelpful message. The reference checks up front and
raises :class:`reference.LuaError` with the usual ``"<type> expected, got
<type>"`` text, so misuse is reported before any connection is made.

Python mapping (the same as the transport's, see ``reference/__init__.py``):

* Text (URLs, addresses, methods, header names and values) may be ``str`` or
  ``bytes``; bytes are read one character per byte (latin-1), which is how a
  Lua string reaches the reference through the harness.
* Data (bodies, file contents) may be ``bytes``, ``str`` or a number and is
  returned as ``bytes``.
* A table is a ``dict`` (headers, the ``mail`` fields) or a ``list``/``tuple``
  (recipients). An empty list or tuple also stands for an empty table, since
  an empty Lua table has no "list or dict" answer.
* A callback's result may be a tuple (the Lua return list) or a single value
  (one return); :func:`returns` turns either into a tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reference.args import check_data, check_text, is_absent, lua_type
from reference.errors import LuaError


def text(value: object) -> str:
    """A required text argument."""
    return check_text(value)


def optional_text(value: object) -> str | None:
    return None if is_absent(value) else check_text(value)


def optional_data(value: object) -> bytes | None:
    """A body or file content: ``bytes``, or None when absent or nil."""
    return None if is_absent(value) else check_data(value)


def table(value: object, what: str) -> Mapping[Any, Any]:
    """A dict-like table argument; nil and an empty list count as empty."""
    if is_absent(value):
        return {}
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (list, tuple)) and not value:
        return {}
    raise LuaError(f"table expected for {what}, got {lua_type(value)}")


def header_pairs(value: object) -> list[tuple[str, str]]:
    """A header table as ``(name, value)`` text pairs, in the table's order.

    Names must be text; values may be text or numbers (Lua converts numbers
    to text when it builds the header line). Checked for safety elsewhere.
    """
    pairs = []
    for name, item in table(value, "headers").items():
        if not isinstance(name, (str, bytes)):
            raise LuaError(f"string expected for header name, got {lua_type(name)}")
        pairs.append((check_text(name), check_data(item).decode("latin-1")))
    return pairs


def callback(value: object, what: str) -> Callable[..., Any]:
    """A required callback argument."""
    if not callable(value):
        raise LuaError(f"function expected for {what}, got {lua_type(value)}")
    return value


def optional_callback(value: object, what: str) -> Callable[..., Any] | None:
    return None if is_absent(value) else callback(value, what)


def is_set(value: object) -> bool:
    """A Lua flag such as ``stay``: anything but nil counts as set.

    ``False`` also counts as unset; Lua 4 had no booleans, and a Python caller
    writing ``stay=False`` means "do not stay".
    """
    return not is_absent(value) and value is not False


def returns(result: object) -> tuple[Any, ...]:
    """A callback's result as a Lua return list: a tuple as is, else one value."""
    if isinstance(result, tuple):
        return result
    return (result,)
