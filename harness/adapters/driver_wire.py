"""The driver protocol's messages and values, as bytes in and bytes out (no I/O).

``drivers/PROTOCOL.md`` is the contract; this module is the harness's half of
it, kept apart from the process handling so that every encoding rule can be
tested without a driver. Lua values travel as JSON: strings one code point per
byte (U+0000-U+00FF), tables as ``{"table": {"array": [...], "hash": [[k, v],
...]}}``, sockets as ``{"handle": N, "kind": K}`` and callbacks as
``{"function": NAME}``, or, for a callback the driver runs itself
(section 7.1, capability ``local-callbacks``), ``{"local-callback": {...}}``.
The requests and reports of the loop extensions (section 7: repetition,
local callbacks, sequences) live in ``harness.adapters.driver_loops``.

Anything a driver sends that the page does not allow raises ``ProtocolError``
with a short description and the offending text, which the adapter turns into
a CRASH: a driver is never second-guessed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.values import Handle, LuaFunction, LuaTable, LuaValue

if TYPE_CHECKING:
    from harness.adapters.driver_loops import RepeatRequest

PROTOCOL_VERSION = 1
HANDLE_KINDS = frozenset({"tcp-client", "tcp-server", "udp", "unknown"})
OPAQUE_TYPES = frozenset({"function", "userdata", "thread"})
"""The Lua types of the values that travel as handles although they are no socket (``type``)."""
ANSWER_TYPES = frozenset({"return", "error", "unimplemented"})
SHOWN_BYTES = 200
"""How much of an offending line a protocol error quotes."""


class ProtocolError(Exception):
    """The driver said something PROTOCOL.md does not allow."""


class NotAMessage(ProtocolError):
    """A line on the driver's stdout that is no message at all: a print, a banner, a stack trace."""


EMPTY_OBJECT_NOTE = ("; an empty list is [], and {} is what a Lua JSON library writes for an empty table "
                     "unless told otherwise (lua-cjson: cjson.encode_empty_table_as_object(false))")
"""Said where a list was due and ``{}`` came: lua-cjson's default for every empty table."""


def _empty_object_note(value: Any) -> str:
    return EMPTY_OBJECT_NOTE if value == {} else ""


def excerpt(line: bytes | str) -> str:
    """The start of an offending line, printable, for an error message."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    shown = text[:SHOWN_BYTES]
    return repr(shown) + (f" ... ({len(text)} characters)" if len(text) > SHOWN_BYTES else "")


# -- values ------------------------------------------------------------------


def encode_value(value: LuaValue, local: Mapping[str, Any] | None = None) -> Any:
    """A harness Lua value as the JSON value a driver receives.

    ``local`` maps the names of callbacks the driver runs itself to their
    ``local-callback`` objects (``local_callback_value``); any other function
    is a ``{"function": NAME}`` that the driver turns into round trips.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, Handle):
        return {"handle": value.id, "kind": value.kind}
    if isinstance(value, LuaFunction):
        if local is not None and value.name in local:
            return {"local-callback": local[value.name]}
        return {"function": value.name}
    if isinstance(value, LuaTable):
        pairs = [[encode_value(key, local), encode_value(item, local)] for key, item in value.hash.items()]
        return {"table": {"array": [encode_value(item, local) for item in value.array], "hash": pairs}}
    raise TypeError(f"not a Lua value: {value!r}")


