"""Judging one value that may be expected as a matcher, a Ref or a plain value.

Call outcomes are judged by ``harness.scenario.matchers`` (``match_returns``,
``match_raises``). Peer parameters come in more shapes: a ``Matcher`` from
the loader, a ``Ref`` (a port saved by a step), or a plain Lua value in
scenarios built in code. These helpers give all three one meaning.
"""

from __future__ import annotations

from typing import Any

from harness.scenario.matchers import Exact
from harness.scenario.model import Env, Matcher
from harness.scenario.refs import UnresolvedRef, resolve
from harness.values import LuaValue, lua_equal, lua_repr


def match_value(expect: Any, value: LuaValue, env: Env) -> bool:
    """True if ``value`` satisfies ``expect`` (a Matcher, a Ref or a value)."""
    if isinstance(expect, Matcher):
        return expect.matches(value, env)
    return lua_equal(resolve(expect, env), value)


def describe(expect: Any, env: Env) -> str:
    """Lua-flavoured text for an expectation, for expected-vs-actual diffs."""
    if isinstance(expect, Matcher):
        return expect.describe(env)
    try:
        return lua_repr(resolve(expect, env))
    except UnresolvedRef as missing:
        return f"unresolved ({missing})"


def exact_bytes(expect: Any, env: Env) -> bytes | None:
    """The exact string an expectation demands, if it demands one.

    Lets a peer's ``recv`` read exactly ``len(expected)`` bytes when the
    scenario gives no ``count``.
    """
    if isinstance(expect, Exact):
        expect = expect.value
    elif isinstance(expect, Matcher):
        return None
    try:
        value = resolve(expect, env)
    except UnresolvedRef:
        return None
    return value if isinstance(value, bytes) else None
