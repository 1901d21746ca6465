"""The two ways a LuaSocket call can fail, in Python terms.

LuaSocket separates the caller's misuse from the network's misbehaviour, and
the reference keeps that split:

* **Misuse raises.** A Lua function that is handed a bad argument, or asked to
  work on a closed socket, throws a Lua error. Here that is :class:`LuaError`,
  whose ``message`` (and ``str()``) is the detail text the behaviour spec
  gives, e.g. ``"invalid receive pattern"``.
* **Network conditions are returned.** Timeouts, a closed peer, a refused
  datagram, an unknown host: these come back as values (``"timeout"``,
  ``"closed"``, ``"refused"``, or a descriptive message such as
  ``"connection refused"``). They are plain ``str`` constants, defined here so
  that no module spells them twice.
"""

from __future__ import annotations

TIMEOUT = "timeout"
CLOSED = "closed"
REFUSED = "refused"

CLOSED_SOCKET = "operation on closed socket"


class LuaError(Exception):
    """A Lua error raised by the API (the caller misused it).

    ``message`` is the spec's detail text, exactly; ``str(err)`` is the same
    text, so a protected call in a harness can report it verbatim.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def closed_socket_error() -> LuaError:
    """The error every method but ``close`` raises once the socket is closed."""
    return LuaError(CLOSED_SOCKET)
