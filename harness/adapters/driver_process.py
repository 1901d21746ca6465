"""A driver child process: pipes read and written against deadlines, and a sure end.

The adapter above speaks the protocol; this module only moves lines and keeps
the process in check, in one thread and without helper threads:

* the driver runs in its own process group (``start_new_session``), so the
  children it started are killed with it, as long as they stay in that group:
  one that starts a session of its own (``setsid``) or joins another group
  survives, and drivers/PROTOCOL.md section 8 asks drivers not to do that;
* every wait is a ``poll`` bounded by an absolute deadline, and while waiting
  for stdout (or for room on stdin) standard error is drained into a bounded
  tail, so a driver that floods stderr neither blocks nor grows memory;
* ``finish`` always ends in a reaped process: wait a grace period for it to
  exit by itself, kill the group, reap. The exited leader is left unreaped
  while the group is killed (``waitid`` with ``WNOWAIT``), so its process
  group id cannot be reused by an unrelated process in between;
* ``freeze`` stops the group (SIGSTOP) without ending it: a driver that
  missed a deadline keeps its sockets open until ``finish``, as a stuck
  call in process would.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from harness.adapters.driver_wire import excerpt

READ_CHUNK = 1 << 20
MAX_LINE = 1 << 30
"""Longest line accepted from a driver; beyond that it is garbage, not a message."""
PIPE_SIZE = 1 << 20
"""Pipe capacity asked for (Linux), so bulk payloads need fewer wake-ups."""
REAP_TIMEOUT = 5.0
FREEZE_WAIT = 1.0
"""Longest wait for a driver sent SIGSTOP to be seen stopped (it is at once, unless in a disk wait)."""
STDERR_KEEP = 64 * 1024
DRAIN_LIMIT = 16 * 1024 * 1024
"""Most stderr bytes read in one drain, so a flooding grandchild cannot stall ``finish``."""
FOLLOWING_LINES = 8
"""How many of the lines after one that is no message a CRASH quotes."""
FOLLOWING_BYTES = 1 << 16
"""How much of stdout beyond the last line read is looked at for them."""
SHOWN_PENDING = 120
"""How much of a line that never ended a timeout message shows."""


class DriverGone(Exception):
    """The driver's standard output ended, or its standard input was closed under us."""


class DriverSilent(Exception):
    """The deadline passed before a complete line (or room to write) arrived.

    ``pending`` is what did arrive of the line: a driver that forgets the newline (``io.write``
    of the JSON alone) looks silent, and these bytes are what shows the author why.
    """

    def __init__(self, pending: bytes = b"") -> None:
        super().__init__()
        self.pending = pending

    def note(self) -> str:
        """``""``, or what came without a newline, for the end of a message."""
        if not self.pending:
            return ""
        shown = self.pending[:SHOWN_PENDING].decode("utf-8", "replace")
        more = " ..." if len(self.pending) > SHOWN_PENDING else ""
        return f" (it wrote {len(self.pending)} bytes with no newline: {shown!r}{more})"


class LineTooLong(Exception):
    """More than ``MAX_LINE`` bytes arrived without a newline."""


class StderrTail:
    """The last ``keep`` bytes a driver wrote to standard error."""

    def __init__(self, keep: int = STDERR_KEEP) -> None:
        self._keep = keep
        self._data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._data += chunk
        if len(self._data) > 2 * self._keep:
            del self._data[: len(self._data) - self._keep]

    def text(self, max_lines: int = 40, max_chars: int = 4000) -> str:
        """The tail as text, cut to whole lines where possible, with how much came before."""
        data = bytes(self._data[-self._keep:])
        lines = data.decode("utf-8", "replace").splitlines()[-max_lines:]
        text = "\n".join(lines)
        if len(text) > max_chars:
            text = text[-max_chars:]
        shown = len(text.encode("utf-8", "replace"))
        if self.total > shown + 1:
            text = f"[... {self.total - shown} earlier bytes of stderr not shown]\n{text}"
        return text


