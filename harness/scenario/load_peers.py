"""Reading a scenario's ``peers``: kinds, options and scripts.

Fake-server peers (``http-server``, ``smtp-server``, ``ftp-server``) have
options and no script; ``load_servers`` reads them.

An action is a bare word (``accept``) or a one-key mapping. The key is the
op; its value is either a mapping of parameters or, as a shorthand, the op's
first parameter (``send: "abc"`` is ``send: {data: "abc"}``). Ops and
parameters come from ``model.PEER_OPS``, the same table the peers dispatch
on; ``schema.PARAM_KINDS`` says how each parameter is checked.
"""

from __future__ import annotations

from typing import Any

from fakeservers.addresses import is_ipv4_address
from harness.scenario.bindings import Bindings
from harness.scenario.checks import FAILED, Checker, join
from harness.scenario.convert import to_lua_value, to_matcher
from harness.scenario.load_servers import load_server_peer, needs_privileged_port
from harness.scenario.load_steps import event_name
from harness.scenario.located import YList, YMap
from harness.scenario.matchers import Exact
from harness.scenario.model import PEER_OPS, PeerAction, PeerSpec, Ref, SourceLocation, Template
from harness.scenario.refs import PEER_NAME_RE
from harness.scenario.schema import (
    CHECKSUMS,
    CONNECTED_PEER_KINDS,
    DEFAULT_SHUTDOWN_HOW,
    ICMP_CODES,
    PARAM_KINDS,
    PEER_KEYS,
    PEER_KIND_REQUIRES,
    PEER_OP_REQUIRES,
    PEER_OPTIONS,
    SERVER_PEER_KINDS,
    SHUTDOWN_HOW,
)

PRIVILEGED_PORTS = "privileged-ports"


def load_peers(checker: Checker, raw: Any, line: int, field: str, bindings: Bindings) -> tuple[PeerSpec, ...]:
    """All peers of a scenario; their names go into ``bindings`` first."""
    peers_map = checker.mapping(raw, line, field)
    if peers_map is None:
        return ()
    for name in peers_map:
        ok = isinstance(name, str) and PEER_NAME_RE.match(name) is not None
        checker.expect(name, peers_map.line_of(name), field, "a peer name ([a-z][a-z0-9_]*)", ok)
    bindings.peers.update(name for name in peers_map if isinstance(name, str))
    for name, spec in peers_map.items():
        if isinstance(spec, YMap) and spec.get("kind") in SERVER_PEER_KINDS:
            bindings.servers[str(name)] = spec["kind"]
    peers = []
    earlier: list[str] = []
    for name, spec in peers_map.items():
        peer_field = join(field, str(name))
        if isinstance(spec, YMap) and spec.get("kind") in SERVER_PEER_KINDS:
            peer = load_server_peer(checker, str(name), spec, peer_field, list(earlier))
        else:
            peer = _load_peer(checker, str(name), spec, peers_map.line_of(name), peer_field, bindings)
        earlier.append(str(name))
        if peer is not None:
            peers.append(peer)
    _check_raw_scripts(checker, peers, field)
    return tuple(peers)


def required_capabilities(peers: tuple[PeerSpec, ...]) -> dict[str, str]:
    """Capabilities the peers' kinds and actions need -> what needs each (for messages)."""
    needed: dict[str, str] = {}
    for peer in peers:
        for capability in PEER_KIND_REQUIRES.get(peer.kind, ()):
            needed.setdefault(capability, f"peer {peer.name} ({peer.kind})")
        if needs_privileged_port(peer):
            needed.setdefault(PRIVILEGED_PORTS, f"peer {peer.name} (an {peer.kind} on a port below 1024)")
        for action in peer.script:
            for capability in PEER_OP_REQUIRES.get(action.op, ()):
                needed.setdefault(capability, f"peer {peer.name}'s {action.op}")
    return needed


