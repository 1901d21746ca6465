"""Driver candidates: ``driver_candidate(name, command)``, one process per scenario or one reused.

A candidate module for a new driver is three lines::

    # harness/candidates/my_lua.py  (then list it in registry.SHIPPED)
    from harness.adapters.driver_spec import driver_candidate

    CANDIDATE = driver_candidate("my-lua", ["lua5.4", "drivers/lua/driver.lua"], "my port, on Lua 5.4")

By default every scenario gets a fresh driver process, so a crash or a hang
costs that scenario and nothing else. With reuse on (``--lsc-driver-reuse``,
``lsconform run --reuse-driver``, or ``LSCONFORM_DRIVER_REUSE=1``) each
process (each pytest-xdist worker) keeps one driver per candidate and lends
it to one scenario at a time; between scenarios the sockets it handed out
are released, and a driver that crashed or timed out is replaced by a new
one. The kept driver is exempt from the runner's leak check and is closed
when the session ends (or, at the latest, when the process exits).
"""

from __future__ import annotations

import atexit
import os
import shlex
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness import environment, leaks
from harness.adapters.base import (
    Adapter,
    Call,
    CallbackHandler,
    CandidateInfo,
    CandidateSpec,
    LocalCallbackSink,
    Outcome,
)
from harness.adapters.driver import HELLO_TIMEOUT_ENV, DriverAdapter, configured_hello_timeout
from harness.adapters.driver_loops import RepeatReport, RepeatRequest, SequenceReport, SequenceRequest
from harness.values import Handle

if TYPE_CHECKING:
    from harness.adapters.base import Crashed, TimedOut
    from harness.scenario.model import CallbackSpec

REUSE_ENV = "LSCONFORM_DRIVER_REUSE"
_TRUE = frozenset({"1", "true", "yes", "on"})
_reuse: bool | None = None


def set_reuse(enabled: bool | None) -> None:
    """Turn reuse on or off for this process; None falls back to ``$LSCONFORM_DRIVER_REUSE``."""
    global _reuse
    _reuse = enabled


def reuse_enabled() -> bool:
    if _reuse is not None:
        return _reuse
    return os.environ.get(REUSE_ENV, "").strip().lower() in _TRUE


def end_reuse() -> None:
    """Close every kept driver and forget the setting (the end of a pytest session)."""
    POOL.close_all()
    set_reuse(None)


@dataclass(frozen=True)
class DriverCommand:
    """How to start one driver; also the key under which a reused driver is kept."""

    name: str
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None

    def start(self) -> DriverAdapter:
        """A new driver, with the harness's environment now: the running scenario's API variables."""
        env = environment.without_api_variables(dict(self.env))
        hint = f" (a driver slow to start may be given longer: {HELLO_TIMEOUT_ENV}=SECONDS)"
        return DriverAdapter(self.command, env=env or None, name_hint=self.name, cwd=self.cwd,
                             hello_timeout=configured_hello_timeout(), slow_start_hint=hint)


def driver_candidate(name: str, command: Sequence[str], description: str = "", *,
                     env: Mapping[str, str] | None = None, cwd: str | None = None,
                     tags: Sequence[str] = ()) -> CandidateSpec:
    """A ``CandidateSpec`` whose adapters are drivers started with ``command``.

    ``env`` entries are added to the harness's environment for the driver,
    except the API's own variables (``SERVER_NAME``), which each scenario
    sets (``harness.environment``); ``cwd`` is its working directory
    (default: the harness's).
    """
    how = DriverCommand(name, tuple(command), tuple(sorted((env or {}).items())), cwd)

    def make_adapter() -> Adapter:
        return POOL.lease(how) if reuse_enabled() else how.start()

    return CandidateSpec(
        name=name,
        description=description or f"the driver {shlex.join(command)}",
        make_adapter=make_adapter,
        tags=frozenset({"driver", *tags}),
    )


