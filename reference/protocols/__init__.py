"""The reference SMTP, HTTP and FTP clients of LuaSocket 1.3b, with streaming callbacks.

The manual's protocol functions, in Python, on top of the reference's own TCP
API (``reference.connect``, ``send``, ``receive``, ``timeout``, ``close``), as the
2001 Lua modules sat on the C core::

    from reference.protocols import http_get, ftp_get, smtp_mail

    body, headers, status, err = http_get("http://u:p@127.0.0.1:8080/index.html")
    # -> (b"...", {"content-type": "text/html", ...}, "HTTP/1.1 200 OK", None)
    data, = ftp_get("ftp://127.0.0.1/pub/file.bin", "b")
    err, = smtp_mail("me@x.org", ["you@y.org"], {"Subject": "hi"}, b"text", "mailhost")

Python mapping (the transport's, see ``reference/__init__.py``): every function
returns a tuple, the Lua return list. Bodies, file contents and callback chunks
are ``bytes``; status lines, header names and values and error messages are
``str`` (header values decoded latin-1, so bytes round-trip). Response headers
are a dict with lower-case names; request headers a dict with names in any
case. Callbacks are Python callables whose result is a tuple (the Lua return
list) or one value (``None`` is nil). Misuse raises :class:`reference.LuaError`;
everything the network or a peer does is returned.

Layout (protocol rules are pure modules; three thin modules do the I/O):

=================  ==========================================================
``url``            URL parsing, the no-control-character rule, redirects' URLs
``base64_codec``   ``base64`` / ``unbase64``
``callbacks``      the receive/send callback contract
``replies``        SMTP/FTP reply parsing (bytes in, replies out)
``http_framing``   request head, status line, response headers
``http_body``      body framers: content-length, chunked, until close
``redirects``      which redirects are followed, loops, credentials
``smtp_session``   the SMTP dialogue as data, dot-stuffing
``ftp_session``    FTP plan from a URL, commands, PASV parsing
``wire``           the reference TCP socket, failures as exceptions
``control``        command/reply channel shared by SMTP and FTP
``http_exchange``  one request/response on one connection
``http`` ``smtp``  the public functions
``ftp``
=================  ==========================================================

Deliberate differences from the 2001 modules are listed in
``reference/DIVERGENCES.md`` under "Protocols".
"""

from reference.protocols.base64_codec import base64, unbase64
from reference.protocols.ftp import ftp_get, ftp_getindirect, ftp_put, ftp_putindirect
from reference.protocols.http import (
    http_get,
    http_getindirect,
    http_post,
    http_postindirect,
    http_request,
    http_requestindirect,
)
from reference.protocols.smtp import mail, smtp_mail

__all__ = [
    "base64",
    "ftp_get",
    "ftp_getindirect",
    "ftp_put",
    "ftp_putindirect",
    "http_get",
    "http_getindirect",
    "http_post",
    "http_postindirect",
    "http_request",
    "http_requestindirect",
    "mail",
    "smtp_mail",
    "unbase64",
]