def _check_raw_scripts(checker: Checker, peers: list[PeerSpec], field: str) -> None:
    """Checks that span peers: a raw peer's target must hold a TCP connection,
    and ``refuse-syn`` needs an earlier ``drop-syn`` (else the kernel answers first)."""
    kinds = {peer.name: peer.kind for peer in peers}
    for peer in peers:
        if peer.kind != "raw":
            continue
        dropping = False
        for index, action in enumerate(peer.script):
            where = action.location.line if action.location else 0
            action_field = f"{join(field, peer.name)}.script[{index}].{action.op}"
            target = action.params.get("peer")
            if isinstance(target, str) and kinds.get(target) not in CONNECTED_PEER_KINDS:
                what = f"a {kinds[target]} peer" if target in kinds else "no peer"
                wanted = " or ".join(CONNECTED_PEER_KINDS)
                checker.report(where, join(action_field, "peer"),
                               f"{target!r} is {what}; expected the name of a {wanted} peer of this scenario")
            dropping = (dropping or action.op == "drop-syn") and action.op != "allow-syn"
            if action.op == "refuse-syn" and not dropping:
                checker.report(where, action_field, "refuse-syn needs an earlier drop-syn (without it the "
                               "kernel answers the SYN before the peer can)")


def _load_peer(checker: Checker, name: str, raw: Any, line: int, field: str,
               bindings: Bindings) -> PeerSpec | None:
    spec = checker.mapping(raw, line, field)
    if spec is None or not checker.keys(spec, field, PEER_KEYS, ("kind",)):
        return None
    kind = spec["kind"]
    kinds = ", ".join([*PEER_OPS, *SERVER_PEER_KINDS])
    if not checker.expect(kind, spec.line_of("kind"), join(field, "kind"), f"one of {kinds}",
                          isinstance(kind, str) and kind in PEER_OPS):
        return None
    options = _load_options(checker, spec, kind, field)
    script_raw = spec.get("script", YList(spec.line))
    script_field = join(field, "script")
    if not checker.expect(script_raw, spec.line_of("script"), script_field, "a list of actions",
                          isinstance(script_raw, YList)):
        return None
    script = []
    bindings.sequence = f"peer {name}"
    for index, item in enumerate(script_raw):
        action = _load_action(checker, kind, item, script_raw.line_of(index), f"{script_field}[{index}]",
                              bindings)
        if action is not None:
            script.append(action)
    return PeerSpec(name=name, kind=kind, options=options, script=tuple(script),
                    location=SourceLocation(checker.collector.path, spec.line))


def _load_options(checker: Checker, spec: YMap, kind: str, field: str) -> dict[str, Any]:
    if "options" not in spec:
        return {}
    options_field = join(field, "options")
    options = checker.mapping(spec["options"], spec.line_of("options"), options_field)
    if options is None:
        return {}
    checker.keys(options, options_field, PEER_OPTIONS[kind])
    result: dict[str, Any] = {}
    if "host" in options and checker.text(options, "host", options_field) is not None:
        result["host"] = options["host"]
        if kind == "raw" and not is_ipv4_address(options["host"]):
            checker.report(options.line_of("host"), join(options_field, "host"),
                           f"a raw peer sends IPv4 packets: its host is an IPv4 address, "
                           f"not {options['host']!r}")
    for key in ("backlog", "rcvbuf"):
        if key in options:
            value = options[key]
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            key_field = join(options_field, key)
            if checker.expect(value, options.line_of(key), key_field, "a whole number > 0", ok):
                result[key] = value
    return result


def _load_action(checker: Checker, kind: str, raw: Any, line: int, field: str,
                 bindings: Bindings) -> PeerAction | None:
    ops = PEER_OPS[kind]
    if isinstance(raw, str):
        op, params_raw, params_line = raw, YMap(line), line
    elif isinstance(raw, YMap) and len(raw) == 1:
        op = next(iter(raw))
        params_raw, params_line = raw[op], raw.line_of(op)
    elif isinstance(raw, YMap) and len(raw) > 1 and any(key in ops for key in raw):
        op = next(key for key in raw if key in ops)
        others = ", ".join(str(key) for key in raw if key != op)
        checker.report(line, field, f"an action is a one-key mapping, got {op} with {others} beside it: "
                                    f"put the parameters under the action ({op}: {{...}})")
        return None
    else:
        checker.expect(raw, line, field, "an action: a word (accept) or a one-key mapping (send: ...)", False)
        return None
    if op not in ops:
        checker.report(line, field, f"{kind} peers have no action {op!r} (they have: {', '.join(ops)})")
        return None
    field = join(field, op)
    declared = ops[op]
    names = [name.rstrip("!") for name in declared]
    if not isinstance(params_raw, YMap):
        if not names:
            checker.report(params_line, field, f"{op} takes no parameters")
            return None
        shorthand = YMap(params_line)
        shorthand[names[0]] = params_raw
        shorthand.key_lines[names[0]] = params_line
        params_raw = shorthand
    checker.keys(params_raw, field, names, [name.rstrip("!") for name in declared if name.endswith("!")])
    params = {}
    for name in names:
        if name in params_raw:
            value = _param(checker, op, name, params_raw[name], params_raw.line_of(name), join(field, name),
                           bindings)
            if value is FAILED:
                return None
            params[name] = value
    if op == "recv" and "count" not in params_raw and not _exact_string(params.get("expect")):
        # The peer reads exactly len(expected) bytes; any other matcher cannot say how many.
        detail = "expect or count (or both)" if "expect" not in params_raw else \
            "a count unless expect is one exact string"
        checker.report(params_raw.line, field, f"recv needs {detail}")
        return None
    if op == "recv" and "count" in params and _exact_string(params.get("expect")) \
            and params["count"] != len(params["expect"].value):
        checker.report(params_raw.line_of("count"), join(field, "count"),
                       f"count {params['count']} can never match expect, which is exactly "
                       f"{len(params['expect'].value)} bytes (leave count out)")
        return None
    if op == "send" and "times" in params and ("slices" in params or "delay" in params):
        checker.report(params_raw.line_of("times"), join(field, "times"),
                       "send with times takes neither slices nor delay")
        return None
    if op == "shutdown":
        params.setdefault("how", DEFAULT_SHUTDOWN_HOW)
    return PeerAction(op=op, params=params, location=SourceLocation(checker.collector.path, line))


