"""The actions of a connected TCP peer, shared by both TCP peer kinds.

Kept apart from how the connection came to be (``accept`` on the server
peer, ``connect`` on the client peer): both hand the connected socket to a
``StreamActions`` and get the same ``send``/``recv``/``shutdown``/``reset``
vocabulary, with the same checks and transcript lines.
"""

from __future__ import annotations

import errno
import socket
import struct
import time
from collections.abc import Mapping
from typing import Any

from harness.matching import describe, exact_bytes, match_value
from harness.peers.base import Action, PeerActionError, PeerTimeout, ScriptedPeer, mismatch, show

_SHUTDOWN_HOW = {"write": socket.SHUT_WR, "read": socket.SHUT_RD, "both": socket.SHUT_RDWR}
_CHUNK = 65536
BULK_BLOCK = 1 << 20
"""Bytes per write when ``send`` repeats its data (``times``): one preallocated block of whole
copies, so a 64 MiB stream costs 64 system calls and no per-copy Python work."""


def split_slices(data: bytes, slices: list[int] | None) -> list[bytes]:
    """Cut ``data`` into pieces of the given sizes; what remains is one last piece.

    ``[1, 2]`` on ``b"abcdef"`` gives ``a``, ``bc``, ``def``. Sizes beyond the
    end of the data give shorter (or no) pieces; empty data is one empty send.
    """
    if not slices:
        return [data]
    pieces: list[bytes] = []
    offset = 0
    for size in slices:
        if size < 0:
            raise PeerActionError(f"slice sizes must be >= 0, got {size}")
        if offset >= len(data):
            break
        pieces.append(data[offset:offset + size])
        offset += size
    if offset < len(data):
        pieces.append(data[offset:])
    return pieces or [data]


