"""Reading a fake server's configuration from plain data, with errors that name the field.

A scenario's ``peers:`` entry carries a server's configuration as YAML, so
every reader here accepts what a YAML loader produces: mappings, lists,
text, numbers, booleans and bytes (from ``!hex``). Text that stands for
bytes maps one code point to one byte (``"\\xff"`` is the byte 0xff), as
everywhere in the suite.

Every problem raises ``ConfigError`` whose ``field`` is the path from the
top of the server's configuration (``routes[2].status``), so a scenario
author can find the line; callers that embed the configuration deeper pass
a ``prefix``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fakeservers.addresses import default_port

_MISSING: Any = object()


class ConfigError(ValueError):
    """A configuration value that cannot be used; ``field`` says where it is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or '(top level)'}: {message}")
        self.field = field
        self.message = message


PLAIN_KEY = re.compile(r"[^.\[\]\s]+")
"""A key written after a dot in a field path; any other (``/up.bin``, ``index.html``) goes in brackets."""


def join(path: str, key: str | int) -> str:
    """``path.key``, ``path[index]``, or ``path[key]`` for a key a dot would make ambiguous."""
    if isinstance(key, int) or not PLAIN_KEY.fullmatch(key):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def describe(raw: Any) -> str:
    """How a value looks to an author, for "expected X, got Y"."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return f"a boolean ({str(raw).lower()})"
    if isinstance(raw, (int, float)):
        return f"a number ({raw})"
    if isinstance(raw, str):
        return f"text ({raw!r})"
    if isinstance(raw, (bytes, bytearray)):
        return f"bytes ({len(raw)})"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, Sequence):
        return "a list"
    return type(raw).__name__


def as_bytes(raw: Any, field: str) -> bytes:
    """Text (one code point per byte) or bytes."""
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    if isinstance(raw, str):
        try:
            return raw.encode("latin-1")
        except UnicodeEncodeError as error:
            bad = raw[error.start]
            message = f"character {bad!r} is not a byte; write \\xNN escapes or !hex"
            raise ConfigError(field, message) from None
    raise ConfigError(field, f"expected text or bytes, got {describe(raw)}")


def as_text(raw: Any, field: str) -> str:
    if isinstance(raw, str):
        return raw
    raise ConfigError(field, f"expected text, got {describe(raw)}")


LONGEST_SECONDS = 86400
"""The longest delay a configuration may name (a day), and so the longest duration a scenario may
(``harness.scenario.checks``): NaN, ``.inf`` or a larger value would be no delay at all, or a crash
in the thread that waits."""


def as_number(raw: Any, field: str, minimum: float = 0.0) -> float:
    """A number of seconds, from ``minimum`` to ``LONGEST_SECONDS``."""
    ok = not isinstance(raw, bool) and isinstance(raw, (int, float)) and minimum <= raw <= LONGEST_SECONDS
    if not ok:
        raise ConfigError(field, f"expected a number of seconds from {minimum:g} to {LONGEST_SECONDS}, "
                                 f"got {describe(raw)}")
    return float(raw)


def as_integer(raw: Any, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    ok = isinstance(raw, int) and not isinstance(raw, bool) and raw >= minimum
    if ok and maximum is not None:
        ok = raw <= maximum
    if not ok:
        bounds = f"{minimum}-{maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigError(field, f"expected a whole number {bounds}, got {describe(raw)}")
    return int(raw)


def as_list(raw: Any, field: str) -> list[tuple[str, Any]]:
    """The items of a list, each with its own field path."""
    if isinstance(raw, (str, bytes, bytearray, Mapping)) or not isinstance(raw, Sequence):
        raise ConfigError(field, f"expected a list, got {describe(raw)}")
    return [(join(field, index), item) for index, item in enumerate(raw)]


class Fields:
    """One mapping of a configuration: known keys only, typed reads by key."""

    def __init__(self, raw: Any, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        if not isinstance(raw, Mapping):
            raise ConfigError(path, f"expected a mapping, got {describe(raw)}")
        allowed = tuple(allowed)
        for key in raw:
            if key not in allowed:
                expected = ", ".join(allowed)
                raise ConfigError(join(path, str(key)), f"unknown field; expected one of {expected}")
        for key in required:
            if key not in raw:
                raise ConfigError(join(path, key), "required field is missing")
        self.raw: Mapping[str, Any] = raw
        self.path = path

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def field(self, key: str) -> str:
        return join(self.path, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def _value(self, key: str, default: Any) -> Any:
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise ConfigError(self.field(key), "required field is missing")
        return default

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self._value(key, default)
        return value if key not in self.raw else as_text(value, self.field(key))

    def data(self, key: str, default: Any = _MISSING) -> Any:
        value = self._value(key, default)
        return value if key not in self.raw else as_bytes(value, self.field(key))

    def number(self, key: str, default: Any = _MISSING, minimum: float = 0.0) -> Any:
        value = self._value(key, default)
        return value if key not in self.raw else as_number(value, self.field(key), minimum)

    def integer(self, key: str, default: Any = _MISSING, minimum: int = 0, maximum: int | None = None) -> Any:
        value = self._value(key, default)
        return value if key not in self.raw else as_integer(value, self.field(key), minimum, maximum)

    def refuse(self, keys: Iterable[str], why: str) -> None:
        """A ``ConfigError`` at the first of ``keys`` present (a setting that rules them out: ``why``)."""
        for key in keys:
            if key in self.raw:
                raise ConfigError(self.field(key), why)

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.field(key), f"expected true or false, got {describe(value)}")
        return value

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        value = self.raw.get(key, default)
        if value not in options:
            raise ConfigError(self.field(key), f"expected one of {', '.join(options)}, got {describe(value)}")
        return str(value)

    def port(self, default: int = 0) -> int:
        return int(self.integer("port", default, 0, 65535))

    def receive_buffer(self) -> int | None:
        """``rcvbuf``: a connection's fixed receive buffer in bytes; None if not given.

        At most 2**30 - 1: the kernel keeps twice the size asked for, up to INT_MAX.
        """
        value: int | None = self.integer("rcvbuf", None, 4096, (1 << 30) - 1)
        return value

    def host(self, default: str = "127.0.0.1") -> str:
        host = str(self.text("host", default))
        if not host:
            raise ConfigError(self.field("host"), "expected an address, got empty text")
        return host

    def address(self, well_known_port: int) -> tuple[str, int]:
        """``host`` and ``port``; with ``host: auto`` the port defaults to the protocol's well-known one.

        ``auto`` (``fakeservers.addresses``) exists for clients that go to
        the well-known port when given none, so that is its default port.
        """
        host = self.host()
        return host, self.port(default_port(host, well_known_port))
