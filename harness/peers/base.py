"""The script interpreter every scripted peer shares.

A peer is the other end of the candidate's socket: set up before the steps
run (so its address can be referenced), then running its script in its own
thread, concurrently with the candidate's calls. The two sides are ordered
only by sync signals. An action that fails (a mismatch, a timeout, a socket
error) stops the script and is kept as a ``PeerFailure`` naming the peer, the
action and its file:line; the runner turns it into a FAIL.

Stopping is cooperative and prompt: a stop flag, the sync board aborted, and
every socket shut down and closed, which wakes any blocking call.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from harness.matching import describe, exact_bytes, match_value
from harness.peers.sync import SyncBoard
from harness.scenario.model import Env, PeerAction, PeerSpec, SourceLocation
from harness.scenario.refs import UnresolvedRef, resolve
from harness.threadtimes import record_end
from harness.transcript import Transcript
from harness.values import LuaValue, long_difference, lua_repr

Action = Callable[[Mapping[str, Any]], None]

TRANSCRIPT_LIMIT = 80
"""Bytes of data shown per transcript line; the full length is always given."""


@dataclass(frozen=True)
class PeerContext:
    """What every peer of one scenario shares with the steps."""

    board: SyncBoard
    transcript: Transcript
    env: Env  # live: steps save variables into it while peers run
    time_scale: float = 1.0
    default_timeout: float = 5.0

    def timeout(self, given: Any) -> float:
        """A peer-side bound in seconds: the given one (or the default), scaled."""
        base = self.default_timeout if given is None else float(given)
        return base * self.time_scale


@dataclass(frozen=True)
class PeerFailure:
    """Why a peer's script stopped early."""

    peer: str
    op: str
    location: SourceLocation | None
    message: str
    expected: str = ""
    received: str = ""
    at: float = 0.0
    difference: str = ""  # two long strings shown around their first difference, if that was the failure
    gave_up: bool = False  # the peer's own wait ran out (PeerTimeout), rather than something wrong arriving

    @property
    def reason(self) -> str:
        where = f" ({self.location})" if self.location else ""
        text = f"peer {self.peer}: {self.op}{where}: {self.message}"
        if self.difference:
            text += f": {self.difference}"
        elif self.expected or self.received:
            text += f"; expected {self.expected or '-'}, received {self.received or '-'}"
        return text


class ScriptAborted(Exception):
    """The sync board was aborted (another peer failed): end quietly."""