def set_nodelay(sock: socket.socket) -> socket.socket:
    """Every slice leaves as its own segment, so slicing is observable."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class StreamActions:
    """send/recv/close actions over the peer's current connection."""

    def __init__(self, peer: ScriptedPeer) -> None:
        self.peer = peer
        self.connection: socket.socket | None = None

    def actions(self) -> dict[str, Action]:
        return {
            "send": self.send,
            "recv": self.recv,
            "recv-until-close": self.recv_until_close,
            "expect-close": self.expect_close,
            "shutdown": self.shutdown,
            "close": self.close,
            "reset": self.reset,
            "echo": self.echo,
        }

    def attach(self, sock: socket.socket) -> None:
        """Make ``sock`` the connection the stream actions work on."""
        self.connection = set_nodelay(self.peer.track(sock))

    def _conn(self) -> socket.socket:
        if self.connection is None:
            raise PeerActionError("no connection (accept or connect first)")
        return self.connection

    def send(self, params: Mapping[str, Any]) -> None:
        data = self.peer.value(params["data"])
        if not isinstance(data, bytes):
            raise PeerActionError(f"send data must be a string, got {data!r}")
        slices = params.get("slices")
        delay = float(params.get("delay") or 0.0)
        conn = self._conn()
        if "times" in params:
            if slices or delay:
                raise PeerActionError("send with times takes neither slices nor delay")
            self._send_repeated(conn, data, int(params["times"]))
            return
        pieces = split_slices(data, [int(size) for size in slices] if slices else None)
        for index, piece in enumerate(pieces):
            if index and delay and self.peer.pause(delay):
                return
            conn.sendall(piece)
            part = f" (slice {index + 1}/{len(pieces)})" if len(pieces) > 1 else ""
            self.peer.note(f"sent {show(piece)}{part}")

    def _send_repeated(self, conn: socket.socket, data: bytes, times: int) -> None:
        """``data`` ``times`` times in a row, written a block of whole copies at a time."""
        if data and times:
            copies = max(1, BULK_BLOCK // len(data))
            block = memoryview(data * copies)
            whole, rest = divmod(times, copies)
            for _ in range(whole):
                conn.sendall(block)
            if rest:
                conn.sendall(block[:rest * len(data)])
        self.peer.note(f"sent {show(data)} x{times} ({len(data) * times} bytes)")

    def echo(self, params: Mapping[str, Any]) -> None:
        """``count`` times: read exactly ``length`` bytes and send them straight back.

        The request/response partner of a ping-pong workload: the fewest
        Python operations per exchange, so that the peer is never what limits it.
        """
        length, count = int(params["length"]), int(params["count"])
        if length < 1:
            raise PeerActionError("echo length must be at least 1 byte")
        timeout = self.peer.context.timeout(params.get("timeout"))
        conn = self._conn()
        buffer = memoryview(bytearray(length))
        conn.settimeout(timeout)
        try:
            for number in range(1, count + 1):
                got = 0
                while got < length:
                    received = conn.recv_into(buffer[got:], length - got)
                    if not received:
                        raise PeerActionError(f"end of stream in exchange {number} of {count}, after {got} "
                                              f"of {length} bytes")
                    got += received
                conn.sendall(buffer)
        except TimeoutError:
            raise PeerTimeout(f"exchange {number} of {count}: no request within {timeout:g}s") from None
        finally:
            conn.settimeout(None)
        self.peer.note(f"echoed {count} messages of {length} bytes")

    def recv(self, params: Mapping[str, Any]) -> None:
        expect = params.get("expect")
        exact = self._exact(expect)
        count = params.get("count")
        if count is None:
            if exact is None:
                raise PeerActionError("recv needs a count unless expect is one exact string")
            count = len(exact)
        count = int(self.peer.value(count))
        timeout = self.peer.context.timeout(params.get("timeout"))
        data = self._read(count, timeout, expect, exact)
        self.peer.note(f"received {show(data)}")
        self._check(expect, data)

    def recv_until_close(self, params: Mapping[str, Any]) -> None:
        timeout = self.peer.context.timeout(params.get("timeout"))
        expect = params.get("expect")
        data = self._read(None, timeout, expect, self._exact(expect))
        self.peer.note(f"received {show(data)} then end of stream")
        self._check(expect, data)

    def expect_close(self, params: Mapping[str, Any]) -> None:
        timeout = self.peer.context.timeout(params.get("timeout"))
        conn = self._conn()
        conn.settimeout(timeout)
        try:
            data = conn.recv(_CHUNK)
        except TimeoutError:
            raise PeerTimeout(f"the candidate did not close within {timeout:g}s") from None
        except ConnectionResetError:
            self.peer.note("connection reset by the candidate (counts as closed)")
            return
        if data:
            raise PeerActionError("data instead of a close", expected="end of stream",
                                  received=show(data))
        self.peer.note("end of stream")

    def shutdown(self, params: Mapping[str, Any]) -> None:
        how = str(params.get("how") or "write")
        if how not in _SHUTDOWN_HOW:
            raise PeerActionError(f"shutdown how must be one of {sorted(_SHUTDOWN_HOW)}, got {how!r}")
        self._conn().shutdown(_SHUTDOWN_HOW[how])
        self.peer.note(f"shutdown {how}")

    def close(self, params: Mapping[str, Any]) -> None:
        conn = self._conn()
        self.connection = None
        self.peer.forget(conn)
        conn.close()
        self.peer.note("closed the connection")

    def reset(self, params: Mapping[str, Any]) -> None:
        """Abort the connection: SO_LINGER on with a zero timeout makes close send RST."""
        conn = self._conn()
        self.connection = None
        self.peer.forget(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        self.peer.note("reset the connection (RST)")

    def _exact(self, expect: Any) -> bytes | None:
        """The one string ``expect`` demands, if it demands one (``_read`` stops at a contradicting byte)."""
        return None if expect is None else exact_bytes(expect, self.peer.context.env)

    def _read(self, count: int | None, timeout: float, expect: Any, exact: bytes | None) -> bytes:
        """Read ``count`` bytes, or to end of stream when ``count`` is None.

        A read cut short names what ``expect`` wanted beside what came: "end
        of stream after 4 of 13 bytes" alone does not say which 13. Against
        one exact string, a byte that contradicts it ends the read at once:
        waiting for the rest could only end in the same mismatch, or, if the
        candidate sends no more, in this peer's own timeout, a wait that ran
        out (``PeerTimeout``) where the data was plainly wrong, racing the
        candidate's call for the verdict. ``exact`` is that string
        (``_exact``), given by the caller, which may already have needed it.
        """
        conn = self._conn()
        expected = "" if expect is None else describe(expect, self.peer.context.env)
        deadline = time.monotonic() + timeout
        buffer = bytearray()
        wanted = "end of stream" if count is None else f"{count} bytes"
        while count is None or len(buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeerTimeout(f"timed out after {timeout:g}s waiting for {wanted}",
                                  expected=expected, received=show(bytes(buffer)))
            conn.settimeout(remaining)
            try:
                chunk = conn.recv(_CHUNK if count is None else count - len(buffer))
            except TimeoutError:
                continue
            except OSError as error:
                if error.errno != errno.ECONNRESET:
                    raise
                raise PeerActionError(f"connection reset by the candidate while waiting for {wanted}",
                                      expected=expected, received=show(bytes(buffer))) from None
            if not chunk:
                if count is None:
                    break
                raise PeerActionError(f"end of stream after {len(buffer)} of {count} bytes",
                                      expected=expected, received=show(bytes(buffer)))
            buffer += chunk
            if exact is not None and not exact.startswith(buffer):
                self._check(expect, bytes(buffer))  # not a prefix of the one string wanted: a mismatch
        return bytes(buffer)

    def _check(self, expect: Any, data: bytes) -> None:
        env = self.peer.context.env
        if expect is not None and not match_value(expect, data, env):
            raise mismatch("received data does not match", expect, data, env)

