"""Reading fake-server peers: ``http-server``, ``smtp-server``, ``ftp-server``.

Such a peer has a ``kind`` and ``options`` and no script: ``options`` is
exactly the configuration mapping ``fakeservers.from_config`` takes (see
``fakeservers/README.md``). It is validated here, at load time, by the fake
servers' own reader, and a ``ConfigError``'s field path
(``peers.web.options.routes[2].status``) is mapped back onto the YAML line
of the deepest part of that path that exists.

Two scenario rules sit on top of the server's own:

* ports are ephemeral: ``port`` may only be 0, or the kind's well-known
  port (25 for an ``smtp-server``, where ``smtp_mail`` always connects; 80
  and 21 for the ``http-server`` and ``ftp-server`` that URLs without a
  port reach). ``host: auto`` gives that port by default; such a peer needs
  ``requires: [privileged-ports]`` (``needs_privileged_port``);
* a ``!ref`` or ``!fmt`` in the options may name only ``PEER.host`` /
  ``PEER.port`` of a peer declared *earlier*: servers are configured in
  declaration order, before any step runs.
"""

from __future__ import annotations

import re
from typing import Any

from fakeservers import ConfigError, from_config
from fakeservers.addresses import WELL_KNOWN_PORTS, default_port
from fakeservers.config import join as config_join
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.located import InvalidValue, YList, YMap
from harness.scenario.model import Matcher, PeerSpec, Ref, SourceLocation, Template
from harness.scenario.refs import is_peer_attribute, iter_refs
from harness.scenario.schema import SERVER_PEER_KEYS, SERVER_PEER_KINDS
from harness.values import LuaFunction

PLACEHOLDER_HOST = "127.0.0.1"
PLACEHOLDER_PORT = 1
_INDEX_STEP = re.compile(r"\[(\d+)\]")


def load_server_peer(checker: Checker, name: str, spec: YMap, field: str,
                     earlier: list[str]) -> PeerSpec | None:
    """A fake-server peer; ``earlier`` names the peers declared before it."""
    kind = spec["kind"]
    if "script" in spec:
        checker.report(spec.line_of("script"), join(field, "script"),
                       f"{kind} peers have no script: the server answers by its options")
    if not checker.keys(spec, field, SERVER_PEER_KEYS + ("script",), ("kind",)) or "script" in spec:
        return None
    options_field = join(field, "options")
    raw = spec.get("options", YMap(spec.line))
    if raw is None:
        raw = YMap(spec.line_of("options"))
    options_map = checker.mapping(raw, spec.line_of("options"), options_field)
    if options_map is None:
        return None
    options = _plain(checker, options_map, options_map.line, options_field, earlier)
    if options is FAILED or not _port_allowed(checker, kind, options_map, options_field):
        return None
    try:
        from_config(SERVER_PEER_KINDS[kind], with_placeholders(options), prefix=options_field)
    except ConfigError as error:
        line = line_of_config_field(options_map, error.field, options_field)
        checker.report(line, error.field or options_field, error.message)
        return None
    return PeerSpec(name=name, kind=kind, options=options, script=(),
                    location=SourceLocation(checker.collector.path, spec.line))


def needs_privileged_port(peer: PeerSpec) -> bool:
    """A server on its well-known port (``host: auto`` defaults to it) needs root or CAP_NET_BIND_SERVICE."""
    if peer.kind not in SERVER_PEER_KINDS:
        return False
    well_known = WELL_KNOWN_PORTS[SERVER_PEER_KINDS[peer.kind]]
    port = peer.options.get("port", default_port(str(peer.options.get("host", "")), well_known))
    return isinstance(port, int) and 0 < port < 1024


