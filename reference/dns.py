"""``toip`` and ``tohostname``: the resolver, as the manual describes it (spec §9).

Both return a first value and the ``resolved`` table
``{"name": str, "alias": [str, ...], "ip": [str, ...]}``, or
``(None, message)`` on failure.

An IP address is always accepted (the manual: "Address can be an IP address
or host name"): its table comes from a reverse lookup when one exists and
falls back to ``{"name": ip, "alias": [], "ip": [ip]}`` otherwise, so
``toip`` of any IP returns that IP (the 2001 code failed without a PTR
record, DIVERGENCES.md #29).
"""

from __future__ import annotations

from reference.args import check_text, settle
from reference.netaddr import HOST_NOT_FOUND, forward_lookup, parse_ip, resolver_message, reverse_lookup

Resolved = dict[str, object]


def _lookup(address: str) -> tuple[str, Resolved] | str:
    """``(first IP, resolved table)`` for ``address``, or the failure message."""
    ip = parse_ip(address)
    try:
        if ip is None:
            name, aliases, addresses = forward_lookup(address)
        else:
            name, aliases, addresses = reverse_lookup(ip)
    except (OSError, ValueError, UnicodeError) as error:
        if ip is None:
            return resolver_message(error)
        name, aliases, addresses = ip, [], [ip]
    if ip is None and not addresses:
        return HOST_NOT_FOUND
    first = ip if ip is not None else addresses[0]
    return first, {"name": name, "alias": list(aliases), "ip": list(addresses) or [first]}


def toip(*args: object) -> tuple[str, Resolved] | tuple[None, str]:
    """``toip(address)``: the first IP address of ``address`` and the resolved table."""
    (address,) = settle(args, 1)
    found = _lookup(check_text(address))
    if isinstance(found, str):
        return (None, found)
    return found


def tohostname(*args: object) -> tuple[str, Resolved] | tuple[None, str]:
    """``tohostname(address)``: the canonical name of ``address`` and the resolved table."""
    (address,) = settle(args, 1)
    found = _lookup(check_text(address))
    if isinstance(found, str):
        return (None, found)
    resolved = found[1]
    return str(resolved["name"]), resolved
