"""The reference plus minimal streaming functions, to exercise driver callbacks in the self-test.

``http_requestindirect`` speaks just enough HTTP/1.1 (content-length bodies)
and hands the body to the receive callback in 100-byte chunks, then ""; a
send callback (the fifth argument), if any, supplies the request body;
``ftp_getindirect`` fetches with ``ftplib`` in active mode (PORT, as 1.3b
does) and calls back per block. Which of the two the hello claims is chosen
by the ``STREAMING_AREA`` environment variable ("http" by default; "none"
claims neither, for a driver whose every check but the callbacks applies).
"""

from __future__ import annotations

import ftplib
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from reference import *  # noqa: F403  (the whole transport API)
from reference import LuaError, __version__  # noqa: F401

_AREA = os.environ.get("STREAMING_AREA", "http")
CAPABILITIES = ("tcp", "udp", "select", *((_AREA,) if _AREA in ("http", "ftp") else ()))
CHUNK = 100


def http_requestindirect(method: bytes, url: bytes, receive_cb: Any, *rest: Any) -> tuple[Any, ...]:
    parts = urlsplit(url.decode("latin-1"))
    upload = _drain(rest[1]) if len(rest) > 1 and callable(rest[1]) else None
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=5) as sock:
        length = "" if upload is None else f"Content-Length: {len(upload)}\r\n"
        request = f"{method.decode()} {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}\r\n{length}\r\n"
        sock.sendall(request.encode("latin-1") + (upload or b""))
        reply = sock.makefile("rb")
        status = reply.readline().rstrip(b"\r\n")
        headers = {}
        for line in iter(reply.readline, b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reply.read(int(headers.get("content-length", "0")))
        reply.close()
    for start in range(0, len(body), CHUNK):
        receive_cb(body[start:start + CHUNK], None)
    receive_cb(b"", None)
    return headers, status, None


def _drain(send_cb: Any) -> bytes:
    """Everything a send callback supplies, up to its "" (or nil)."""
    pieces = []
    while True:
        chunk = send_cb()[0]
        if not chunk:
            return b"".join(pieces)
        pieces.append(chunk)


def ftp_getindirect(url: bytes, receive_cb: Any, kind: bytes = b"a") -> None:
    parts = urlsplit(url.decode("latin-1"))
    with ftplib.FTP() as ftp:
        ftp.connect(parts.hostname, parts.port or 21, timeout=5)
        ftp.login()
        ftp.set_pasv(False)
        ftp.retrbinary(f"RETR {parts.path.lstrip('/')}", lambda block: receive_cb(block, None))
    receive_cb(b"", "done")
    return None
