"""The functions the manual documents, per area, and which scenarios cover them.

Used by the ``coverage`` command to show which documented functions no
scenario exercises yet. A name like ``receive`` exists for both TCP and UDP
sockets, so a call is attributed to an area by a simple, documented rule
(see :func:`area_of_call`) rather than by tracking socket kinds.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.scenario.model import Scenario

MANUAL_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "tcp": ("bind", "connect", "accept", "receive", "send", "select", "timeout", "getsockname",
            "getpeername", "close"),
    "udp": ("udpsocket", "sendto", "send", "receive", "receivefrom", "setpeername", "setsockname",
            "getpeername", "getsockname", "timeout", "close"),
    "dns": ("toip", "tohostname"),
    "smtp": ("smtp_mail", "mail"),
    "http": ("http_request", "http_get", "http_post", "http_requestindirect", "http_getindirect",
             "http_postindirect",
             "base64"),  # a helper the manual's HTTP authentication example relies on
    "ftp": ("ftp_get", "ftp_put", "ftp_getindirect", "ftp_putindirect"),
}


def area_of_call(scenario: Scenario, function: str) -> str | None:
    """The manual area a call of ``function`` in ``scenario`` counts for.

    1. the scenario's own area (first id segment) if that area lists it
       (``u:receive`` in ``scenarios/udp`` counts for UDP);
    2. else an area named by one of the scenario's tags that lists it
       (a ``select.*`` scenario tagged ``udp`` counts its ``receive`` for UDP);
    3. else the first area listing it, in the order above (TCP before UDP).

    None for functions the manual does not document.
    """
    own_area = scenario.id.split(".", 1)[0]
    candidates = [area for area, names in MANUAL_FUNCTIONS.items() if function in names]
    if not candidates:
        return None
    if own_area in candidates:
        return own_area
    for tag in scenario.tags:
        if tag in candidates:
            return tag
    return candidates[0]


def coverage(scenarios: Iterable[Scenario]) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each area and documented function, the ids of scenarios calling it.

    Every documented function appears, with an empty tuple when uncovered.
    """
    covered: dict[str, dict[str, list[str]]] = {
        area: {name: [] for name in names} for area, names in MANUAL_FUNCTIONS.items()}
    for scenario in scenarios:
        for function in scenario.functions:
            area = area_of_call(scenario, function)
            if area is not None:
                covered[area][function].append(scenario.id)
    return {area: {name: tuple(ids) for name, ids in names.items()} for area, names in covered.items()}
