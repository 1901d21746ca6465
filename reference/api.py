"""The global-function call style: ``receive(sock, ...)`` is ``sock.receive(...)``.

The manual says every operation exists both as a global and as a method and
that the two are equivalent, so each global here looks the method up on the
socket it is given and returns exactly what the method returns, errors
included (the 2001 code swallowed them, and lacked ``timeout``,
``setpeername`` and ``setsockname`` as globals: DIVERGENCES.md #7, #8).
"""

from __future__ import annotations

from collections.abc import Callable

from reference.args import lua_type
from reference.base import SocketBase
from reference.errors import LuaError

Global = Callable[..., tuple[object, ...]]


def _global_form(name: str) -> Global:
    def call(*args: object) -> tuple[object, ...]:
        sock = args[0] if args else None
        if not isinstance(sock, SocketBase):
            raise LuaError("invalid socket object")
        method = getattr(sock, name, None)
        if not callable(method):
            raise LuaError(f"attempt to call a {lua_type(method)} value (method '{name}')")
        return method(*args[1:])  # type: ignore[no-any-return]

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{name}(sock, ...)``: the same as ``sock.{name}(...)``."
    return call


accept = _global_form("accept")
close = _global_form("close")
getpeername = _global_form("getpeername")
getsockname = _global_form("getsockname")
receive = _global_form("receive")
receivefrom = _global_form("receivefrom")
send = _global_form("send")
sendto = _global_form("sendto")
setpeername = _global_form("setpeername")
setsockname = _global_form("setsockname")
timeout = _global_form("timeout")
