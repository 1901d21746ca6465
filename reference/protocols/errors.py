"""How the protocol clients fail: raised misuse versus returned errors.

The transport's split holds here too (``reference/errors.py``):

* **Misuse raises** :class:`reference.LuaError`: a table where a string was
  needed, a callback that is not callable, an unknown transfer type.
* **Everything else is returned**: a refused connection, a peer that replies
  badly, a URL with a line break in it, a callback that aborts. The manual's
  protocol functions report these as values (``nil, "message"`` or just
  ``"message"``), never as Lua errors.

Inside the package a returned error travels as :class:`CallFailed`, raised
wherever the problem is found (a pure parser, the socket layer, a callback
wrapper) and turned into the function's return values in exactly one place,
the public function that was called. Pure modules therefore never need to
know which return convention their caller uses.

The message texts live here so that no module spells one twice and tests can
refer to them by name.
"""

from __future__ import annotations

# Refused before anything is sent (safety rules).
BAD_URL_CHARACTER = "invalid character in URL"
BAD_HEADER_CHARACTER = "invalid character in header"
BAD_HEADER_NAME = "invalid header name"
BAD_METHOD = "invalid method"
BAD_ADDRESS_CHARACTER = "invalid character in address"
BAD_DOMAIN_CHARACTER = "invalid character in HELO domain"
BAD_PATH_CHARACTER = "invalid character in FTP path"
BAD_COMMAND_CHARACTER = "invalid character in command"
NO_HOST = "invalid URL: no host"
BAD_HOST = "invalid URL: bad host"
BAD_PORT = "invalid URL: bad port"
NO_PATH = "invalid URL: no path"
BAD_SCHEME = "unsupported URL scheme"
PUT_TO_DIRECTORY = "invalid path"  # the 2001 text for ftp_put to a ".../" URL
NO_RECIPIENTS = "no recipients"

# The peer misbehaved.
BAD_STATUS_LINE = "invalid status line"
BAD_HEADERS = "malformed reponse headers"  # spelling as in the 2001 release
HEADERS_TOO_LONG = "response headers too long"
TOO_MANY_INTERIM = "too many interim responses"
BAD_CONTENT_LENGTH = "invalid content-length"
BAD_CHUNK_SIZE = "invalid chunk size"
BAD_CHUNK_END = "invalid chunk terminator"
BAD_TRAILERS = "invalid chunk trailer"
BAD_PASV_REPLY = "invalid PASV reply"
REPLY_TOO_LONG = "reply too long"

# Redirects.
REDIRECT_LOOP = "redirect loop"
TOO_MANY_REDIRECTS = "too many redirects"

# Streaming callbacks.
ABORTED = "aborted by callback"
BAD_CALLBACK_RETURN = "invalid callback return"
SEND_SHORT = "send callback ended before the announced total"
SEND_OVER = "send callback exceeded the announced total"
SEND_TOTAL_CHANGED = "send callback changed the announced total"


class CallFailed(Exception):
    """A failure that the public function returns as its error message.

    ``message`` is the exact text the caller will see. Never escapes the
    package: every public function catches it and builds its return tuple.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
