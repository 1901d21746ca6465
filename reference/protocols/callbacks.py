"""The streaming callback contract (manual, "Streaming with callbacks"), with no I/O.

A **receive callback** ``receive_cb(chunk, err)`` gets the incoming body or
file piece by piece. It is always called with both arguments, ``err`` being
None but on the failure call, so a Python function written with the
manual's two parameters works (a Lua function ignores a missing argument;
a Python one would raise). The reference guarantees, for every call that
returns (rather than raises):

* each non-empty piece, in order, as ``bytes`` (an empty piece is never
  passed in the middle: ``b""`` means the end);
* then exactly one final call: ``b""`` when the transfer succeeded, or
  ``(None, message)`` when it failed for any reason (even before the first
  piece, e.g. a refused connection), so a callback that opened a file can
  always close it. 1.3b sent ``""`` twice for some HTTP bodies and never sent
  nil or a separate ``""`` for FTP (DIVERGENCES.md #39, #47).
* Returning nil for a piece aborts: nothing more is read, the callback is
  not called again, and the call fails with the callback's second return
  value or "aborted by callback". Any other value goes on. Nil is ``None``,
  ``()`` (Lua's "returns nothing") or ``False`` (Lua 4 had no booleans; a
  Python or Lua 5 callback returning false means "stop").
* On the final call the callback's second return value, when it is not nil,
  becomes the call's error; so does its second value on the failure call
  (letting a callback rephrase the error). Plain nil there is not an abort:
  the manual's file example returns nothing once it closed its file.

A **send callback** ``send_cb()`` returns ``(chunk, total)``, ``total`` being
the size of the whole body (HTTP announces it as the content-length). The
reference's rules (DIVERGENCES.md #40):

* ``(None, message)`` or plain nil aborts at any call, with that message or
  "aborted by callback"; a chunk that is not a string or a total that is not
  a whole number >= 0 fails with "invalid callback return".
* The callback is called until the chunks add up to the total. Then it is
  called **once more**, so that a callback which, like the manual's file
  example, releases its resources on a final call gets that call; that final
  result is ignored unless it is nil (an abort). Returning everything at once
  (the manual's second example) therefore works too: the repeat on the final
  call is discarded.
* A ``b""`` chunk ends the data: fine when the total has been reached (no
  further call), "send callback ended before the announced total" otherwise.
  A chunk that would go past the total is refused before it is sent ("send
  callback exceeded the announced total"), and so is a change of total: the
  peer was promised exactly ``total`` bytes.

Callback results follow :func:`reference.protocols.arguments.returns`: a tuple
is the Lua return list, anything else one value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, Protocol

from reference.args import format_number, to_number
from reference.protocols.arguments import returns
from reference.protocols.errors import (
    ABORTED,
    BAD_CALLBACK_RETURN,
    SEND_OVER,
    SEND_SHORT,
    SEND_TOTAL_CHANGED,
    CallFailed,
)

_CHUNK_TYPES = (bytes, bytearray, memoryview, str)


def message_text(value: object, default: str) -> str:
    """A callback-supplied error message as text (``default`` when unusable)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    return default


def _second(result: tuple[Any, ...]) -> object:
    return result[1] if len(result) > 1 else None


def _abort(result: tuple[Any, ...]) -> NoReturn:
    """Fail the call as a nil return asks: with its message, or "aborted by callback"."""
    raise CallFailed(message_text(_second(result), ABORTED))


def _is_nil(result: tuple[Any, ...]) -> bool:
    """The callback returned nothing, nil or false as its first value."""
    return not result or result[0] is None or result[0] is False


class Sink(Protocol):
    """Where a received body goes: a user callback or a collector."""

    def chunk(self, data: bytes) -> None:
        """One non-empty piece; raises :class:`CallFailed` to abort."""

    def end(self) -> None:
        """The transfer succeeded; raises :class:`CallFailed` if the sink objects."""

    def fail(self, message: str) -> str:
        """The transfer failed with ``message``; returns the message to report."""


class CallbackSink:
    """A receive callback behind the :class:`Sink` interface, enforcing the contract."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        self._callback = callback
        self._finished = False

    def chunk(self, data: bytes) -> None:
        result = returns(self._callback(data, None))
        if _is_nil(result):
            self._finished = True
            _abort(result)

    def end(self) -> None:
        self._finished = True
        error = _second(returns(self._callback(b"", None)))
        if error is not None:
            raise CallFailed(message_text(error, ABORTED))

    def fail(self, message: str) -> str:
        if self._finished:
            return message
        self._finished = True
        replacement = _second(returns(self._callback(None, message)))
        return message if replacement is None else message_text(replacement, message)


class Collector:
    """A sink that keeps every piece, for the direct (non-callback) functions."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def chunk(self, data: bytes) -> None:
        self.pieces.append(data)

    def end(self) -> None:
        return None

    def fail(self, message: str) -> str:
        return message

    def data(self) -> bytes:
        return b"".join(self.pieces)


class Source(Protocol):
    """Where an outgoing body comes from: a user callback or a byte string."""

    def start(self) -> int:
        """Begin; returns the total size. May raise :class:`CallFailed`."""

    def chunks(self) -> Iterator[bytes]:
        """The non-empty pieces, in order, exactly ``total`` bytes in all."""


class BytesSource:
    """A body given as one byte string (``http_post``, ``ftp_put``)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def start(self) -> int:
        return len(self._data)

    def chunks(self) -> Iterator[bytes]:
        if self._data:
            yield self._data


class CallbackSource:
    """A send callback behind the :class:`Source` interface, with the rules above."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        self._callback = callback
        self._total = -1
        self._first = b""

    def start(self) -> int:
        self._first, self._total = self._call()
        return self._total

    def chunks(self) -> Iterator[bytes]:
        total = self._total
        sent = 0
        chunk = self._first
        self._first = b""
        while True:
            if not chunk:
                if sent < total:
                    raise CallFailed(SEND_SHORT)
                return
            if sent + len(chunk) > total:
                raise CallFailed(SEND_OVER)
            yield chunk
            sent += len(chunk)
            if sent == total:
                self._returned()  # the final call: only an abort counts, whatever else it returns
                return
            chunk, again = self._call()
            if again != total:
                raise CallFailed(SEND_TOTAL_CHANGED)

    def _returned(self) -> tuple[Any, ...]:
        """One call's return list; a nil return aborts the transfer here."""
        result = returns(self._callback())
        if _is_nil(result):
            _abort(result)
        return result

    def _call(self) -> tuple[bytes, int]:
        """The next piece and the total, checked."""
        result = self._returned()
        chunk = result[0]
        total = _whole_number(_second(result))
        if not isinstance(chunk, _CHUNK_TYPES) or total is None:
            raise CallFailed(BAD_CALLBACK_RETURN)
        if isinstance(chunk, str):
            try:
                return chunk.encode("latin-1"), total
            except UnicodeEncodeError:
                raise CallFailed(BAD_CALLBACK_RETURN) from None
        return bytes(chunk), total


def _whole_number(value: object) -> int | None:
    """A total as an int, or None unless it is a whole number >= 0."""
    number = to_number(value)
    if number is None or math.isnan(number) or math.isinf(number):
        return None
    if number < 0 or number != int(number):
        return None
    return int(number)
