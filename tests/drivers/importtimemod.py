"""A candidate that reads SERVER_NAME once, when it is imported, as an implementation may."""

from __future__ import annotations

import os

_AT_IMPORT = os.environ.get("SERVER_NAME")


class LuaError(Exception):
    """Exported as the README asks, which makes the module a candidate ``spec_for`` accepts."""


def server_name() -> tuple[bytes | None]:
    """SERVER_NAME as the module saw it when imported."""
    return (None if _AT_IMPORT is None else _AT_IMPORT.encode(),)
