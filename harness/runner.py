"""Run one scenario against one candidate and return its verdict.

The life of a run, every part of it bounded in time:

1. requirements: a capability the machine lacks -> SKIP, with the reason;
2. the API's environment variables set as the scenario says, all others of
   them unset (``harness.environment``), until the run's very end;
   a leak snapshot (sockets, threads, child processes of this process);
3. peers set up (their addresses become ``!ref`` variables) and started,
   fake servers included;
4. an adapter from the candidate spec, with the scenario's callbacks as its
   callback handler; the steps run in order (``harness.steps``; ``check``
   steps judged by ``harness.inspection``), stopping at the first
   non-acceptable one or after an outcome marked ``stop``;
5. peers given time to finish their scripts (not after a ``stop``: the
   steps they wait for may not have run); a peer failure is a FAIL;
6. teardown, always: the candidate's sockets released, the adapter closed,
   the peers stopped; then the leak check.

Nothing a scenario or candidate does escapes as an exception: a harness
error becomes CRASH with its traceback, so one bad scenario never ends a
run. The transcript is kept on every result except a PASS.

``ScenarioRun`` is that life, once: a perf workload's run
(``harness.bench.execution``) is a subclass that replaces only the step
loop (its timed part) and the callback handler (which counts round trips).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, replace

from harness import capabilities, environment, leaks
from harness.adapters.base import Adapter, CandidateSpec
from harness.callbacks import CallbackSet
from harness.inspection import Inspector
from harness.judging import Judgement
from harness.peers.base import PeerContext
from harness.peers.group import PeerGroup
from harness.peers.sync import SyncBoard
from harness.scenario.model import ACCEPTABLE_ORDER, Scenario, ScenarioResult, TranscriptEntry, Verdict
from harness.steps import ScenarioError, StepRunner
from harness.transcript import Transcript
from harness.values import LuaValue, lua_repr

MAX_WARNINGS = 3
"""Fake-server warnings repeated in one reason; the transcript has them all."""
LAST_LINE_SHOWN = 160
"""Characters of a peer's last transcript line shown in a TIMEOUT's reason."""


@dataclass(frozen=True)
class RunOptions:
    """Knobs for one run.

    ``time_scale`` multiplies every deadline, peer timeout and the upper
    bound of every ``within`` window (never the lower bound, sleeps or peer
    delays, which are what is being measured). ``capabilities`` None means
    "detect on this machine".
    """

    time_scale: float = 1.0
    default_deadline: float = 5.0
    capabilities: frozenset[str] | None = None
    leak_grace: float = 1.0


def run_scenario(
    scenario: Scenario, candidate: CandidateSpec, options: RunOptions | None = None
) -> ScenarioResult:
    """The verdict of ``scenario`` for ``candidate``; never raises."""
    options = options or RunOptions()
    started = time.monotonic()
    try:
        missing = _missing_requirement(scenario, options) or _candidate_unavailable(candidate)
        if missing is not None:
            return ScenarioResult(scenario.id, candidate.name, Verdict.SKIP, 0.0, reason=missing,
                                  step=str(scenario.location))
        if scenario.workload is not None:  # a perf workload: its timed step is a repeated call
            from harness.bench.execution import run_workload

            return run_workload(scenario, candidate, options).result
        return ScenarioRun(scenario, candidate, options).execute()
    except Exception:
        return ScenarioResult(scenario.id, candidate.name, Verdict.CRASH, time.monotonic() - started,
                              reason="harness error:\n" + traceback.format_exc(), step=str(scenario.location))


def _candidate_unavailable(candidate: CandidateSpec) -> str | None:
    why = candidate.unavailable() if candidate.unavailable is not None else None
    return f"candidate {candidate.name} is unavailable here: {why}" if why else None


def _missing_requirement(scenario: Scenario, options: RunOptions) -> str | None:
    for name in scenario.requires:
        why = capabilities.why_missing(name, options.capabilities)
        if why is not None:
            return f"requires {name}: {why}"
    return None


class ScenarioRun:
    """One execution; holds what teardown must release.

    ``execute`` is the whole life of the run and never changes; a subclass
    (the bench's workload run) changes what happens in the middle through
    two hooks: ``run_steps`` (the step loop) and ``handle_callback`` (the
    adapter's callback handler). Everything around them (the leak check,
    peers, adapter, inspector, the peers awaited and their failures folded
    in, the teardown) is shared, so a perf run is judged as any scenario.
    """

    def __init__(self, scenario: Scenario, candidate: CandidateSpec, options: RunOptions) -> None:
        self.scenario = scenario
        self.candidate = candidate
        self.options = options
        self.transcript = Transcript()
        self.board = SyncBoard(self.transcript)
        self.env: dict[str, LuaValue] = {}
        self.context = PeerContext(self.board, self.transcript, self.env, options.time_scale,
                                   options.default_deadline)
        self.peers: PeerGroup | None = None
        self.adapter: Adapter | None = None
        self.steps: StepRunner | None = None
        self.callbacks = CallbackSet(scenario.callbacks, self.transcript)
        self.sockets: leaks.SocketOwners | None = None  # made in _run, once the peers' sockets are open

    def execute(self) -> ScenarioResult:
        # Around everything, the teardown included: a driver started or closed here sees the same variables.
        with environment.scenario_environment(self.scenario.environment):
            return self._execute()

    def _execute(self) -> ScenarioResult:
        before = leaks.snapshot()
        try:
            judgement = self._run()
        except ScenarioError as error:
            judgement = Judgement(Verdict.CRASH, f"scenario error: {error}", at=self.transcript.elapsed())
        except Exception:
            judgement = Judgement(Verdict.CRASH, "harness error:\n" + traceback.format_exc(),
                                  at=self.transcript.elapsed())
        finally:
            teardown_errors = self._teardown()
        if teardown_errors and judgement.verdict in ACCEPTABLE_ORDER:
            judgement = Judgement(Verdict.CRASH, "teardown failed: " + "; ".join(teardown_errors))
        leaked = tuple(leaks.find_leaks(before, self.options.leak_grace, self.sockets))
        for leak in leaked:
            self.transcript.record("harness", f"leak: {leak}")
        if leaked and judgement.verdict in ACCEPTABLE_ORDER:
            # No step is to blame: an acceptable step's expected/actual would read as the cause.
            reason = "steps acceptable, but afterwards leaked: " + "; ".join(leaked)
            judgement = Judgement(Verdict.FAIL, reason, at=self.transcript.elapsed())
        return self._result(judgement, leaked)

    def _run(self) -> Judgement:
        scale = self.options.time_scale
        self.peers = PeerGroup(self.scenario.peers, self.context)
        self.env.update(self.peers.setup())
        self.peers.start()
        if self.scenario.environment:
            described = environment.describe(self.scenario.environment)
            self.transcript.record("harness", f"environment {described}")
        self.adapter = self.candidate.make_adapter()
        self.adapter.set_callback_handler(self.handle_callback)
        info = self.adapter.info
        self.transcript.record("harness", f"candidate {info.name} {info.version}")
        window = self.options.default_deadline * scale
        self.sockets = leaks.SocketOwners()  # the peers' sockets are open by now: not the candidate's
        inspector = Inspector(self.peers.servers(), self.callbacks, self.env, self.transcript, window)
        self.steps = StepRunner(self.adapter, self.env, self.board, self.transcript, time_scale=scale,
                                default_deadline=self.options.default_deadline,
                                peer_failed=lambda: bool(self.peers and self.peers.failures()),
                                inspector=inspector, call_ended=self.sockets.call_ended)
        judgement = self._with_server_warnings(self.run_steps())
        judgement = self._with_last_peer_lines(self._with_callback_counts(judgement))
        # Steps an outcome cut short may be what the peers were waiting for: they are not awaited.
        if judgement.verdict in ACCEPTABLE_ORDER and not self.steps.stopped_at:
            judgement = self._await_peers(judgement)
        return self._with_peer_failures(judgement)

    def run_steps(self) -> Judgement:
        """The step loop (a hook): every step in order, up to the first non-acceptable one.

        Called once peers, adapter and ``self.steps`` exist; whatever it
        returns still meets the peers awaited and their failures.
        """
        assert self.steps is not None
        return self.steps.run_all(self.scenario.steps)

    def handle_callback(self, name: str, args: tuple[LuaValue, ...]) -> tuple[LuaValue, ...]:
        """The adapter's callback handler (a hook): the scenario's callbacks answer the candidate."""
        return self.callbacks.handle(name, args)

    def _await_peers(self, judgement: Judgement) -> Judgement:
        """Let the peers finish their scripts; an unfinished one is a FAIL."""
        assert self.peers is not None
        window = self.options.default_deadline * self.options.time_scale
        unfinished = self.peers.wait_done(window)
        if not unfinished:
            return judgement
        peer = unfinished[0]
        action = peer.current
        where = str(action.location) if action and action.location else ""
        if action is None:
            doing = "still running"
        else:
            doing = f"still at {action.op}" + (f" ({where})" if where else "")
        reason = f"peer {peer.name} did not finish its script within {window:g}s: {doing}"
        return Judgement(Verdict.FAIL, reason, step=where, at=self.transcript.elapsed())

    def _with_server_warnings(self, judgement: Judgement) -> Judgement:
        """A call that FAILed names what a fake server warned of during it ("no route for get
        /index.html"): the server's 404 alone does not say the request was not the expected one."""
        assert self.peers is not None
        if judgement.verdict is not Verdict.FAIL or judgement.started is None:
            return judgement
        warnings = list(dict.fromkeys(self.peers.server_warnings(judgement.started, judgement.at)))
        if not warnings:
            return judgement
        shown = warnings[:MAX_WARNINGS] + ([f"{len(warnings) - MAX_WARNINGS} more"]
                                           if len(warnings) > MAX_WARNINGS else [])
        return replace(judgement, reason=f"{judgement.reason}; " + "; ".join(shown))

    def _with_callback_counts(self, judgement: Judgement) -> Judgement:
        """A call that timed out says how far its callbacks got ("source: 102169 calls, 2247718
        bytes served of 22 announced"): "no answer within 5s" alone hides a candidate that kept
        calling a source past its end."""
        if judgement.verdict is not Verdict.TIMEOUT or judgement.started is None:
            return judgement
        called = self.callbacks.called_summaries()
        if not called:
            return judgement
        return replace(judgement, reason=_added(judgement.reason, f"callbacks so far: {'; '.join(called)}"))

    def _with_last_peer_lines(self, judgement: Judgement) -> Judgement:
        """A call that timed out says what each peer or fake server did last while it ran ("last of
        srv at 0.010s: #1 << b'150 File status okay...'"): a client that never closed its FTP data
        connection leaves the server waiting after its 150, and the reason should point there
        rather than leave the reader to search the transcript."""
        if judgement.verdict is not Verdict.TIMEOUT or judgement.started is None:
            return judgement
        started = judgement.started
        last: dict[str, TranscriptEntry] = {}
        for entry in self.transcript.entries():
            if entry.source.startswith("peer:") and started <= entry.at <= judgement.at:
                last[entry.source] = entry
        if not last:
            return judgement
        shown = [f"last of {source.removeprefix('peer:')} at {entry.at:.3f}s: {_shortened(entry.text)}"
                 for source, entry in last.items()]
        return replace(judgement, reason=_added(judgement.reason, "; ".join(shown)))

    def _with_peer_failures(self, judgement: Judgement) -> Judgement:
        """A peer failure decides the verdict unless the candidate crashed or failed earlier.

        A call that FAILed while (or just after) a peer failed keeps the
        lead: the peer usually failed because of what that call did (a send
        on a socket that should have been closed reaches a peer expecting
        the close), so the call's own mismatch comes first and the peer's
        follows it. A call that timed out gives the lead to a peer that
        found something wrong during it: the timeout only followed from the
        peer stopping. But a peer that merely gave up waiting during that
        call saw the same stall from the other side, and which of the two
        clocks ran out first is chance (a peer's wait often starts just
        before the call): the call's TIMEOUT stays, the peer beside it, so
        the verdict is the same in every run.
        """
        assert self.peers is not None
        failures = self.peers.failures()
        if not failures:
            return judgement
        first = failures[0]
        if judgement.verdict is Verdict.CRASH:
            return judgement
        during = judgement.started is not None and first.at >= judgement.started
        if during and (judgement.verdict is Verdict.FAIL
                       or (judgement.verdict is Verdict.TIMEOUT and first.gave_up)):
            return replace(judgement, reason=_added(judgement.reason, f"meanwhile {first.reason}"))
        if judgement.verdict.is_failure and judgement.at < first.at:
            return judgement
        expected = (first.expected,) if first.expected else ()
        return Judgement(Verdict.FAIL, first.reason, str(first.location or ""), expected, first.received,
                         at=first.at)

    def _teardown(self) -> list[str]:
        """Release, close, stop; each part runs even if another failed."""
        errors = []
        self.callbacks.summarize()
        if self.adapter is not None:
            held = list(self.steps.handles.values()) if self.steps else []
            shown = ", ".join(lua_repr(handle) for handle in held) or "no sockets"
            self.transcript.record("harness", f"teardown: releasing {shown}")
            for label, action in (("release", lambda: self.adapter.release(held)),
                                  ("close adapter", self.adapter.close)):
                try:
                    action()
                except Exception as error:
                    errors.append(f"{label}: {error!r}")
                    self.transcript.record("harness", f"{label} failed:\n{traceback.format_exc()}")
        if self.peers is not None:
            try:
                for peer in self.peers.stop():
                    self.transcript.record("harness", f"peer {peer.name}: thread did not end")
            except Exception as error:
                errors.append(f"stop peers: {error!r}")
                self.transcript.record("harness", f"stop peers failed:\n{traceback.format_exc()}")
        return errors

    def _result(self, judgement: Judgement, leaked: tuple[str, ...]) -> ScenarioResult:
        keep = judgement.verdict is not Verdict.PASS
        transcript = self.transcript.entries() if keep else ()
        return ScenarioResult(
            scenario=self.scenario.id,
            candidate=self.candidate.name,
            verdict=judgement.verdict,
            duration=round(self.transcript.elapsed(), 6),
            reason=utf8_safe(judgement.reason),
            step=judgement.step,
            expected=tuple(utf8_safe(text) for text in judgement.expected),
            actual=utf8_safe(judgement.actual),
            transcript=tuple(replace(entry, text=utf8_safe(entry.text)) for entry in transcript),
            leaks=leaked,
        )


def _shortened(text: str, limit: int = LAST_LINE_SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _added(reason: str, more: str) -> str:
    """``reason; more``, with ``more`` after the first line: later lines (a stderr tail) stay last."""
    first, newline, rest = reason.partition("\n")
    return f"{first}; {more}{newline}{rest}"


def utf8_safe(text: str) -> str:
    """``text`` as it is, or with its lone surrogates written as ``\\udcXX`` escapes.

    A candidate's own text (an exception message decoded with surrogateescape)
    can hold code points that are not UTF-8; an xdist worker cannot send them
    to the controller, nor a report write them, and either would lose the run.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
