"""Reading a scenario's ``callbacks``: the streaming callbacks its steps pass.

Each entry names one callback and says how it behaves; the steps hand it to
a call as ``!callback NAME`` and inspect it afterwards with
``check-callback: NAME``::

    callbacks:
      sink: {kind: receive, record: digest, abort-at: 3, message: "enough"}
      source: {kind: send, chunks: ["abc", "de", "f"], total: 6, after: empty}
      big: {kind: send, generate: {size: 1073741824, pattern: "x", chunk: 65536}}

Keys per kind come from ``schema.CALLBACK_KEYS``. Names go into the
scenario's bindings first, so every later ``!callback`` and
``check-callback`` can be checked against them.
"""

from __future__ import annotations

from typing import Any

from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.convert import to_lua_value
from harness.scenario.located import YList
from harness.scenario.model import CallbackSpec, GeneratedData, SourceLocation
from harness.scenario.schema import (
    CALLBACK_KEYS,
    CALLBACK_NAME_RE,
    CALLBACK_RECORDS,
    GENERATE_KEYS,
    SEND_AFTER,
)

DEFAULT_GENERATED_CHUNK = 65536


def load_callbacks(checker: Checker, raw: Any, line: int, field: str,
                   bindings: Bindings) -> tuple[CallbackSpec, ...]:
    """Every callback of a scenario, also recorded in ``bindings.callbacks``."""
    callbacks_map = checker.mapping(raw, line, field)
    if callbacks_map is None:
        return ()
    specs = []
    for name, item in callbacks_map.items():
        name_line = callbacks_map.line_of(name)
        ok = isinstance(name, str) and CALLBACK_NAME_RE.match(name) is not None
        if not checker.expect(name, name_line, field, "a callback name ([a-z][a-z0-9_]*)", ok):
            continue
        spec = _load_callback(checker, name, item, name_line, join(field, name))
        if spec is not None:
            bindings.callbacks[name] = spec
            specs.append(spec)
    return tuple(specs)


def _load_callback(checker: Checker, name: str, raw: Any, line: int, field: str) -> CallbackSpec | None:
    item = checker.mapping(raw, line, field)
    if item is None:
        return None
    kind = item.get("kind")
    if "kind" not in item:
        checker.report(item.line, join(field, "kind"), "missing required key (receive or send)")
        return None
    if not checker.expect(kind, item.line_of("kind"), join(field, "kind"), "one of receive, send",
                          isinstance(kind, str) and kind in CALLBACK_KEYS):
        return None
    if not checker.keys(item, field, CALLBACK_KEYS[kind]):
        return None
    values: dict[str, Any] = {}
    for key in item:
        if key == "kind":
            continue
        value = _READERS[key](checker, item[key], item.line_of(key), join(field, key))
        if value is FAILED:
            return None
        values[key] = value
    if "chunks" in values and "generate" in values:
        checker.report(item.line_of("generate"), join(field, "generate"),
                       "a send callback has either chunks or generate, not both")
        return None
    if values.get("after") == "repeat" and "chunks" not in values:
        checker.report(item.line_of("after"), join(field, "after"), "repeat needs chunks to repeat")
        return None
    return CallbackSpec(name=name, kind=kind, record=values.get("record") or "data",
                        abort_at=values.get("abort-at"), message=values.get("message"),
                        chunks=values.get("chunks", ()), generate=values.get("generate"),
                        total=values.get("total"), after=values.get("after") or "empty",
                        location=SourceLocation(checker.collector.path, item.line))


def _after(checker: Checker, raw: Any, line: int, field: str) -> Any:
    ok = raw is None or (isinstance(raw, str) and raw in SEND_AFTER)
    return raw if checker.expect(raw, line, field, f"one of {', '.join(SEND_AFTER)}", ok) else FAILED


def _record(checker: Checker, raw: Any, line: int, field: str) -> Any:
    ok = raw is None or (isinstance(raw, str) and raw in CALLBACK_RECORDS)
    return raw if checker.expect(raw, line, field, f"one of {', '.join(CALLBACK_RECORDS)}", ok) else FAILED


def _call_number(checker: Checker, raw: Any, line: int, field: str) -> Any:
    ok = raw is None or (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1)
    return raw if checker.expect(raw, line, field, "a call number >= 1 (1 is the first call) or null",
                                 ok) else FAILED


def _total(checker: Checker, raw: Any, line: int, field: str) -> Any:
    ok = raw is None or (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0)
    return raw if checker.expect(raw, line, field, "a byte count >= 0 or null", ok) else FAILED


def _bytes(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """A Lua string (text, !hex, !repeat)."""
    value = checker.convert(to_lua_value, raw, line, field)
    if value is FAILED:
        return FAILED
    ok = isinstance(value, bytes)
    return value if checker.expect(raw, line, field, "a string (text, !hex, !repeat)", ok) else FAILED


def _message(checker: Checker, raw: Any, line: int, field: str) -> Any:
    return None if raw is None else _bytes(checker, raw, line, field)


def _chunks(checker: Checker, raw: Any, line: int, field: str) -> Any:
    if not checker.expect(raw, line, field, "a list of strings", isinstance(raw, YList)):
        return FAILED
    chunks = []
    for index, item in enumerate(raw):
        chunk = _bytes(checker, item, raw.line_of(index), f"{field}[{index}]")
        if chunk is FAILED:
            return FAILED
        chunks.append(chunk)
    return tuple(chunks)


def _generate(checker: Checker, raw: Any, line: int, field: str) -> Any:
    fields = checker.mapping(raw, line, field)
    if fields is None or not checker.keys(fields, field, GENERATE_KEYS, ("size",)):
        return FAILED
    size = checker.count(fields["size"], fields.line_of("size"), join(field, "size"))
    pattern = b"x"
    if "pattern" in fields:
        pattern = _bytes(checker, fields["pattern"], fields.line_of("pattern"), join(field, "pattern"))
        if pattern is not FAILED and not pattern:
            checker.report(fields.line_of("pattern"), join(field, "pattern"), "must be at least one byte")
            pattern = FAILED
    chunk: Any = DEFAULT_GENERATED_CHUNK
    if "chunk" in fields:
        raw_chunk, chunk_line = fields["chunk"], fields.line_of("chunk")
        ok = isinstance(raw_chunk, int) and not isinstance(raw_chunk, bool) and raw_chunk > 0
        chunk = raw_chunk if checker.expect(raw_chunk, chunk_line, join(field, "chunk"),
                                            "a byte count > 0", ok) else FAILED
    if size is None or pattern is FAILED or chunk is FAILED:
        return FAILED
    return GeneratedData(size=size, pattern=pattern, chunk=chunk)


_READERS = {
    "record": _record,
    "abort-at": _call_number,
    "message": _message,
    "chunks": _chunks,
    "generate": _generate,
    "total": _total,
    "after": _after,
}
