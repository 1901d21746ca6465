"""Capability probing gives a reason for everything it finds missing."""

from __future__ import annotations

from harness import capabilities


def test_detect_is_consistent_with_probe():
    found = capabilities.probe()
    assert set(found) == set(capabilities.KNOWN)
    for name, missing in found.items():
        assert missing is None or (isinstance(missing, str) and missing)
        assert (name in capabilities.detect()) == (missing is None)


def test_why_missing_with_an_explicit_set():
    assert capabilities.why_missing("ipv6", frozenset({"ipv6"})) is None
    assert capabilities.why_missing("ipv6", frozenset()) in (capabilities.probe()["ipv6"],
                                                                "not enabled for this run")
    assert "unknown capability" in capabilities.why_missing("teleport")
