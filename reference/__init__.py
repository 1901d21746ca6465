"""Reference implementation of the LuaSocket 1.3b transport API, in Python.

Use it as the manual uses the Lua globals::

    import reference as ls

    server, = ls.bind("127.0.0.1", 0)
    ip, port = server.getsockname()
    client, = ls.connect(ip, port)
    peer, = server.accept()
    client.send(b"hello\\r\\n", b"world\\n")   # -> (None, 13)
    peer.receive("*l", "*l")                  # -> (b"hello", b"world", None)
    ls.close(client)                          # global and method forms agree

How Lua maps to Python (the contract; see README.md for the full table):

* Every function and method returns a ``tuple``: the Lua return list,
  ``()`` for "returns nothing", e.g. ``(sock,)`` or
  ``(None, "connection refused")``. A nil the Lua code returns on purpose
  (receive's final error code) is kept as a trailing ``None``.
* nil is ``None``; a trailing ``None`` argument counts as absent.
* Data strings are ``bytes`` both ways (``str`` and numbers are accepted on
  the way in). Error codes (``"timeout"``, ``"closed"``, ``"refused"``),
  error messages, IP addresses and host names are ``str``; ports are ``int``.
* Tables: ``select`` takes lists, tuples or dicts (and None) and returns
  lists of the same socket objects; ``udpsocket`` takes a dict; resolver
  results are ``{"name": str, "alias": [str], "ip": [str]}``.
* Misuse raises :class:`LuaError` whose message is the spec's detail text
  (``"invalid receive pattern"``, ``"operation on closed socket"``...).
  Network conditions never raise; they are returned values.

Socket objects are :class:`TcpClient`, :class:`TcpServer` and
:class:`UdpSocket`; each has a ``kind`` ("tcp-client", "tcp-server", "udp")
and exactly the methods the manual lists for it. Deliberate differences from
the 2001 release are listed in ``reference/DIVERGENCES.md``.

The SMTP, HTTP and FTP clients (``smtp_mail``, ``mail``, ``http_*``,
``ftp_*``, ``base64``, ``unbase64``) live in :mod:`reference.protocols` and are
exported here too.
"""

from reference import protocols
from reference.api import (
    accept,
    close,
    getpeername,
    getsockname,
    receive,
    receivefrom,
    send,
    sendto,
    setpeername,
    setsockname,
    timeout,
)
from reference.dns import tohostname, toip
from reference.errors import LuaError
from reference.protocols import *  # noqa: F403  (the clients; protocols.__all__ lists them once)
from reference.selecting import select
from reference.tcp import TcpClient, TcpServer, bind, connect
from reference.udp import UdpSocket, udpsocket

__version__ = "1.3b"

__all__ = [
    "LuaError",
    "TcpClient",
    "TcpServer",
    "UdpSocket",
    "accept",
    "bind",
    "close",
    "connect",
    "getpeername",
    "getsockname",
    "receive",
    "receivefrom",
    "select",
    "send",
    "sendto",
    "setpeername",
    "setsockname",
    "timeout",
    "tohostname",
    "toip",
    "udpsocket",
    *protocols.__all__,
]
