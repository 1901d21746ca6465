"""Named sync events shared by a scenario's steps and its peers.

Steps and peer scripts run concurrently; the only thing that orders them is a
signal one side raises and the other waits for. A wait always has a timeout,
and the board can be aborted (a peer failed, or the scenario is being torn
down) so that nobody waits for a signal that can no longer come.
"""

from __future__ import annotations

import threading

from harness.transcript import Transcript


class SyncBoard:
    """A set of raised signal names, with waits that never hang."""

    def __init__(self, transcript: Transcript | None = None) -> None:
        self._transcript = transcript
        self._condition = threading.Condition()
        self._raised: set[str] = set()
        self._aborted = False

    def signal(self, name: str, source: str = "harness") -> None:
        """Raise ``name``; every present and future wait for it returns."""
        with self._condition:
            self._raised.add(name)
            self._condition.notify_all()
        if self._transcript is not None:
            self._transcript.record(source, f"signal {name}")

    def wait(self, name: str, timeout: float, source: str = "harness") -> bool:
        """Block until ``name`` is raised; False on timeout or abort."""
        with self._condition:
            raised = self._condition.wait_for(lambda: name in self._raised or self._aborted, timeout)
            raised = name in self._raised
        if self._transcript is not None:
            outcome = "ok" if raised else ("aborted" if self._aborted else f"timed out after {timeout:g}s")
            self._transcript.record(source, f"wait {name}: {outcome}")
        return raised

    def abort(self) -> None:
        """Wake every waiter for good: nothing more will be signalled."""
        with self._condition:
            self._aborted = True
            self._condition.notify_all()

    @property
    def aborted(self) -> bool:
        return self._aborted
