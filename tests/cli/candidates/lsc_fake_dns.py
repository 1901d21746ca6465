"""A tiny stand-in LuaSocket for the CLI and plugin tests: ``toip`` only.

Run as ``--candidate python:lsc_fake_dns`` with this folder on the path. It
knows a few fixed names, crashes on request, and answers ``flip.test``
differently on every other call (counted in the file named by
``$LSC_FAKE_FLIP_FILE``) so that ``--repeat`` has a flaky scenario to find.
It has no ``tohostname``, so scenarios calling that are UNIMPLEMENTED.
``interrupt.test`` presses Ctrl-C, as a terminal does: SIGINT to its whole
process group; only when ``$LSC_FAKE_INTERRUPT`` is 1, set by a test that
started lsconform in a session (and so a group) of its own.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

__version__ = "1.0-test"

KNOWN = {b"localhost": b"127.0.0.1", b"one.test": b"10.0.0.1"}


class LuaError(Exception):
    """How this module signals a Lua error to the in-process adapter."""


def toip(address: object) -> tuple[object, ...]:
    if not isinstance(address, bytes):
        raise LuaError("bad argument #1 to `toip' (string expected)")
    if address == b"crash.test":
        raise RuntimeError("simulated defect in the candidate")
    if address == b"interrupt.test":
        if os.environ.get("LSC_FAKE_INTERRUPT") == "1":
            os.killpg(0, signal.SIGINT)
        return (b"10.0.0.1",)
    if address == b"flip.test":
        counter = Path(os.environ["LSC_FAKE_FLIP_FILE"])
        count = int(counter.read_text() or "0") if counter.exists() else 0
        counter.write_text(str(count + 1))
        return (b"10.0.0.1",) if count % 2 == 0 else (b"10.0.0.2",)
    if address in KNOWN:
        return (KNOWN[address],)
    return (None, b"host not found")