def with_placeholders(options: Any) -> Any:
    """The options with every ref replaced by a plausible value, for load-time validation."""
    if isinstance(options, dict):
        return {key: with_placeholders(item) for key, item in options.items()}
    if isinstance(options, list):
        return [with_placeholders(item) for item in options]
    if isinstance(options, Ref):
        return PLACEHOLDER_PORT if options.name.endswith(".port") else PLACEHOLDER_HOST
    if isinstance(options, Template):
        return "".join(part.decode("latin-1") if isinstance(part, bytes) else
                       str(with_placeholders(part)) for part in options.parts)
    return options


def _plain(checker: Checker, raw: Any, line: int, field: str, earlier: list[str]) -> Any:
    """Located YAML containers as plain dicts and lists; refs checked, matchers refused."""
    if isinstance(raw, InvalidValue):
        checker.claim(raw, field)
        return FAILED
    if isinstance(raw, YMap):
        result = {}
        for key, item in raw.items():
            value = _plain(checker, item, raw.line_of(key), join(field, str(key)), earlier)
            if value is FAILED:
                return FAILED
            result[key] = value
        return result
    if isinstance(raw, YList):
        items = [_plain(checker, item, raw.line_of(index), f"{field}[{index}]", earlier)
                 for index, item in enumerate(raw)]
        return FAILED if any(item is FAILED for item in items) else items
    if isinstance(raw, (Matcher, LuaFunction)):
        what = "a matcher" if isinstance(raw, Matcher) else "!callback"
        checker.report(line, field, f"{what} has no meaning in a server's options")
        return FAILED
    if isinstance(raw, (Ref, Template)):
        bad = [ref.name for ref in iter_refs(raw) if not is_peer_attribute(ref.name)
               or ref.name.partition(".")[0] not in earlier]
        if bad:
            checker.report(line, field, f"{{{bad[0]}}}: server options are read before any step runs, so "
                                        "they may only use PEER.host / PEER.port of a peer declared earlier")
            return FAILED
    return raw


def _port_allowed(checker: Checker, kind: str, options: YMap, field: str) -> bool:
    if "port" not in options:
        return True
    port = options["port"]
    well_known = WELL_KNOWN_PORTS[SERVER_PEER_KINDS[kind]]  # the one port besides 0 a server may name
    ok = isinstance(port, int) and not isinstance(port, bool) and port in (0, well_known)
    wanted = f"0 (an ephemeral port) or {well_known} (the {kind}'s well-known port, with host: auto)"
    return checker.expect(port, options.line_of("port"), join(field, "port"), wanted, ok)


def line_of_config_field(options: YMap, config_field: str, prefix: str = "") -> int:
    """The line of the deepest YAML node on a ConfigError's field path (less ``prefix``).

    The path is written by ``fakeservers.config.join``: ``.key`` for a
    plain key, ``[N]`` for a list index, ``[key]`` for a key with dots,
    brackets or spaces (``files[index.html]``).
    """
    rest = config_field[len(prefix):] if config_field.startswith(prefix) else ""
    if rest and rest[0] not in ".[":
        rest = "." + rest  # a path from the top: its first key has no dot before it
    node: Any = options
    line = options.line
    while rest and isinstance(node, (YMap, YList)):
        step = _next_step(node, rest)
        if step is None:
            break
        key, length = step
        line, node, rest = node.line_of(key), node[key], rest[length:]
    return line


def _next_step(node: YMap | YList, rest: str) -> tuple[Any, int] | None:
    """The key or index ``rest`` starts with in ``node``, and the length of its text; None if none fits."""
    if isinstance(node, YList):
        index = _INDEX_STEP.match(rest)
        if index is None or int(index.group(1)) >= len(node):
            return None
        return int(index.group(1)), index.end()
    fits = [(key, len(text)) for key in node if rest.startswith(text := _key_step(key))
            and rest[len(text):len(text) + 1] in ("", ".", "[")]
    return max(fits, key=lambda fit: fit[1], default=None)


def _key_step(key: Any) -> str:
    """How ``fakeservers.config.join`` writes ``key`` after a parent: ``.key`` or ``[key]``."""
    text = config_join("", str(key))
    return text if text.startswith("[") else "." + text