def describe_status(status: int | None, killed: bool = False) -> str:
    """How a driver ended, for a CRASH message."""
    if killed:
        return "did not exit by itself and was killed"
    if status is None:
        return "could not be reaped"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"


class DriverProcess:
    """One running driver; ``finish`` must be called to end it."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str] | None = None,
                 cwd: str | None = None, max_line: int = MAX_LINE) -> None:
        full_env = None if env is None else {**os.environ, **env}
        self._popen = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            bufsize=0, start_new_session=True, env=full_env, cwd=cwd, close_fds=True,
        )
        assert self._popen.stdin and self._popen.stdout and self._popen.stderr
        self._in = self._popen.stdin.fileno()
        self._out = self._popen.stdout.fileno()
        self._err: int | None = self._popen.stderr.fileno()
        for fd in (self._in, self._out, self._err):
            os.set_blocking(fd, False)
        for fd in (self._in, self._out):
            _enlarge_pipe(fd)
        self._out_open = True
        self._buffer = bytearray()
        self._scanned = 0
        self._max_line = max_line
        self.stderr = StderrTail()
        self.status: int | None = None
        self.killed = False
        self._finished = False
        self._frozen = False

    @property
    def pid(self) -> int:
        return self._popen.pid

    # -- lines ---------------------------------------------------------------

    def send(self, data: bytes, deadline: float) -> None:
        """Write all of ``data`` to the driver's stdin before ``deadline``."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._in, view)
            except BlockingIOError:
                self._wait(deadline, writing=True)
                continue
            except (BrokenPipeError, ValueError, OSError) as error:
                why = error.__class__.__name__
                raise DriverGone(f"the driver stopped reading its input ({why})") from None
            view = view[written:]

    def read_line(self, deadline: float) -> bytes:
        """The next line from stdout, without its newline."""
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            if self._scanned > self._max_line:
                raise LineTooLong(f"more than {self._max_line} bytes without a newline")
            if not self._out_open:
                if self._buffer:
                    raise DriverGone(f"output ended inside a line ({len(self._buffer)} bytes, no newline)")
                raise DriverGone("output ended")
            try:
                self._wait(deadline, writing=False)
            except DriverSilent:
                raise DriverSilent(bytes(self._buffer)) from None

    def unread_lines(self, limit: int = FOLLOWING_LINES) -> list[bytes]:
        """The lines stdout holds right now beyond the last one read, without waiting: at most ``limit``.

        A driver that prints a stack trace to stdout gets its first line
        quoted as the offending one; the lines after it are what says where.
        """
        for _ in range(16):  # what arrived already; a flood is not read to its end
            if not self._out_open:
                break
            before = len(self._buffer)
            self._read_stdout()
            if len(self._buffer) == before or len(self._buffer) > FOLLOWING_BYTES:
                break
        lines = bytes(self._buffer[:FOLLOWING_BYTES]).split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        return lines[:limit]

    def following_note(self) -> str:
        """``; then on stdout: ...``, the :meth:`unread_lines` quoted for a message, or "" if none came."""
        lines = self.unread_lines()
        return f"; then on stdout: {', '.join(excerpt(line) for line in lines)}" if lines else ""

    def close_input(self) -> None:
        """End of input: a driver reads it as "bye" without an answer."""
        if self._popen.stdin and not self._popen.stdin.closed:
            with contextlib.suppress(OSError):
                self._popen.stdin.close()

    def _wait(self, deadline: float, writing: bool) -> None:
        """Block until stdin has room (``writing``) or stdout has data; serve stderr meanwhile."""
        poller = select.poll()
        if self._out_open:
            poller.register(self._out, select.POLLIN)
        if self._err is not None:
            poller.register(self._err, select.POLLIN)
        if writing:
            poller.register(self._in, select.POLLOUT)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DriverSilent()
            events = poller.poll(math.ceil(remaining * 1000))
            progressed = False
            for fd, event in events:
                if fd == self._err:
                    if not self._read_stderr():
                        poller.unregister(fd)
                elif fd == self._out:
                    self._read_stdout()
                    if not self._out_open:
                        poller.unregister(fd)
                    progressed = True
                elif fd == self._in and event & (select.POLLOUT | select.POLLERR | select.POLLHUP):
                    progressed = True
            if progressed:
                return

    def _read_stdout(self) -> None:
        try:
            chunk = os.read(self._out, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._buffer += chunk
        else:
            self._out_open = False

    def _read_stderr(self) -> bool:
        """Read what stderr has; False once it has ended."""
        if self._err is None:
            return False
        try:
            chunk = os.read(self._err, READ_CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            chunk = b""
        if not chunk:
            self._err = None
            return False
        self.stderr.feed(chunk)
        return True

    def drain_stderr(self) -> None:
        """Take whatever stderr holds right now, without waiting."""
        taken = 0
        start = self.stderr.total
        while self._err is not None and taken < DRAIN_LIMIT:
            try:
                chunk = os.read(self._err, READ_CHUNK)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._err = None
                return
            self.stderr.feed(chunk)
            taken = self.stderr.total - start

    def stderr_tail(self) -> str:
        self.drain_stderr()
        return self.stderr.text()

    # -- the end -------------------------------------------------------------

    def freeze(self) -> None:
        """Stop the driver's process group where it stands (SIGSTOP); ``finish`` kills it later.

        A driver that missed a call's deadline is judged with its sockets
        still open, as a call stuck in process is. Killed at once, it closed
        them, and a peer reading that close as the candidate's own failed
        within a millisecond of the call being judged: the verdict was FAIL
        or TIMEOUT by chance, and FAIL blamed the peer for the harness's kill.
        """
        if self._finished or self._frozen:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGSTOP)
        self._frozen = True
        _poll_until(self._popen.pid, os.WSTOPPED | os.WEXITED, FREEZE_WAIT, 0.001)  # it stops a moment later

    def finish(self, grace: float) -> int | None:
        """Let the driver exit within ``grace`` seconds, then kill its group and reap it.

        Returns the exit status (negative: killed by that signal), or None if
        the process could not be reaped at all; ``killed`` tells whether it
        had to be killed. Safe to call more than once. A frozen driver cannot
        exit by itself, so it gets no grace.
        """
        if self._finished:
            return self.status
        self._finished = True
        exited = _wait_exit_unreaped(self._popen.pid, 0.0 if self._frozen else grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        self.killed = not exited
        try:
            self.status = self._popen.wait(timeout=REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.status = None
        self.drain_stderr()
        for stream in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._err = None
        self._out_open = False
        return self.status

    @property
    def finished(self) -> bool:
        return self._finished


def _enlarge_pipe(fd: int) -> None:
    setter = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setter is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setter, PIPE_SIZE)


def _wait_exit_unreaped(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` for ``pid`` to exit, leaving it a zombie; True if it exited."""
    if _exited(pid):
        return True
    if timeout <= 0:
        return False
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return _poll_until(pid, os.WEXITED, timeout, 0.005)  # no pidfds: look every few milliseconds
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return bool(poller.poll(math.ceil(timeout * 1000)))
    finally:
        os.close(pidfd)


def _exited(pid: int) -> bool:
    return _reached(pid, os.WEXITED)


def _reached(pid: int, states: int) -> bool:
    """Whether ``pid`` is in one of ``states`` (``os.WEXITED``, ``os.WSTOPPED``), left waitable."""
    try:
        result = os.waitid(os.P_PID, pid, states | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return result is not None


def _poll_until(pid: int, states: int, timeout: float, interval: float) -> bool:
    """Look every ``interval`` seconds, for at most ``timeout``, until ``pid`` is in one of ``states``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _reached(pid, states):
            return True
        time.sleep(interval)
    return _reached(pid, states)
