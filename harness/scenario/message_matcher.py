"""``!message``: a mail message judged field by field, so that a failure names the field that differs.

``mail{}`` builds its header fields from a Lua table, so their order is not
fixed, and an implementation may add fields of its own (Date, Message-ID)
or fold long ones. A regular expression can say "exactly these fields in
any order" only with a lookahead per field, and when it fails it says no
more than "does not match". This matcher parses the header block (the
lines before the first empty line) into fields and compares them one by
one: a failure reads ``Subject: expected "hello", got "hullo"``, ``no To
field``, ``an unexpected field "Date: ..."`` or ``Bcc: expected absent, got
"d@example.org"``.

Two readings:

* strict (the default): exactly the listed fields, each once, in any order,
  each on one line written ``Name: value`` with the name as listed and one
  space after the colon;
* lenient: the listed fields each once among any others, names in any case,
  folded lines unfolded (RFC 822 section 3.1.1; each fold reads as one
  space) and the blanks around a value ignored.

A field whose matcher accepts nil may be missing: ``Bcc: !absent`` says it
must be, ``Subject: !oneof [!absent , ""]`` that it is missing or empty.

Parsing and comparing are plain functions of the bytes, apart from any
socket, and are tested as such (``tests/scenario/test_message_matcher.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.scenario.matchers import BaseMatcher, value_mismatch
from harness.scenario.model import Env, Matcher, Ref
from harness.scenario.refs import iter_refs
from harness.values import LuaValue, lua_repr

BLANKS = b" \t"


@dataclass(frozen=True)
class Field:
    """One header field as it arrived: its name, its value (unfolded when lenient) and its first line."""

    name: bytes
    value: bytes
    line: bytes


def split_message(content: bytes) -> tuple[list[bytes], bytes] | None:
    """The header lines (without their CR LF) and the body after the empty line; None if no line is empty."""
    if content.startswith(b"\r\n"):
        return [], content[2:]
    end = content.find(b"\r\n\r\n")
    if end < 0:
        return None
    return content[:end].split(b"\r\n"), content[end + 4:]


def parse_fields(lines: list[bytes], lenient: bool) -> list[Field] | str:
    """The fields of a header block, or why it is not one.

    Strict: every line is a field of its own, ``Name: value``; the value is
    what follows the one space after the colon. Lenient: a line starting
    with a blank continues the field before it, and the value is the
    unfolded text after the colon without the blanks around it.
    """
    fields: list[Field] = []
    for number, line in enumerate(lines, 1):
        if line[:1] and line[:1] in BLANKS:
            if not lenient or not fields:
                where = "the first line" if not fields else f"line {number}"
                return f"header {where} {lua_repr(line)} starts with a blank (a folded field)"
            last = fields[-1]
            fields[-1] = Field(last.name, (last.value + b" " + line.strip(BLANKS)).strip(BLANKS), last.line)
            continue
        name, colon, rest = line.partition(b":")
        if not colon or not name or name.strip(BLANKS) != name:
            return f"header line {number} {lua_repr(line)} is not a field (Name: value)"
        if lenient:
            value = rest.strip(BLANKS)
        elif rest.startswith(b" "):
            value = rest[1:]
        else:
            return f"{name.decode('latin-1')}: expected one space after the colon, got {lua_repr(line)}"
        fields.append(Field(name, value, line))
    return fields


@dataclass(frozen=True)
class MessageMatcher(BaseMatcher):
    """A message whose header fields and body are as listed (see the module docstring)."""

    fields: tuple[tuple[bytes, Matcher], ...]
    body: Matcher | None = None
    lenient: bool = False

    def matches(self, value: LuaValue, env: Env) -> bool:
        return self.why_not(value, env) is None

    def why_not(self, value: LuaValue, env: Env) -> str | None:
        """The first difference, worded for a report; None if ``value`` is acceptable."""
        if not isinstance(value, bytes):
            return f"expected a message, got {lua_repr(value)}"
        parts = split_message(value)
        if parts is None:
            return f"no empty line ends the header block: {lua_repr(value, 120)}"
        lines, body = parts
        fields = parse_fields(lines, self.lenient)
        if isinstance(fields, str):
            return fields
        problem = self._field_problem(fields, env) or self._extra_problem(fields)
        if problem:
            return problem
        if self.body is not None and not self.body.matches(body, env):
            return f"body: {value_mismatch(self.body, body, env)}"
        return None

    def _same(self, name: bytes, other: bytes) -> bool:
        return name.lower() == other.lower() if self.lenient else name == other

    def _field_problem(self, fields: list[Field], env: Env) -> str | None:
        for name, matcher in self.fields:
            text = name.decode("latin-1")
            found = [field for field in fields if self._same(field.name, name)]
            if not found and matcher.matches(None, env):
                continue  # a field that may be (or must be) missing
            if not found:
                other = next((field.name for field in fields if field.name.lower() == name.lower()), None)
                if other is not None:
                    return f"no {text} field: its name is written {other.decode('latin-1')}"
                names = ", ".join(field.name.decode("latin-1") for field in fields)
                return f"no {text} field (the fields: {names or 'none'})"
            if len(found) > 1:
                return f"{text} appears {len(found)} times"
            if not matcher.matches(found[0].value, env):
                return f"{text}: {value_mismatch(matcher, found[0].value, env)}"
        return None

    def _extra_problem(self, fields: list[Field]) -> str | None:
        if self.lenient:
            return None
        listed = {name for name, _ in self.fields}
        extra = [field for field in fields if field.name not in listed]
        if extra:
            return f"an unexpected field {lua_repr(extra[0].line)}" + \
                (f" and {len(extra) - 1} more" if len(extra) > 1 else "")
        return None

    def describe(self, env: Env) -> str:
        listed = ", ".join(f"{name.decode('latin-1')}: {matcher.describe(env)}"
                           for name, matcher in self.fields)
        if self.lenient:
            scope = "among others, names in any case, folding allowed"
        else:
            scope = "exactly these, in any order, one line each"
        text = f"a message with the fields {listed or 'none'} ({scope})"
        if self.body is not None:
            text += f", then the body {self.body.describe(env)}"
        return text

    def refs(self) -> Iterator[Ref]:
        for _, matcher in self.fields:
            yield from iter_refs(matcher)
        if self.body is not None:
            yield from iter_refs(self.body)
