"""Reading ``check:`` and ``check-callback:`` steps.

``check: PEER`` inspects what a fake-server peer received; the keys it may
use depend on the peer's kind (``schema.CHECK_KEYS``)::

    - check: web
      count: 1
      requests:                      # exactly these requests, in order
      - method: GET                  # listed fields only (schema.RECORD_FIELDS)
        headers: {host: !fmt "{web.host}:{web.port}", authorization: !absent}

Record lists (``requests``, ``envelopes``, ``transfers``, ``uploads``, ``logins``) become
one ``PartialTable`` per entry, matched whole and in order, or, written
``{none: [...]}``, a ``NoneOf`` that only forbids entries, or, written
``{in-order: [...], besides: [...]}``, an ``InOrder`` that allows extra entries;
``headers`` inside a request is partial too, its names lower-cased.
``commands`` items (FTP and SMTP) are a verb (``RETR``), a command line
(``"USER luasocket"``; with a final CRLF, the raw line) or a matcher for the
line; ``stored`` maps a path to a content matcher.

``check-callback: NAME`` inspects a scenario callback; what it may use
depends on the callback's kind and ``record`` mode (a digest-mode receive
callback keeps no per-call list and no data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.convert import to_bytes, to_matcher
from harness.scenario.located import ConversionError, InvalidValue, YList, YMap
from harness.scenario.matchers import Digest, Exact
from harness.scenario.model import (
    CheckCallbackStep,
    CheckOutcome,
    CheckStep,
    Matcher,
    SourceLocation,
    Template,
    Verdict,
)
from harness.scenario.record_matchers import CommandMatcher, InOrder, NoneOf, PartialTable
from harness.scenario.schema import (
    CHECK_CALLBACK_FIELDS,
    CHECK_KEYS,
    RECORD_FIELDS,
    SERVER_PEER_KINDS,
    VERDICTS,
)

_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


def load_check(checker: Checker, step: YMap, field: str, bindings: Bindings,
               where: SourceLocation) -> CheckStep | None:
    peer, peer_line = step["check"], step.line_of("check")
    kind = bindings.servers.get(peer) if isinstance(peer, str) else None
    if kind is None:
        what = "a peer of another kind" if peer in bindings.peers else "no peer of this scenario"
        servers = ", ".join(bindings.servers) or "none"
        if checker.expect(peer, peer_line, join(field, "check"), "a peer name", isinstance(peer, str)):
            checker.report(peer_line, join(field, "check"), f"{peer!r} is {what}: a check names a "
                                                            f"fake-server peer (this scenario's: {servers})")
        return None
    allowed = CHECK_KEYS[kind]

    def read(key: str, raw: Any, line: int, key_field: str) -> Any:
        if key not in allowed:
            checker.report(line, key_field, f"an {kind} check has {', '.join(allowed)}, not {key}")
            return FAILED
        value = _load_check_key(checker, key, raw, line, key_field)
        if value is not FAILED:
            bindings.check_step_refs(checker, value, line, key_field)
        return value

    outcomes = _load_outcomes(checker, step, "check", allowed, field, read)
    if outcomes is None:
        return None
    return CheckStep(peer=peer, server=SERVER_PEER_KINDS[kind], outcomes=outcomes, location=where)


def load_check_callback(checker: Checker, step: YMap, field: str, bindings: Bindings,
                        where: SourceLocation) -> CheckCallbackStep | None:
    name, name_line = step["check-callback"], step.line_of("check-callback")
    spec = bindings.callbacks.get(name) if isinstance(name, str) else None
    if spec is None:
        declared = ", ".join(bindings.callbacks) or "none"
        name_field = join(field, "check-callback")
        if checker.expect(name, name_line, name_field, "a callback name", isinstance(name, str)):
            checker.report(name_line, name_field, f"no callback {name!r} under callbacks "
                                                  f"(declared: {declared})")
        return None
    allowed = CHECK_CALLBACK_FIELDS[spec.kind]
    if spec.record == "digest":
        allowed = tuple(key for key in allowed if key not in ("calls", "data"))

    def read(key: str, raw: Any, line: int, key_field: str) -> Any:
        if key not in allowed:
            why = " (record: digest keeps no per-call list or data)" if spec.record == "digest" else ""
            checker.report(line, key_field, f"a {spec.kind} callback's check has {', '.join(allowed)}{why}")
            return FAILED
        value = _CALLBACK_READERS[key](checker, raw, line, key_field)
        if value is not FAILED:
            bindings.check_step_refs(checker, value, line, key_field)
        return value

    outcomes = _load_outcomes(checker, step, "check-callback", allowed, field, read)
    if outcomes is None:
        return None
    return CheckCallbackStep(name=name, outcomes=outcomes, location=where)


Reader = Callable[[str, Any, int, str], Any]


def _load_outcomes(checker: Checker, step: YMap, head: str, allowed: tuple[str, ...], field: str,
                   read: Reader) -> tuple[CheckOutcome, ...] | None:
    """The check keys written on the step itself (one outcome), or ``expect:`` outcomes."""
    if "expect" not in step:
        outcome = _load_outcome(checker, step, step.line, field, allowed, read, skip=(head,))
        return None if outcome is None else (outcome,)
    for key in step:
        if key not in (head, "expect"):
            checker.report(step.line_of(key), join(field, key),
                           "with expect, every check key goes inside the outcomes")
    entries = checker.outcome_entries(step["expect"], step.line_of("expect"), join(field, "expect"))
    if entries is None:
        return None
    outcomes = []
    for item, item_line, item_field in entries:
        mapping = checker.mapping(item, item_line, item_field)
        outcome = None if mapping is None else _load_outcome(checker, mapping, item_line, item_field,
                                                             allowed, read, verdicts=True)
        if outcome is None:
            return None
        outcomes.append(outcome)
    if len(step) != 2:
        return None
    return tuple(outcomes)


def _load_outcome(checker: Checker, mapping: YMap, line: int, field: str, allowed: tuple[str, ...],
                  read: Reader, skip: tuple[str, ...] = (), verdicts: bool = False) -> CheckOutcome | None:
    extra = ("verdict", "note") if verdicts else ()
    listed = [key for key in mapping if key not in skip and key not in extra]
    if not listed:
        checker.report(line, field, f"list at least one of {', '.join(allowed)}")
        return None
    fields: dict[str, Any] = {}
    for key in listed:
        value = read(str(key), mapping[key], mapping.line_of(key), join(field, str(key)))
        if value is not FAILED:
            fields[str(key)] = value
    verdict: Verdict | None = Verdict.PASS
    if "verdict" in mapping and verdicts:
        raw = mapping["verdict"]
        ok = isinstance(raw, str) and raw in VERDICTS
        verdict = VERDICTS[raw] if checker.expect(raw, mapping.line_of("verdict"), join(field, "verdict"),
                                                  f"one of {', '.join(VERDICTS)}", ok) else None
    note = (checker.text(mapping, "note", field) or "") if "note" in mapping and verdicts else ""
    if len(fields) != len(listed) or verdict is None:
        return None
    return CheckOutcome(fields=fields, verdict=verdict, note=note,
                        location=SourceLocation(checker.collector.path, mapping.line))


# -- check: keys ------------------------------------------------------------


def _load_check_key(checker: Checker, key: str, raw: Any, line: int, field: str) -> Any:
    if key == "count":
        return _count(checker, raw, line, field)
    if key == "stored":
        return _load_stored(checker, raw, line, field)
    if isinstance(raw, YMap) and ("in-order" in raw or "besides" in raw):
        return _in_order(checker, key, raw, field)
    if isinstance(raw, YMap):
        return _none_of(checker, key, raw, field)
    wanted = ("a list (exactly these entries, in order), {none: [...]} (no entry like these) "
              "or {in-order: [...], besides: [...]}")
    if not checker.expect(raw, line, field, wanted, isinstance(raw, YList)):
        return FAILED
    return _entries(checker, key, raw, field)


def _none_of(checker: Checker, key: str, raw: YMap, field: str) -> Any:
    """``{none: [...]}``: entries that must not be in the list, each written as a list entry is."""
    if not checker.keys(raw, field, ("none",), ("none",)):
        return FAILED
    entries = _listed_entries(checker, key, raw, "none", field, "entries that must not arrive")
    return FAILED if entries is FAILED else NoneOf(entries)


def _in_order(checker: Checker, key: str, raw: YMap, field: str) -> Any:
    """``{in-order: [...], besides: [...]}``: these entries in order (a nested list: in any
    order), with entries like one of ``besides`` allowed anywhere among them."""
    if not checker.keys(raw, field, ("in-order", "besides"), ("in-order", "besides")):
        return FAILED
    groups = []
    listed, order_field = raw["in-order"], join(field, "in-order")
    wanted = "a non-empty list of entries (a nested list: entries in any order)"
    if not checker.expect(listed, raw.line_of("in-order"), order_field, wanted,
                          isinstance(listed, YList) and bool(listed)):
        return FAILED
    for index, item in enumerate(listed):
        item_field = f"{order_field}[{index}]"
        if isinstance(item, YList):
            if not checker.expect(item, listed.line_of(index), item_field, "a non-empty list", bool(item)):
                return FAILED
            group = _entries(checker, key, item, item_field)
        else:
            entry = _entry(checker, key, item, listed.line_of(index), item_field)
            group = FAILED if entry is FAILED else (entry,)
        if group is FAILED:
            return FAILED
        groups.append(group)
    extras = _listed_entries(checker, key, raw, "besides", field, "entries allowed anywhere")
    return FAILED if extras is FAILED else InOrder(tuple(groups), extras)


def _listed_entries(checker: Checker, key: str, raw: YMap, name: str, field: str, what: str) -> Any:
    """``raw[name]``, a non-empty list of ``what``, read as list entries (``_entries``)."""
    listed, listed_field = raw[name], join(field, name)
    non_empty = isinstance(listed, YList) and bool(listed)
    if not checker.expect(listed, raw.line_of(name), listed_field, f"a non-empty list of {what}", non_empty):
        return FAILED
    return _entries(checker, key, listed, listed_field)


def _entries(checker: Checker, key: str, raw: YList, field: str) -> Any:
    """One matcher per listed entry: a command (``commands``) or a partial record."""
    items = []
    for index, item in enumerate(raw):
        matcher = _entry(checker, key, item, raw.line_of(index), f"{field}[{index}]")
        if matcher is FAILED:
            return FAILED
        items.append(matcher)
    return tuple(items)


def _entry(checker: Checker, key: str, item: Any, line: int, field: str) -> Any:
    """One list entry: a command (``commands``) or a partial record."""
    if key == "commands":
        return _command(checker, item, line, field)
    return _record(checker, key, item, line, field)


def _record(checker: Checker, key: str, raw: Any, line: int, field: str) -> Any:
    """One expected record: its listed fields, each a matcher (``headers`` a partial table)."""
    entry = checker.mapping(raw, line, field)
    if entry is None or not checker.keys(entry, field, RECORD_FIELDS[key]):
        return FAILED
    entries: list[tuple[bytes, Matcher]] = []
    for name, value in entry.items():
        value_line, value_field = entry.line_of(name), join(field, name)
        if name == "headers":
            matcher = _headers(checker, value, value_line, value_field)
        else:
            matcher = checker.convert(to_matcher, value, value_line, value_field)
        if matcher is FAILED:
            return FAILED
        entries.append((name.encode(), matcher))
    return PartialTable(tuple(entries))


def _headers(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """Listed headers only; names compared lower-cased (as the server records them)."""
    headers = checker.mapping(raw, line, field)
    if headers is None:
        return FAILED
    entries = []
    for name, value in headers.items():
        if not checker.expect(name, headers.line_of(name), field, "a header name", isinstance(name, str)):
            return FAILED
        matcher = checker.convert(to_matcher, value, headers.line_of(name), join(field, name))
        if matcher is FAILED:
            return FAILED
        entries.append((to_bytes(name.lower(), line), matcher))
    return PartialTable(tuple(entries))


def _command(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """A verb, a command line (with CRLF: the raw line) or a matcher for the line."""
    if isinstance(raw, str):
        try:
            text = to_bytes(raw, line)
        except ConversionError as error:
            checker.report(line, field, error.message)
            return FAILED
        if text.endswith(b"\r\n"):
            return CommandMatcher(("line",), Exact(text))
        if text.split() == [text] and text:
            return CommandMatcher(("verb",), Exact(text.upper()))
        return CommandMatcher(("text",), Exact(text))
    if isinstance(raw, Template):  # a line holding a peer's port or a saved value: rendered when checked
        last = raw.parts[-1] if raw.parts else b""
        raw_line = isinstance(last, bytes) and last.endswith(b"\r\n")
        return CommandMatcher(("line",) if raw_line else ("text",), Exact(raw))
    if isinstance(raw, InvalidValue):
        checker.claim(raw, field)
        return FAILED
    if isinstance(raw, Matcher):
        return CommandMatcher(("verb", "text", "line"), raw)
    checker.expect(raw, line, field, "a verb, a command line or a matcher for the line", False)
    return FAILED


def _load_stored(checker: Checker, raw: Any, line: int, field: str) -> Any:
    files = checker.mapping(raw, line, field)
    if files is None:
        return FAILED
    stored = []
    for path, value in files.items():
        ok = isinstance(path, str) and bool(path.strip("/"))
        if not checker.expect(path, files.line_of(path), field, "a file path", ok):
            return FAILED
        matcher = checker.convert(to_matcher, value, files.line_of(path), join(field, path))
        if matcher is FAILED:
            return FAILED
        stored.append(("/" + path.lstrip("/"), matcher))
    return tuple(stored)


# -- check-callback keys -------------------------------------------------------


def _arguments(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """One call's arguments: a list of matchers (trailing nils are not significant)."""
    if not checker.expect(raw, line, field, "a list of argument matchers", isinstance(raw, YList)):
        return FAILED
    matchers = []
    for index, item in enumerate(raw):
        matcher = checker.convert(to_matcher, item, raw.line_of(index), f"{field}[{index}]")
        if matcher is FAILED:
            return FAILED
        matchers.append(matcher)
    return tuple(matchers)