def decode_value(value: Any) -> LuaValue:
    """A JSON value from a driver as a harness Lua value.

    A table's array part is kept as sent and its hash pairs are stored one by
    one, so integer keys that continue the array join it, exactly as a table
    built in the harness would store them.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return decode_string(value)
    if isinstance(value, dict):
        return _decode_object(value)
    raise ProtocolError(f"{excerpt(json.dumps(value))} is not a value of PROTOCOL.md section 2")


def decode_string(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as error:
        bad = text[error.start]
        raise ProtocolError(f"string has code point U+{ord(bad):04X} at offset {error.start}; "
                            "strings carry one byte per code point (U+0000-U+00FF)") from None


def _decode_object(value: dict[str, Any]) -> LuaValue:
    if set(value) == {"table"} and isinstance(value["table"], dict):
        return _decode_table(value["table"])
    if "handle" in value and set(value) <= {"handle", "kind", "type"}:
        number = value["handle"]
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise ProtocolError(f"handle must be a positive integer, not {excerpt(json.dumps(number))}")
        kind = value.get("kind")
        if kind not in HANDLE_KINDS:
            raise ProtocolError(f"handle {number}: kind must be one of {', '.join(sorted(HANDLE_KINDS))}, "
                                f"not {excerpt(json.dumps(kind))}")
        if "type" not in value:
            return Handle(number, kind)
        lua_type = value["type"]
        if lua_type not in OPAQUE_TYPES or kind != "unknown":
            raise ProtocolError(f"handle {number}: type must be one of {', '.join(sorted(OPAQUE_TYPES))}, "
                                f"with kind \"unknown\", not {excerpt(json.dumps(lua_type))} "
                                f"(kind {excerpt(json.dumps(kind))})")
        return Handle(number, kind, lua_type)
    if "function" in value or "local-callback" in value:
        raise ProtocolError("a function value travels only from the harness to the driver")
    raise ProtocolError(f"{excerpt(json.dumps(value))} is not a value of PROTOCOL.md section 2")


def _decode_table(body: dict[str, Any]) -> LuaTable:
    array, pairs = body.get("array", []), body.get("hash", [])
    if not isinstance(array, list) or not isinstance(pairs, list) or set(body) - {"array", "hash"}:
        note = _empty_object_note(array) or _empty_object_note(pairs)
        raise ProtocolError(f"table must be {{\"array\": [...], \"hash\": [[k, v], ...]}}, "
                            f"not {excerpt(json.dumps(body))}{note}")
    table = LuaTable(array=[decode_value(item) for item in array])
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            shown = excerpt(json.dumps(pair))
            raise ProtocolError(f"table hash entry must be a [key, value] pair, not {shown}")
        key = decode_value(pair[0])
        if key is None or isinstance(key, LuaTable) or (isinstance(key, float) and math.isnan(key)):
            raise ProtocolError(f"table key must not be nil, NaN or a table: {excerpt(json.dumps(pair[0]))}")
        try:
            table[key] = decode_value(pair[1])
        except ValueError as error:  # false and 0 (true and 1) both as keys: no harness table holds them
            raise ProtocolError(str(error)) from None
    return table


def decode_values(values: Any) -> tuple[LuaValue, ...]:
    if not isinstance(values, list):
        note = _empty_object_note(values)
        raise ProtocolError(f"values must be a list, not {excerpt(json.dumps(values))}{note}")
    return tuple(decode_value(value) for value in values)


# -- messages ----------------------------------------------------------------


def encode_message(message: dict[str, Any]) -> bytes:
    """One message as one line. Bytes >= 0x80 go out as their UTF-8 code points, not ``\\u`` escapes,
    which keeps binary payloads at most twice their size."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode_message(line: bytes) -> dict[str, Any]:
    """One line from a driver as a message object with a known ``type``."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        # Say where: the excerpt alone may end before the bad byte and look like valid JSON.
        bad = line[error.start:error.start + 4]
        raise NotAMessage(f"not a UTF-8 line: byte {error.start} is {bad!r} (a string's byte 0xBB goes "
                          f"out as the code point U+00BB, drivers/PROTOCOL.md section 1); the line starts "
                          f"{excerpt(line)}") from None
    try:
        message = json.loads(text)
    except ValueError as error:
        raise NotAMessage(f"not a JSON line: {excerpt(line)} ({error})") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise NotAMessage(f"not a message (a JSON object with a \"type\"): {excerpt(line)}")
    return message


def call_message(call_id: int, function: str, args: tuple[LuaValue, ...], style: str,
                 target: Handle | None, repeat: RepeatRequest | None = None,
                 local: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``call`` request. Arguments go out exactly as given: a trailing nil is an explicit nil.

    ``local``: the ``local-callback`` objects of the callbacks the driver runs itself, by name."""
    message: dict[str, Any] = {"type": "call", "id": call_id,
                               **call_body(function, args, style, target, local)}
    if repeat is not None:
        message["repeat"] = repeat.times
        message["discard"] = repeat.discard
        if repeat.stop is not None:
            message["stop"] = repeat.stop
    return message


def call_body(function: str, args: tuple[LuaValue, ...], style: str, target: Handle | None,
              local: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a call request says about the call itself; a sequence (section 7.2) sends a list of them."""
    body: dict[str, Any] = {"function": function, "style": style,
                            "args": [encode_value(arg, local) for arg in args]}
    if style == "method" and target is not None:
        body["target"] = encode_value(target)
    return body


@dataclass(frozen=True)
class Hello:
    protocol: int
    name: str
    version: str
    capabilities: frozenset[str]


HELLO_FIELDS = ("protocol", "name", "version", "capabilities")


def parse_hello(message: dict[str, Any]) -> Hello:
    """The driver's first message; every field of PROTOCOL.md section 3 is required."""
    if message.get("type") != "hello":
        raise ProtocolError(f"the first message must be a hello, not {message.get('type')!r}")
    for field in HELLO_FIELDS:
        if field not in message:
            raise ProtocolError(f"no {field!r} field ({', '.join(HELLO_FIELDS)} are all required, "
                                f"drivers/PROTOCOL.md section 3)")
    protocol, name, version = message.get("protocol"), message.get("name"), message.get("version")
    capabilities = message.get("capabilities")
    if not isinstance(protocol, int) or isinstance(protocol, bool):
        raise ProtocolError(f"protocol must be an integer, not {protocol!r}")
    if not isinstance(name, str) or not name:
        raise ProtocolError(f"name must be a non-empty string, not {name!r}")
    if not isinstance(version, str):
        raise ProtocolError(f"version must be a string, not {version!r}")
    if not isinstance(capabilities, list) or not all(isinstance(item, str) for item in capabilities):
        raise ProtocolError(f"capabilities must be a list of strings, not {capabilities!r}"
                            f"{_empty_object_note(capabilities)}")
    return Hello(protocol, name, version, frozenset(capabilities))


def require_id(message: dict[str, Any], expected: int, where: str) -> None:
    """A message that answers the request ``expected``; a mismatch is a protocol error."""
    got = message.get("id")
    if got != expected or not isinstance(got, int) or isinstance(got, bool):  # 2.0 is not an id
        raise ProtocolError(f"{where}: {message.get('type')!r} message has id {got!r}, expected {expected}")
