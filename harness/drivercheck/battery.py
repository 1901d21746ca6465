"""The fixed battery ``lsconform check-driver`` runs against any driver.

Each check starts its own driver process (a failure in one never spoils the
next), drives it through the real adapter or, for the start and end of the
conversation, through the bare process, and ends in PASS, FAIL or SKIP with
a sentence saying what was seen. This module holds only the order of the
checks and the loop that runs them; the checks live in
``harness.drivercheck.base_checks`` (what every driver must do) and
``harness.drivercheck.capability_checks`` (the optional capabilities).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.adapters.driver import DriverAdapter
from harness.drivercheck.base_checks import (
    check_bye,
    check_byte_exact,
    check_callbacks,
    check_end_of_input,
    check_handles,
    check_hello,
    check_protocol_version,
    check_release,
    check_unimplemented_and_error,
)
from harness.drivercheck.capability_checks import (
    check_digest,
    check_local_callbacks,
    check_repeat,
    check_sequence,
)
from harness.drivercheck.support import CheckFailed, CheckResult, Target

RAW_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("hello", check_hello),
    ("protocol-version", check_protocol_version),
)
ADAPTER_CHECKS: Sequence[tuple[str, Callable[[DriverAdapter, float], CheckResult]]] = (
    ("errors", check_unimplemented_and_error),
    ("byte-exact", check_byte_exact),
    ("handles", check_handles),
    ("release", check_release),
    ("callbacks", check_callbacks),
    ("local-callbacks", check_local_callbacks),
    ("repeat", check_repeat),
    ("sequence", check_sequence),
)
TARGET_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("digest", check_digest),
)
"""Checks that look at the hello before choosing how to talk to the driver."""
END_CHECKS: Sequence[tuple[str, Callable[[Target], CheckResult]]] = (
    ("bye", check_bye),
    ("end-of-input", check_end_of_input),
)


def run_checks(target: Target) -> list[CheckResult]:
    """Every check, in order; one check's failure never stops the others, but a driver with no hello.

    Without a hello every later check would fail the same way, each after
    the whole hello wait; they are reported as SKIP instead.
    """
    results = [_guarded(name, lambda check=check: check(target)) for name, check in RAW_CHECKS]
    if results[0].status == "FAIL":
        later = [name for name, _ in (*RAW_CHECKS[1:], *ADAPTER_CHECKS, *TARGET_CHECKS, *END_CHECKS)]
        return [results[0]] + [CheckResult(name, "SKIP", "not run: the driver did not start (see hello)")
                               for name in later]
    for name, check in ADAPTER_CHECKS:
        results.append(_guarded(name, lambda check=check: _with_adapter(target, check)))
    results += [_guarded(name, lambda check=check: check(target)) for name, check in (*TARGET_CHECKS,
                                                                                       *END_CHECKS)]
    return results


def _with_adapter(target: Target, check: Callable[[DriverAdapter, float], CheckResult]) -> CheckResult:
    adapter = target.adapter()
    try:
        return check(adapter, target.patience)
    finally:
        adapter.close()


def _guarded(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    try:
        return run()
    except CheckFailed as failure:
        return CheckResult(name, "FAIL", str(failure))
    except Exception as error:  # a driver can provoke anything; report it, go on
        return CheckResult(name, "FAIL", f"{type(error).__name__}: {error}")
