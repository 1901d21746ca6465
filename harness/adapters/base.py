"""The candidate contract: one method, ``call(Call) -> Outcome``, plus ``close()``.

Everything the runner knows about a candidate goes through this seam. The
in-process adapter (Python candidates) and the driver adapter (any runtime
behind a JSON-lines process) are two implementations of it; the scripted
adapter replays canned outcomes so that the runner, matcher and reports can be
tested with no candidate at all.

Adapters never raise for anything the candidate does: a Lua error is
``Raised``, a missing function ``Unimplemented``, a dead or garbled candidate
``Crashed`` and a missed deadline ``TimedOut``. Exceptions that escape an
adapter are harness bugs and the runner reports them as CRASH with the
traceback.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from harness.values import Handle, LuaValue

if TYPE_CHECKING:
    from harness.adapters.driver_loops import LocalCallbackReport
    from harness.scenario.model import CallbackSpec

CallStyle = Literal["global", "method"]


@dataclass(frozen=True)
class Call:
    """One API call as a scenario states it.

    ``style="method"`` is ``target:function(args...)`` in Lua; ``"global"`` is
    ``function(args...)`` where a socket, if any, is the first argument.
    ``deadline`` is seconds of wall time after which the adapter gives up and
    returns ``TimedOut``.
    """

    function: str
    args: tuple[LuaValue, ...] = ()
    style: CallStyle = "global"
    target: Handle | None = None
    deadline: float = 10.0


@dataclass(frozen=True)
class Returned:
    values: tuple[LuaValue, ...]


@dataclass(frozen=True)
class Raised:
    """The call raised a Lua error (misuse of the API)."""

    message: str


@dataclass(frozen=True)
class Unimplemented:
    """The candidate does not provide this function at all."""

    function: str


@dataclass(frozen=True)
class Crashed:
    """The candidate died or answered with garbage; ``detail`` says how."""

    detail: str
    stderr_tail: str = ""


@dataclass(frozen=True)
class TimedOut:
    """The call did not come back within its deadline; ``note`` says what did arrive, if anything."""

    deadline: float
    stderr_tail: str = ""
    note: str = ""


Outcome = Returned | Raised | Unimplemented | Crashed | TimedOut


@dataclass(frozen=True)
class CandidateInfo:
    """What a candidate says about itself (a driver's hello, or a module's)."""

    name: str
    version: str
    capabilities: frozenset[str] = frozenset()


CallbackHandler = Callable[[str, tuple[LuaValue, ...]], tuple[LuaValue, ...]]
"""Called by an adapter when the candidate calls a scenario-declared callback:
``(callback_name, args) -> returned values``."""

LocalCallbackSink = Callable[[str, "LocalCallbackReport"], None]
"""Called by an adapter with the account of a callback the candidate ran itself
(PROTOCOL.md section 7.1): ``(callback_name, report)``, once per call that had it."""


class Adapter(abc.ABC):
    """A live connection to one candidate, used for one scenario."""

    info: CandidateInfo

    @abc.abstractmethod
    def call(self, call: Call) -> Outcome:
        """Perform one API call and report how it ended; never raises."""

    def claims(self, capability: str) -> bool:
        """Whether the candidate can do ``capability`` (a hello capability, e.g. ``digest``).

        A driver can only what its hello says; adapters that do the work
        themselves (in process) widen this for what they always can.
        """
        return capability in self.info.capabilities

    def candidate_threads(self) -> tuple[int, ...]:
        """The kernel ids (``native_id``) of this process's threads that run the candidate's code.

        None for a candidate in a process of its own (the default); a
        candidate in process names its threads, so that the bench can tell
        the harness's peers' CPU time from the candidate's (``harness.bench.peerload``).
        """
        return ()

    def set_callback_handler(self, handler: CallbackHandler | None) -> None:
        """Route callback invocations (streaming calls) to the runner."""
        self._callback_handler = handler

    def set_local_callbacks(self, specs: Sequence[CallbackSpec], sink: LocalCallbackSink | None) -> bool:
        """Offer the candidate to run these callbacks itself (PROTOCOL.md section 7.1).

        Only callbacks that a local one reproduces exactly belong here
        (``harness.callbacks.runs_locally``). Returns True when the candidate
        will run them from the next call on, reporting each call's account
        to ``sink``; False when it cannot, and the callbacks keep going
        through the callback handler. An empty ``specs`` withdraws the offer.
        By default an adapter cannot.
        """
        return False

    @abc.abstractmethod
    def release(self, handles: list[Handle]) -> None:
        """Close these sockets on the candidate side, quietly, at scenario end.

        Also used after a timed-out call, to unblock the candidate.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release everything the adapter holds (threads, processes, sockets)."""

    def __enter__(self) -> Adapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class CandidateSpec:
    """How to obtain adapters for one named candidate.

    ``make_adapter`` is called once per scenario (one driver process per
    scenario by default), so a crash costs one scenario only.
    """

    name: str
    description: str
    make_adapter: Callable[[], Adapter]
    tags: frozenset[str] = field(default_factory=frozenset)
    unavailable: Callable[[], str | None] | None = None
    """Optional: says why the candidate cannot run on this machine (a missing
    runtime), or None when it can. The runner then reports every scenario as
    SKIP with that reason instead of failing each one."""
