"""Addresses, name resolution and the original's failure messages (spec §2, §3.2).

Kept apart from the socket classes so that the rules are one table each:

* an address that parses as IPv4 (the permissive ``inet_aton`` syntax, so
  ``"127.1"`` is ``127.0.0.1``) is used directly; anything else is a host name
  for the system resolver, and every address it returns is tried in order;
* an OS error becomes the descriptive message the 2001 library returned for
  that operation, spelling included (``"address not availabe"``), because
  those strings are what callers of ``connect``/``bind`` compare against.
"""

from __future__ import annotations

import errno
import functools
import socket
from collections.abc import Mapping

# Host names are passed to the resolver as bytes: one byte per character, no
# IDNA step (which would raise on long labels rather than fail the lookup).
_NAME_ENCODING = "latin-1"

HOST_NOT_FOUND = "host not found"
UNKNOWN_ERROR = "unknown error"
LISTEN_ERROR = "listen error"

_RESOLVER_MESSAGES: Mapping[int, str] = {
    socket.EAI_NONAME: HOST_NOT_FOUND,
    socket.EAI_AGAIN: "name server unavailable, try again later",
    socket.EAI_FAIL: "name server error",
    getattr(socket, "EAI_NODATA", -5): "unable to resolve host name",
}
# h_errno values reported by gethostbyaddr (netdb.h).
_H_ERRNO_MESSAGES: Mapping[int, str] = {
    1: HOST_NOT_FOUND,
    2: "name server unavailable, try again later",
    3: "name server error",
    4: "unable to resolve host name",
}

CREATE_MESSAGES: Mapping[int, str] = {
    errno.EACCES: "access denied",
    errno.EMFILE: "descriptor table is full",
    errno.ENFILE: "too many open files",
    errno.ENOBUFS: "insuffucient buffer space",
    errno.ENOMEM: "insuffucient buffer space",
}
BIND_MESSAGES: Mapping[int, str] = {
    errno.EBADF: "invalid descriptor",
    errno.EINVAL: "socket already bound",
    errno.EACCES: "access denied",
    errno.ENOTSOCK: "not a socket descriptor",
    errno.EADDRINUSE: "address already in use",
    errno.EADDRNOTAVAIL: "address unavailable",
    errno.ENOMEM: "out of memory",
}
CONNECT_MESSAGES: Mapping[int, str] = {
    errno.EBADF: "invalid descriptor",
    errno.ENOTSOCK: "not a socket descriptor",
    errno.EADDRNOTAVAIL: "address not availabe",
    errno.ETIMEDOUT: "connection timed out",
    errno.ECONNREFUSED: "connection refused",
    errno.EACCES: "access denied",
    errno.EPERM: "access denied",
    errno.ENETUNREACH: "network is unreachable",
    errno.EADDRINUSE: "address already in use",
}


def os_message(error: OSError, table: Mapping[int, str]) -> str:
    """The original's message for an OS error in one operation."""
    return table.get(error.errno or 0, UNKNOWN_ERROR)


def resolver_message(error: Exception) -> str:
    """The original's message for a failed lookup."""
    if isinstance(error, socket.herror):
        return _H_ERRNO_MESSAGES.get(error.errno or 0, UNKNOWN_ERROR)
    if isinstance(error, socket.gaierror):
        return _RESOLVER_MESSAGES.get(error.errno or 0, UNKNOWN_ERROR)
    return HOST_NOT_FOUND  # a name the resolver cannot even be asked about


@functools.lru_cache(maxsize=256)
def parse_ip(text: str) -> str | None:
    """The dotted form of an IPv4 literal, or None if ``text`` is not one.

    Cached: ``sendto`` parses its address for every datagram, and a server
    answers the same few peers over and over.
    """
    try:
        return socket.inet_ntoa(socket.inet_aton(text))
    except (OSError, ValueError, UnicodeError):
        return None


def forward_lookup(name: str) -> tuple[str, list[str], list[str]]:
    """``(canonical name, aliases, addresses)``; raises what the resolver raises."""
    try:
        encoded = name.encode(_NAME_ENCODING)
    except UnicodeEncodeError as error:
        raise ValueError(name) from error
    if b"\0" in encoded:  # no C string holds it; Python's resolver would raise TypeError
        raise ValueError(name)
    return socket.gethostbyname_ex(encoded)  # type: ignore[arg-type]


def reverse_lookup(ip: str) -> tuple[str, list[str], list[str]]:
    """``(name, aliases, addresses)`` for an IP; raises what the resolver raises."""
    return socket.gethostbyaddr(ip)


def resolve(address: str) -> list[str] | str:
    """Addresses to try for ``address``, or the failure message."""
    ip = parse_ip(address)
    if ip is not None:
        return [ip]
    try:
        return forward_lookup(address)[2] or HOST_NOT_FOUND
    except (OSError, ValueError, UnicodeError) as error:
        return resolver_message(error)