class PeerActionError(Exception):
    """Raised by an action to fail the peer with an expected/received pair."""

    def __init__(self, message: str, expected: str = "", received: str = "", difference: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.received = received
        self.difference = difference


class PeerTimeout(PeerActionError):
    """The peer gave up waiting (for the candidate, or a signal) after its own timeout.

    Kept apart from a wrong answer because it says nothing the candidate
    did, only that nothing came: if the candidate was stuck in a call
    meanwhile, the call's own timeout is the verdict (see the runner).
    """


def mismatch(message: str, expect: Any, data: bytes, env: Env) -> PeerActionError:
    """The error for data a peer received that ``expect`` refused.

    Against one exact string, two strings too long to show whole are
    compared around their first difference: cut on their own (200 bytes
    expected, 80 received) they showed the same head and no difference.
    """
    wanted = exact_bytes(expect, env)
    if wanted is None:
        return PeerActionError(message, expected=describe(expect, env), received=show(data))
    difference = long_difference(wanted, data, TRANSCRIPT_LIMIT) or ""
    return PeerActionError(message, expected=show(wanted), received=show(data), difference=difference)


def check_datagram(params: Mapping[str, Any], data: bytes, port: int, env: Env) -> None:
    """Refuse a received datagram that ``expect`` or ``from-port`` in ``params`` does not accept."""
    expect = params.get("expect")
    if expect is not None and not match_value(expect, data, env):
        raise mismatch("received datagram does not match", expect, data, env)
    from_port = params.get("from-port")
    if from_port is not None and not match_value(from_port, port, env):
        raise PeerActionError("datagram from the wrong port", expected=describe(from_port, env),
                              received=str(port))


def show(data: bytes) -> str:
    """Data for a transcript line: Lua-quoted and cut to ``TRANSCRIPT_LIMIT``."""
    return lua_repr(data, limit=TRANSCRIPT_LIMIT)


def as_host(value: LuaValue) -> str:
    """A Lua string or text naming a host, as the socket module wants it."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    raise PeerActionError(f"host must be a string, got {lua_repr(value)}")


def as_port(value: LuaValue) -> int:
    """A Lua number naming a port (Lua has no integer type: 80.0 is 80)."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    try:
        port = int(float(value))
    except (TypeError, ValueError):
        raise PeerActionError(f"port must be a number, got {lua_repr(value)}") from None
    if port != float(value) or not 0 <= port <= 65535:
        raise PeerActionError(f"port out of range: {lua_repr(value)}")
    return port


def family_for(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class ScriptedPeer:
    """Runs one ``PeerSpec``'s script; subclasses add their kind's actions.

    Subclasses implement ``setup`` (open and bind sockets; fill ``host`` and
    ``port``) and ``actions`` (their ops, merged with the common ones).
    """

    kind: ClassVar[str] = ""

    def __init__(self, spec: PeerSpec, context: PeerContext) -> None:
        self.spec = spec
        self.name = spec.name
        self.context = context
        self.host = "127.0.0.1"
        self.port = 0
        self.failures: list[PeerFailure] = []
        self.current: PeerAction | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._sockets: list[socket.socket] = []
        self._sockets_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._source = f"peer:{self.name}"

    # -- lifecycle (called by the runner's thread) --------------------------

    def setup(self) -> None:
        """Open the peer's sockets before any step runs."""

    def actions(self) -> dict[str, Action]:
        """The ops this peer understands, keyed by their scenario names."""
        return {"signal": self._signal, "wait": self._wait, "sleep": self._sleep}

    def env_values(self) -> dict[str, LuaValue]:
        """``<name>.host`` / ``<name>.port`` for ``!ref``; Lua strings are bytes."""
        return {f"{self.name}.host": self.host.encode("latin-1"), f"{self.name}.port": self.port}

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name=f"lsconform-peer-{self.name}", daemon=True)
        self._thread = thread
        thread.start()

    def wait_done(self, timeout: float) -> bool:
        """Wait for the script to finish (or fail); False if still running."""
        return self._done.wait(timeout) if self._thread is not None else True

    def stop(self, join_timeout: float = 2.0) -> bool:
        """Stop the script and close every socket; True if the thread ended."""
        self._stop.set()
        with self._sockets_lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            quiet_close(sock)
        if self._thread is None:
            return True
        self._thread.join(join_timeout)
        return not self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- helpers for actions ------------------------------------------------

    def track(self, sock: socket.socket) -> socket.socket:
        """Register a socket so that ``stop`` closes it."""
        with self._sockets_lock:
            if self._stop.is_set():
                quiet_close(sock)
                raise PeerActionError("peer stopped")
            self._sockets.append(sock)
        return sock

    def forget(self, sock: socket.socket) -> None:
        with self._sockets_lock:
            if sock in self._sockets:
                self._sockets.remove(sock)

    def value(self, raw: Any) -> LuaValue:
        """A parameter with its Refs resolved from the live environment."""
        try:
            return resolve(raw, self.context.env)
        except UnresolvedRef as missing:
            raise PeerActionError(str(missing)) from None

    def note(self, text: str) -> None:
        self.context.transcript.record(self._source, text)

    def pause(self, seconds: float) -> bool:
        """Let time pass on purpose; True if the peer was stopped meanwhile."""
        return self._stop.wait(seconds)

    # -- the interpreter ----------------------------------------------------

    def _run(self) -> None:
        table = self.actions()
        try:
            for action in self.spec.script:
                if self._stop.is_set():
                    return
                self.current = action
                handler = table.get(action.op)
                try:
                    if handler is None:
                        raise PeerActionError(f"{self.kind} peers have no action {action.op!r}")
                    handler(action.params)
                except ScriptAborted:
                    self.note(f"script aborted at {action.op}")
                    return
                except PeerActionError as error:
                    self._fail(action, error.message, error.expected, error.received, error.difference,
                               gave_up=isinstance(error, PeerTimeout))
                    return
                except OSError as error:
                    self._fail(action, f"socket error: {error}")
                    return
                except Exception:  # a harness bug: keep the traceback in the report
                    self._fail(action, "internal error:\n" + traceback.format_exc())
                    return
            self.current = None
        finally:
            record_end()  # the bench's peer meter may be timing this thread (harness.threadtimes)
            self._done.set()

    def _fail(self, action: PeerAction, message: str, expected: str = "", received: str = "",
              difference: str = "", gave_up: bool = False) -> None:
        if self._stop.is_set():
            return  # torn down on purpose: errors from closed sockets mean nothing
        failure = PeerFailure(self.name, action.op, action.location, message, expected, received,
                              at=self.context.transcript.elapsed(), difference=difference, gave_up=gave_up)
        self.failures.append(failure)
        self.note(f"FAILED {failure.reason}")
        self.context.board.abort()

    # -- common actions -----------------------------------------------------

    def _signal(self, params: Mapping[str, Any]) -> None:
        self.context.board.signal(str(params["name"]), source=self._source)

    def _wait(self, params: Mapping[str, Any]) -> None:
        name = str(params["name"])
        timeout = self.context.timeout(params.get("timeout"))
        if self.context.board.wait(name, timeout, source=self._source) or self._stop.is_set():
            return
        if self.context.board.aborted:
            raise ScriptAborted(name)
        raise PeerTimeout(f"signal {name!r} was not raised within {timeout:g}s")

    def _sleep(self, params: Mapping[str, Any]) -> None:
        seconds = float(params["seconds"])
        self.note(f"sleep {seconds:g}s")
        self.pause(seconds)


def quiet_close(sock: socket.socket) -> None:
    """Shut down then close: a plain close does not wake a thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