_CHOICES: dict[str, tuple[str, ...]] = {"how": SHUTDOWN_HOW, "checksum": CHECKSUMS, "icmp-code": ICMP_CODES}


def _exact_string(matcher: Any) -> bool:
    return isinstance(matcher, Exact) and isinstance(matcher.value, bytes)


def _param(checker: Checker, op: str, name: str, raw: Any, line: int, field: str, bindings: Bindings) -> Any:
    """Check and convert one parameter by its kind (``schema.PARAM_KINDS``)."""
    kind = PARAM_KINDS[name]
    if kind == "event":
        event = event_name(checker, raw, line, field)
        if event is None:
            return FAILED
        if op == "signal":
            bindings.signal(event)
        else:
            bindings.wait(event, line, field)
        return event
    if kind in ("seconds", "timeout"):
        number = checker.number(raw, line, field, positive=kind == "timeout")
        return FAILED if number is None else number
    if kind == "count":
        count = checker.count(raw, line, field)
        return FAILED if count is None else count
    if kind == "slices":
        ok = isinstance(raw, YList) and bool(raw) and all(
            isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in raw)
        return list(raw) if checker.expect(raw, line, field, "a list of byte counts > 0", ok) else FAILED
    if kind in _CHOICES:
        choices = _CHOICES[kind]
        ok = isinstance(raw, str) and raw in choices
        return raw if checker.expect(raw, line, field, f"one of {', '.join(choices)}", ok) else FAILED
    if kind == "fragment-size":
        ok = isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 and raw % 8 == 0
        return raw if checker.expect(raw, line, field, "a positive multiple of 8 (bytes)", ok) else FAILED
    if kind == "fragment-order":
        ok = isinstance(raw, YList) and bool(raw) and all(
            isinstance(number, int) and not isinstance(number, bool) and number > 0 for number in raw)
        wanted = "a list of fragment numbers (1 is the first)"
        return list(raw) if checker.expect(raw, line, field, wanted, ok) else FAILED
    if kind == "peer":
        ok = isinstance(raw, str) and raw in bindings.peers
        return raw if checker.expect(raw, line, field, "the name of a peer of this scenario", ok) else FAILED
    if kind == "host":
        ok = isinstance(raw, (str, Ref))
        value = raw if checker.expect(raw, line, field, "a host name, an address or a !ref", ok) else FAILED
    elif kind == "port":
        number_ok = isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 65535
        ok = isinstance(raw, Ref) or number_ok
        value = raw if checker.expect(raw, line, field, "a port number (0-65535) or a !ref", ok) else FAILED
    elif kind == "bytes":
        value = checker.convert(to_lua_value, raw, line, field)
        if value is not FAILED and not isinstance(value, (bytes, Ref, Template)):
            checker.expect(raw, line, field, "a string (text, !hex, !repeat, !fmt) or a !ref", False)
            value = FAILED
    else:  # "matcher"
        value = checker.convert(to_matcher, raw, line, field)
    if value is not FAILED:
        bindings.note_peer_refs(value, line, field)
    return value
