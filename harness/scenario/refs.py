"""Run-time variables: how ``!ref NAME`` is spelled, found and resolved.

A ``Ref`` names either a value a step saved (``c``, ``line``) or an address
attribute of a peer (``srv.host``, ``srv.port``). A ``Template`` (``!fmt``)
is text with refs in braces, rendered into one string at run time. The
loader uses :func:`iter_refs` to prove at load time that every name will
exist; the runner uses :func:`resolve` to substitute the values just before
a call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from harness.scenario.model import Env, Ref, Template
from harness.values import LuaTable, LuaValue, lua_repr

VARIABLE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
PEER_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PEER_ATTRIBUTES = ("host", "port")


class UnresolvedRef(LookupError):
    """A Ref names a variable the environment does not hold (a harness bug:
    the loader checks that every Ref is bound before it is used)."""


class UnformattableValue(UnresolvedRef):
    """A ``!fmt`` ref whose value is not a string or a number (a table, a socket)."""


def is_peer_attribute(name: str) -> bool:
    """True for names of the form ``<peer>.host`` / ``<peer>.port``."""
    peer, dot, attribute = name.partition(".")
    return bool(dot) and PEER_NAME_RE.match(peer) is not None and attribute in PEER_ATTRIBUTES


def is_valid_ref_name(name: str) -> bool:
    return VARIABLE_RE.match(name) is not None or is_peer_attribute(name)


def lookup(name: str, env: Env) -> LuaValue:
    try:
        return env[name]
    except KeyError:
        raise UnresolvedRef(f"variable {name!r} is not set (known: {', '.join(sorted(env)) or 'none'})") \
            from None


def resolve(value: Any, env: Env) -> LuaValue:
    """Replace every Ref in ``value`` (also inside tables) by its value."""
    if isinstance(value, Ref):
        return lookup(value.name, env)
    if isinstance(value, Template):
        return render(value, env)
    if isinstance(value, LuaTable):
        if not any(isinstance(item, (Ref, Template, LuaTable)) for item in value.values()):
            return value
        return LuaTable(array=[resolve(item, env) for item in value.array],
                        hash={key: resolve(item, env) for key, item in value.hash.items()})
    if isinstance(value, tuple):
        return tuple(resolve(item, env) for item in value)
    return value


def iter_refs(value: Any) -> Iterator[Ref]:
    """All Refs inside a value, a table, a tuple or a matcher.

    Matchers expose their own Refs through a ``refs()`` method (see
    ``harness.scenario.matchers``); other objects hold none.
    """
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, LuaTable):
        for item in value.values():
            yield from iter_refs(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from iter_refs(item)
    elif hasattr(value, "refs"):
        yield from value.refs()


_TEMPLATE_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]|[^{}]+")


def parse_template(text: str, line: int = 0) -> tuple[str | Ref, ...]:
    """Split ``!fmt`` text into literal text and Refs.

    ``{name}`` is a ref (a saved variable or ``PEER.host``/``PEER.port``);
    ``{{`` and ``}}`` are literal braces. Raises ValueError for a lone brace
    or a bad name.
    """
    parts: list[str | Ref] = []
    for match in _TEMPLATE_PIECE.finditer(text):
        piece = match.group(0)
        if piece in ("{{", "}}"):
            parts.append(piece[0])
        elif match.group(1) is not None:
            name = match.group(1).strip()
            if not is_valid_ref_name(name):
                raise ValueError(f"{{{match.group(1)}}} does not name a variable (a saved name like c, "
                                 "or PEER.host / PEER.port)")
            parts.append(Ref(name, line, in_template=True))
        elif piece in ("{", "}"):
            raise ValueError(f"lone {piece!r} at offset {match.start()}: "
                             f"write {piece * 2} for a literal brace")
        else:
            parts.append(piece)
    return tuple(parts)


def render(template: Template, env: Env) -> bytes:
    """A template's text with every ref replaced by its value (strings as is, numbers as Lua prints them)."""
    pieces = []
    for part in template.parts:
        if isinstance(part, bytes):
            pieces.append(part)
            continue
        value = lookup(part.name, env)
        if isinstance(value, bytes):
            pieces.append(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            pieces.append(lua_repr(value).encode("latin-1"))
        else:
            raise UnformattableValue(f"!fmt {{{part.name}}}: {lua_repr(value)} is not a string or a number")
    return b"".join(pieces)
