"""Scenario callbacks through the in-process adapter: the values a Python candidate sees both ways.

A Python candidate calls a callback with plain Python values (bytes, None,
sometimes str) and gets the Lua return list back as a tuple: ``(1,)`` to go
on, ``(None, b"message")`` to abort, ``(b"chunk", total)`` from a send
callback. This pins that translation (``harness.adapters.pyvalues``) with the
runner's own ``CallbackSet`` as the handler.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

from harness.adapters.base import Call, Returned
from harness.adapters.inprocess import InProcessAdapter
from harness.callbacks import CallbackSet
from harness.scenario.model import CallbackSpec
from harness.transcript import Transcript
from harness.values import LuaFunction, LuaTable


def _stream(receive_cb: Any, send_cb: Any) -> tuple[Any, ...]:
    """Pulls two pieces from the send callback and pushes them into the receive callback."""
    seen: list[Any] = []
    for _ in range(3):
        chunk, total = send_cb()
        seen.append([type(chunk).__name__, chunk, total])
        seen.append(list(receive_cb(chunk, None)))
    seen.append(list(receive_cb("text from the candidate", None)))
    seen.append(list(receive_cb(None, "closed")))
    return (seen,)


@pytest.fixture
def adapter() -> Iterator[tuple[InProcessAdapter, CallbackSet]]:
    module = types.ModuleType("streaming_candidate")
    module.stream = _stream  # type: ignore[attr-defined]
    instance = InProcessAdapter(module, "streaming", "1")
    found = CallbackSet((CallbackSpec("sink", "receive", abort_at=3, message=b"enough"),
                         CallbackSpec("source", "send", chunks=(b"ab", b"c"))), Transcript())
    instance.set_callback_handler(found.handle)
    yield instance, found
    instance.close()


def test_callback_values_cross_the_boundary_both_ways(adapter: tuple[InProcessAdapter, CallbackSet]) -> None:
    instance, found = adapter
    outcome = instance.call(Call("stream", (LuaFunction("sink"), LuaFunction("source"))))
    assert isinstance(outcome, Returned)
    (seen,) = outcome.values
    rows = [row.array for row in seen.array]
    assert rows == [
        [b"bytes", b"ab", 3], [1],         # a send chunk arrives as bytes with an int total; go on is 1
        [b"bytes", b"c", 3], [1],
        [b"bytes", b"", 3], [None, b"enough"],  # used up: "" and the total; abort-at 3 answers nil + message
        [1],                                # str from the candidate is fine too
        [1],                                # the failure call (nil, "closed")
    ]
    record = found["sink"].record
    assert record.calls == [(b"ab",), (b"c",), (b"",), (b"text from the candidate",), (None, b"closed")]
    assert isinstance(seen, LuaTable)