class DriverPool:
    """At most one idle driver per ``DriverCommand`` in this process.

    A driver inherits the API variables of the scenario it was started in
    and keeps them for its life (an implementation may read them once, at
    load), so it is lent only to scenarios with the same API environment;
    another one replaces it. Scenarios that set one are few: this costs a
    start or two per run, not a driver per environment kept open.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[DriverCommand, tuple[environment.ApiEnvironment, DriverAdapter]] = {}

    def lease(self, how: DriverCommand) -> LeasedDriver:
        wanted = environment.current()
        with self._lock:
            started_in, adapter = self._idle.pop(how, ((), None))
        if adapter is None or adapter.failure is not None or started_in != wanted:
            if adapter is not None:
                adapter.close()
            adapter = how.start()
            if adapter.pid is not None:
                leaks.exempt_child(adapter.pid)
        return LeasedDriver(self, how, adapter, wanted)

    def give_back(self, how: DriverCommand, adapter: DriverAdapter,
                  started_in: environment.ApiEnvironment) -> None:
        """Reset the driver for the next scenario, or end it if it failed (or a spare is kept)."""
        adapter.set_callback_handler(None)
        adapter.set_local_callbacks((), None)
        if adapter.failure is None:
            adapter.release(adapter.held_handles)
        if adapter.failure is not None:
            adapter.close()
            return
        with self._lock:
            spare = how in self._idle
            if not spare:
                self._idle[how] = (started_in, adapter)
        if spare:
            adapter.close()

    def close_all(self) -> None:
        with self._lock:
            adapters = [adapter for _, adapter in self._idle.values()]
            self._idle.clear()
        for adapter in adapters:
            adapter.close()


class LeasedDriver(Adapter):
    """A kept driver lent to one scenario; ``close`` hands it back instead of ending it.

    Everything a ``DriverAdapter`` offers beyond the base contract is passed on too: a lease
    that lacked ``failure`` made the start-up check see a driver that never said hello as a
    healthy one, and one that lacked ``call_sequence`` or ``set_local_callbacks`` made the
    bench fall back, without a word, to rounds timed by the harness and callbacks sent
    across the protocol.
    """

    def __init__(self, pool: DriverPool, how: DriverCommand, adapter: DriverAdapter,
                 started_in: environment.ApiEnvironment) -> None:
        self._pool = pool
        self._how = how
        self._adapter: DriverAdapter | None = adapter
        self._started_in = started_in

    @property
    def info(self) -> CandidateInfo:  # type: ignore[override]
        return self.driver.info

    @property
    def driver(self) -> DriverAdapter:
        if self._adapter is None:
            raise RuntimeError("this lease has ended")
        return self._adapter

    def call(self, call: Call) -> Outcome:
        return self.driver.call(call)

    def call_repeated(self, call: Call, repeat: RepeatRequest) -> tuple[Outcome, RepeatReport | None]:
        return self.driver.call_repeated(call, repeat)

    def call_sequence(self, calls: Sequence[Call],
                      request: SequenceRequest) -> tuple[Outcome, SequenceReport | None]:
        return self.driver.call_sequence(calls, request)

    def set_local_callbacks(self, specs: Sequence[CallbackSpec], sink: LocalCallbackSink | None) -> bool:
        return self.driver.set_local_callbacks(specs, sink)

    @property
    def failure(self) -> Crashed | TimedOut | None:
        return self.driver.failure

    @property
    def pid(self) -> int | None:
        return self.driver.pid

    def stderr_tail(self) -> str:
        return self.driver.stderr_tail()

    def set_callback_handler(self, handler: CallbackHandler | None) -> None:
        self.driver.set_callback_handler(handler)

    def release(self, handles: list[Handle]) -> None:
        self.driver.release(handles)

    def close(self) -> None:
        adapter, self._adapter = self._adapter, None
        if adapter is not None:
            self._pool.give_back(self._how, adapter, self._started_in)


POOL = DriverPool()
atexit.register(POOL.close_all)
