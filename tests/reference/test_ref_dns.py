"""``toip`` and ``tohostname`` (spec §9) against the local resolver."""

from __future__ import annotations

import pytest

import reference as ls

# TEST-NET-1 (RFC 5737): never has a reverse DNS entry.
NO_PTR_IP = "192.0.2.55"


def check_resolved(resolved: object) -> dict[str, object]:
    assert isinstance(resolved, dict)
    assert set(resolved) == {"name", "alias", "ip"}
    assert isinstance(resolved["name"], str)
    assert isinstance(resolved["alias"], list) and all(isinstance(a, str) for a in resolved["alias"])
    assert isinstance(resolved["ip"], list) and resolved["ip"]
    assert all(isinstance(ip, str) for ip in resolved["ip"])
    return resolved


def test_toip_of_a_name() -> None:
    ip, resolved = ls.toip("localhost")
    assert ip == "127.0.0.1"
    assert check_resolved(resolved)["ip"][0] == ip


def test_tohostname_of_a_name() -> None:
    name, resolved = ls.tohostname(b"localhost")
    assert name == check_resolved(resolved)["name"]
    assert "127.0.0.1" in resolved["ip"]  # type: ignore[operator]


def test_toip_of_an_ip_with_reverse_entry() -> None:
    ip, resolved = ls.toip("127.0.0.1")
    assert ip == "127.0.0.1"
    assert "127.0.0.1" in check_resolved(resolved)["ip"]  # type: ignore[operator]


def test_tohostname_of_an_ip_with_reverse_entry() -> None:
    name, resolved = ls.tohostname("127.0.0.1")
    assert name == check_resolved(resolved)["name"]
    assert name != ""


def test_an_ip_without_reverse_entry_is_still_accepted() -> None:
    """The IP comes back with a table built from it (the original failed: DIVERGENCES #29)."""
    table = {"name": NO_PTR_IP, "alias": [], "ip": [NO_PTR_IP]}
    assert ls.toip(NO_PTR_IP) == (NO_PTR_IP, table)
    assert ls.tohostname(NO_PTR_IP) == (NO_PTR_IP, table)


def test_short_ip_forms_are_ips() -> None:
    assert ls.toip("127.1")[0] == "127.0.0.1"


@pytest.mark.parametrize("function", [ls.toip, ls.tohostname])
@pytest.mark.parametrize("name", ["no-such-host.invalid", "localhost\0x"])
def test_unknown_host(function: object, name: str) -> None:
    assert function(name) == (None, "host not found")  # type: ignore[operator]


@pytest.mark.parametrize("function", [ls.toip, ls.tohostname])
def test_missing_address_raises(function: object) -> None:
    with pytest.raises(ls.LuaError) as raised:
        function()  # type: ignore[operator]
    assert str(raised.value) == "string expected, got no value"
