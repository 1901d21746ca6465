"""Constructors of the value tags (``!ref``, ``!fmt``, ``!callback``, ``!hex``,
``!absent``) and the small node readers every tag constructor shares.

Kept apart from ``yamlsource`` (the loader class, containers and matcher
tags) so that each module stays small. A constructor returns its value, or
an ``InvalidValue`` registered through ``loader.problem`` so that one load
reports every bad tag of a file.
"""

from __future__ import annotations

import re
import string
from typing import Any, Protocol

import yaml

from harness.scenario.convert import to_bytes
from harness.scenario.located import ConversionError, InvalidValue
from harness.scenario.model import Ref, Template
from harness.scenario.record_matchers import Absent
from harness.scenario.refs import is_valid_ref_name, parse_template
from harness.scenario.schema import CALLBACK_NAME_RE
from harness.values import LuaFunction

INT_RE = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$")


class TagLoader(Protocol):
    """What a tag constructor needs of the loader: a way to report a bad node."""

    def problem(self, node: yaml.Node, message: str) -> InvalidValue: ...


def node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def scalar(loader: TagLoader, node: yaml.Node, what: str) -> str | InvalidValue:
    if not isinstance(node, yaml.ScalarNode):
        return loader.problem(node, f"{node.tag} takes {what}")
    return str(node.value)


def whole_number(loader: TagLoader, node: yaml.Node, value: Any, what: str) -> int | InvalidValue:
    if isinstance(value, str) and INT_RE.match(value):
        try:
            value = int(value, 0) if value.lower().startswith("0x") else int(value)
        except ValueError:  # longer than Python converts (4300 digits)
            return loader.problem(node, f"{what} of {len(value)} digits is too long to read")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return loader.problem(node, f"{what} must be a whole number >= 0, not {value!r}")
    return value


def text_bytes(loader: TagLoader, node: yaml.Node, value: Any) -> bytes | InvalidValue:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        return loader.problem(node, f"expected text, not {value!r}")
    try:
        return to_bytes(value, node_line(node))
    except ConversionError as error:
        return loader.problem(node, error.message)


def ref_tag(loader: TagLoader, node: yaml.Node) -> Ref | InvalidValue:
    name = scalar(loader, node, "a variable name")
    if isinstance(name, InvalidValue):
        return name
    if not is_valid_ref_name(name):
        return loader.problem(node, f"{name!r} is not a variable name (a saved name like c, "
                                    "or PEER.host / PEER.port)")
    return Ref(name, node.start_mark.line + 1)


def hex_tag(loader: TagLoader, node: yaml.Node) -> bytes | InvalidValue:
    text = scalar(loader, node, "hex digits")
    if isinstance(text, InvalidValue):
        return text
    digits = "".join(text.split())
    stray = next((char for char in digits if char not in string.hexdigits), None)
    if stray is not None:
        return loader.problem(node, f"{text!r}: {stray!r} is not a hex digit (0-9, a-f, A-F)")
    if len(digits) % 2:
        return loader.problem(node, f"{text!r} has an odd number of hex digits (two make a byte)")
    return bytes.fromhex(digits)


def fmt_tag(loader: TagLoader, node: yaml.Node) -> Template | InvalidValue:
    text = scalar(loader, node, "text with {refs}")
    if isinstance(text, InvalidValue):
        return text
    try:
        pieces = parse_template(text, node.start_mark.line + 1)
    except ValueError as error:
        return loader.problem(node, str(error))
    parts: list[bytes | Ref] = []
    for piece in pieces:
        if isinstance(piece, Ref):
            parts.append(piece)
            continue
        data = text_bytes(loader, node, piece)
        if isinstance(data, InvalidValue):
            return data
        if parts and isinstance(parts[-1], bytes):
            parts[-1] += data
        else:
            parts.append(data)
    return Template(tuple(parts))


def callback_tag(loader: TagLoader, node: yaml.Node) -> LuaFunction | InvalidValue:
    name = scalar(loader, node, "the name of a callback declared under callbacks")
    if isinstance(name, InvalidValue):
        return name
    if not CALLBACK_NAME_RE.match(name):
        return loader.problem(node, f"{name!r} is not a callback name ([a-z][a-z0-9_]*)")
    return LuaFunction(name)


def absent_tag(loader: TagLoader, node: yaml.Node) -> Absent | InvalidValue:
    if not isinstance(node, yaml.ScalarNode) or node.value != "":
        return loader.problem(node, "!absent takes no argument")
    return Absent()
