"""``base64(s)`` and ``unbase64(s)``: the helper the HTTP module loads (spec §11.1).

The manual's authentication example builds an ``authorization`` header with
``base64("diego:nehab")``; the client uses the same encoder for the Basic
credentials taken from a URL.

* ``base64``: RFC 1521 alphabet, ``=`` padding, no line breaks.
* ``unbase64``: all whitespace is removed first, then groups of four are
  decoded. Where the 2001 helper returned garbage for a length that is not a
  multiple of four and raised on ``""``, the reference returns
  ``(None, "invalid base64 data")`` for malformed input and ``(b"",)`` for
  empty input (DIVERGENCES.md, Protocols).

Both take data (``bytes``, ``str`` or a number, like every Lua string
argument) and return ``bytes``.
"""

from __future__ import annotations

import binascii
import re

from reference.args import check_data, settle

INVALID_BASE64 = "invalid base64 data"

_WHITESPACE = re.compile(rb"[ \t\n\v\f\r]+")


def encode(data: bytes) -> bytes:
    """Standard Base64 of ``data``, padded, on one line."""
    return binascii.b2a_base64(data, newline=False)


def decode(data: bytes) -> bytes | None:
    """The bytes ``data`` encodes (whitespace ignored), or None if malformed."""
    compact = _WHITESPACE.sub(b"", data)
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error:
        return None


def base64(*args: object) -> tuple[bytes]:
    """``base64(s)`` -> ``(encoded,)``."""
    (value,) = settle(args, 1)
    return (encode(check_data(value)),)


def unbase64(*args: object) -> tuple[bytes] | tuple[None, str]:
    """``unbase64(s)`` -> ``(decoded,)`` or ``(None, "invalid base64 data")``."""
    (value,) = settle(args, 1)
    decoded = decode(check_data(value))
    if decoded is None:
        return (None, INVALID_BASE64)
    return (decoded,)