def _calls(checker: Checker, raw: Any, line: int, field: str) -> Any:
    wanted = "a list of calls, each a list of arguments"
    if not checker.expect(raw, line, field, wanted, isinstance(raw, YList)):
        return FAILED
    calls = [_arguments(checker, item, raw.line_of(index), f"{field}[{index}]")
             for index, item in enumerate(raw)]
    return FAILED if any(call is FAILED for call in calls) else tuple(calls)


def _count(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """A whole number, or a number matcher such as ``!range [2, null]``."""
    if isinstance(raw, Matcher):
        return raw
    if isinstance(raw, InvalidValue):
        checker.claim(raw, field)
        return FAILED
    count = checker.count(raw, line, field)
    return FAILED if count is None else count


def _data(checker: Checker, raw: Any, line: int, field: str) -> Any:
    return checker.convert(to_matcher, raw, line, field)


def _digest(checker: Checker, raw: Any, line: int, field: str) -> Any:
    """``{sha256: HEX, len: N}`` (or a ``!digest`` tag) for the concatenated chunks."""
    if isinstance(raw, Digest):
        return raw
    if isinstance(raw, InvalidValue):
        checker.claim(raw, field)
        return FAILED
    fields = checker.mapping(raw, line, field)
    if fields is None or not checker.keys(fields, field, ("sha256", "len"), ("sha256",)):
        return FAILED
    hexdigest = fields["sha256"]
    if not checker.expect(hexdigest, fields.line_of("sha256"), join(field, "sha256"), "64 hex digits",
                          isinstance(hexdigest, str) and _SHA256_RE.match(hexdigest) is not None):
        return FAILED
    length = None
    if "len" in fields:
        length = checker.count(fields["len"], fields.line_of("len"), join(field, "len"))
        if length is None:
            return FAILED
    return Digest("sha256", hexdigest.lower(), length)


_CALLBACK_READERS = {
    "calls": _calls,
    "count": _count,
    "empty": _count,
    "data": _data,
    "digest": _digest,
    "first": _arguments,
    "last": _arguments,
}
