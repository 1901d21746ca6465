"""An adapter that replays canned outcomes: the runner with no candidate.

Like a mock transport: give it a list of outcomes (one per call, in order)
or a function of the ``Call``, and the runner, the matchers and the reports
can be exercised deterministically. It records every call, every release
and whether it was closed, for tests to assert on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from harness.adapters.base import Adapter, Call, CandidateInfo, Crashed, Outcome
from harness.values import Handle

Responder = Callable[[Call], Outcome]


class ScriptedAdapter(Adapter):
    """Answers each call from a script instead of a candidate."""

    def __init__(
        self,
        outcomes: Iterable[Outcome] | Responder,
        info: CandidateInfo | None = None,
    ) -> None:
        self.info = info or CandidateInfo("scripted", "0")
        if callable(outcomes):
            self._responder: Responder | None = outcomes
            self._queue: list[Outcome] = []
        else:
            self._responder = None
            self._queue = list(outcomes)
        self.calls: list[Call] = []
        self.released: list[Handle] = []
        self.closed = False

    def call(self, call: Call) -> Outcome:
        self.calls.append(call)
        if self._responder is not None:
            return self._responder(call)
        if not self._queue:
            return Crashed(f"no scripted outcome left for call #{len(self.calls)} ({call.function})")
        return self._queue.pop(0)

    def release(self, handles: list[Handle]) -> None:
        self.released.extend(handles)

    def close(self) -> None:
        self.closed = True
