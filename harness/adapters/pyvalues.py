"""Harness Lua values <-> a Python candidate's own values.

A Python implementation of the API speaks plain Python: bytes for Lua
strings, lists and dicts for tables, its own socket objects, callables for
functions. This module is the whole translation, both ways, so that the
in-process adapter itself only schedules calls. Socket objects cross the
boundary as ``Handle``s through a ``HandleTable``; the same object always
gets the same handle, which is what lets ``select`` results be compared with
the sockets a scenario saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from harness.values import Handle, LuaFunction, LuaTable, LuaValue

SOCKET_KINDS = frozenset({"tcp-client", "tcp-server", "udp"})


class Unconvertible(Exception):
    """A value that has no Lua meaning crossed the boundary."""


def is_socket_object(obj: object) -> bool:
    """A candidate socket: tagged with a known ``kind``, or anything closable."""
    if isinstance(obj, (bytes, str, int, float, bool, list, dict, tuple)) or obj is None:
        return False
    return getattr(obj, "kind", None) in SOCKET_KINDS or callable(getattr(obj, "close", None))


class HandleTable:
    """Stable handles for the candidate's socket objects, and the objects back.

    Objects are held strongly until the adapter closes: that both keeps
    ``id()`` from being reused and lets ``close`` release every socket the
    candidate ever handed out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_object: dict[int, Handle] = {}
        self._by_id: dict[int, Any] = {}

    def handle_for(self, obj: Any) -> Handle:
        with self._lock:
            handle = self._by_object.get(id(obj))
            if handle is None:
                kind = getattr(obj, "kind", None)
                handle = Handle(len(self._by_id) + 1, kind if kind in SOCKET_KINDS else "unknown")
                self._by_object[id(obj)] = handle
                self._by_id[handle.id] = obj
            return handle

    def object_for(self, handle: Handle) -> Any:
        with self._lock:
            if handle.id not in self._by_id:
                raise Unconvertible(f"handle #{handle.id} was not issued by this candidate")
            return self._by_id[handle.id]

    def objects(self) -> list[Any]:
        with self._lock:
            return list(self._by_id.values())


def to_python(value: LuaValue, handles: HandleTable, callback: Callable[[str], Callable[..., Any]]) -> Any:
    """A harness value as the candidate receives it.

    A table with only an array part becomes a list (an empty table too);
    any other table a dict whose byte-string keys are decoded to ``str``
    (latin-1, one character per byte), array entries keeping keys 1..n.
    """
    if value is None or isinstance(value, (bool, int, float, bytes)):
        return value
    if isinstance(value, Handle):
        return handles.object_for(value)
    if isinstance(value, LuaFunction):
        return callback(value.name)
    if isinstance(value, LuaTable):
        if not value.hash:
            return [to_python(item, handles, callback) for item in value.array]
        result: dict[Any, Any] = {}
        for key, item in value.items():
            name = key.decode("latin-1") if isinstance(key, bytes) else key
            result[name] = to_python(item, handles, callback)
        return result
    raise Unconvertible(f"not a Lua value: {value!r}")


def from_python(value: Any, handles: HandleTable) -> LuaValue:
    """A candidate's result value as a harness Lua value.

    ``str`` becomes bytes (latin-1: codes, messages and addresses are text in
    the candidate but strings in Lua). Anything without a Lua meaning raises
    ``Unconvertible`` naming it.
    """
    if value is None or isinstance(value, (bool, int, float, bytes)):
        return value
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise Unconvertible(f"string {value!r} has characters above U+00FF") from None
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return LuaTable(array=[from_python(item, handles) for item in value])
    if isinstance(value, dict):
        table = LuaTable()
        for key, item in value.items():
            table[from_python(key, handles)] = from_python(item, handles)
        return table
    if is_socket_object(value):
        return handles.handle_for(value)
    raise Unconvertible(f"result has no Lua meaning: {value!r}")


def results_from_python(result: Any, handles: HandleTable) -> tuple[LuaValue, ...]:
    """A call's Python result as a Lua return list.

    A tuple is the return list itself; ``None`` is "returns nothing"; any
    other value is a single result.
    """
    if result is None:
        return ()
    if isinstance(result, tuple):
        return tuple(from_python(item, handles) for item in result)
    return (from_python(result, handles),)
