"""The Lua driver passes ``lsconform check-driver`` on every runtime it is shipped for.

The battery (PROTOCOL.md §9) runs each check in a fresh driver process:
hello, protocol version, errors vs unimplemented, all 256 byte values through
a real TCP echo, stable handles through select, release, repetition,
sequences (send/receive rounds through a TCP echo, with their SHA-256 where
luaossl is installed), bye and end of input. Callbacks are skipped while the driver claims no protocol area.
"""

from __future__ import annotations

import subprocess
import sys

from lua_support import DRIVERS_LUA, PROJECT_ROOT

from harness.drivercheck import Target, run_checks

EXPECTED_CHECKS = {"hello", "protocol-version", "errors", "byte-exact", "handles", "release", "repeat",
                   "sequence", "bye", "end-of-input"}


def test_check_driver_passes(runtime: str) -> None:
    results = run_checks(Target((runtime, str(DRIVERS_LUA / "driver.lua"))))
    report = "\n".join(result.line() for result in results)
    statuses = {result.name: result.status for result in results}
    assert not [name for name, status in statuses.items() if status == "FAIL"], report
    assert {name for name, status in statuses.items() if status == "PASS"} >= EXPECTED_CHECKS, report


def test_the_cli_reports_the_lua_driver_clean(runtime: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "harness.cli", "check-driver", "--", runtime, str(DRIVERS_LUA / "driver.lua")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 failed" in completed.stdout.splitlines()[-1]
    assert f"luasocket3-{runtime}" in completed.stdout  # the hello names the runtime
