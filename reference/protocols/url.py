"""URLs of the form ``[scheme://][user[:password]@]host[:port][/path]`` (manual; spec §14.2).

Pure text handling, shared by HTTP and FTP: parsing, the safety check that
keeps line breaks out of every request, resolving a redirect's ``Location``
against the current URL, and the HTTP request target.

Rules, and where they differ from the 2001 parser (DIVERGENCES.md, Protocols):

* Any control character (CR and LF above all) anywhere in the URL, or in the
  decoded user or password, refuses the URL with "invalid character in URL"
  before anything is sent: such a URL could smuggle a second command or
  header line. Characters above U+00FF cannot come from a Lua string and are
  refused the same way.
* The scheme is only the leading ``name://`` (the 2001 code took everything
  up to the *last* ``://``, so a URL in a query string moved the host). Each
  protocol accepts its own scheme or none.
* The authority ends at the first ``/``, ``?`` or ``#``; the user information
  ends at its last ``@``; user and password are percent-decoded (RFC 1738
  requires ``:``, ``@`` and ``/`` to be encoded there). The host may hold
  letters, digits, ``.``, ``-`` and ``_`` and nothing else (the 2001 code cut
  the host at an underscore and sent the rest as the path). A port is decimal,
  1-65535; an empty port means the default.
* The path is kept verbatim (no decoding), ``None`` when the URL has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reference.protocols.errors import BAD_HOST, BAD_PORT, BAD_URL_CHARACTER, NO_HOST, CallFailed

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_HOST = re.compile(r"[A-Za-z0-9._-]+")
_PORT = re.compile(r"[0-9]*")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNSAFE_URL = re.compile(r"[\x00-\x1f\x7f\u0100-\U0010ffff]")
# Bytes a request target may not carry raw: space, and everything above ASCII.
_TARGET_ESCAPES = re.compile(r"[ \x80-\xff]")


@dataclass(frozen=True)
class Url:
    """A parsed URL. ``port`` and ``path`` are None when the URL omits them."""

    scheme: str | None
    user: str | None
    password: str | None
    host: str
    port: int | None
    path: str | None

    def port_or(self, default: int) -> int:
        return default if self.port is None else self.port

    def origin(self, default_port: int) -> tuple[str, int]:
        """Host (case-folded) and port: what "the same server" means for redirects."""
        return self.host.lower(), self.port_or(default_port)

    def without_credentials(self) -> str:
        """The URL as text, user information left out (for resolving and display)."""
        scheme = f"{self.scheme}://" if self.scheme else ""
        port = "" if self.port is None else f":{self.port}"
        return f"{scheme}{self.host}{port}{self.path or ''}"


def check_url_text(text: str) -> None:
    """Refuse control characters (CR, LF above all) and non-byte characters."""
    if _UNSAFE_URL.search(text):
        raise CallFailed(BAD_URL_CHARACTER)


def percent_decode(text: str) -> str:
    """``%XX`` sequences to the characters they name (one per byte); others kept."""
    return _PERCENT.sub(lambda match: chr(int(match.group(1), 16)), text)


def parse_url(text: str) -> Url:
    """Parse ``text``; raises :class:`CallFailed` for an unusable or unsafe URL."""
    check_url_text(text)
    scheme = None
    rest = text
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        rest = text[match.end() :]
    cut = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            cut = min(cut, found)
    authority, path = rest[:cut], rest[cut:] or None
    user = password = None
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        user, colon, secret = userinfo.partition(":")
        user = percent_decode(user)
        password = percent_decode(secret) if colon else None
        check_url_text(user + (password or ""))
    host, colon, port_text = authority.partition(":")
    if not host:
        raise CallFailed(NO_HOST)
    if not _HOST.fullmatch(host):
        raise CallFailed(BAD_HOST)
    port = None
    if colon:
        if not _PORT.fullmatch(port_text):
            raise CallFailed(BAD_PORT)
        if port_text:
            port = int(port_text)
            if not 1 <= port <= 65535:
                raise CallFailed(BAD_PORT)
    return Url(scheme, user, password, host, port, path)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: resolve ``.`` and ``..`` segments of an absolute path."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def resolve_reference(base: Url, reference: str) -> str:
    """The absolute URL text that ``reference`` (a Location value) names.

    Handles absolute URLs, network-path (``//host/p``), absolute-path,
    query-only, fragment-only and relative-path references (RFC 3986 §5.2).
    The base's user information is never carried over.
    """
    if _SCHEME.match(reference):
        return reference
    scheme = base.scheme or "http"
    if reference.startswith("//"):
        return f"{scheme}:{reference}"
    port = "" if base.port is None else f":{base.port}"
    origin = f"{scheme}://{base.host}{port}"
    base_path = base.path or "/"
    base_path = base_path.split("#", 1)[0]
    if reference == "":
        return origin + base_path
    if reference.startswith("#"):
        return origin + base_path + reference
    bare_path = base_path.split("?", 1)[0] or "/"
    if not bare_path.startswith("/"):
        bare_path = "/" + bare_path
    if reference.startswith("?"):
        return origin + bare_path + reference
    if reference.startswith("/"):
        path, sep, tail = _split_tail(reference)
        return origin + remove_dot_segments(path) + sep + tail
    directory = bare_path[: bare_path.rfind("/") + 1]
    path, sep, tail = _split_tail(directory + reference)
    return origin + remove_dot_segments(path) + sep + tail


def _split_tail(reference: str) -> tuple[str, str, str]:
    """Split a path reference into path, the ``?``/``#`` mark, and the rest."""
    for index, char in enumerate(reference):
        if char in "?#":
            return reference[:index], char, reference[index + 1 :]
    return reference, "", ""


def http_target(url: Url) -> str:
    """The request target for ``url``: its path, "/" by default, no fragment.

    Spaces and bytes above ASCII are percent-encoded so that the request line
    keeps its three parts; everything else is sent as the caller wrote it.
    """
    path = (url.path or "/").split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    return _TARGET_ESCAPES.sub(lambda match: f"%{ord(match.group()):02X}", path)
