"""Which redirects the HTTP client follows, and with what credentials (spec §14.6).

Pure state for one ``http_request``-style call; the socket layer asks it after
each response. Rules (DIVERGENCES.md #36 for the 1.3b behaviour they replace):

* Followed only for 301 and 302, only for GET and HEAD, only when ``stay`` is
  unset (manual), only when the response names a ``location``, and only when
  the request body can be sent again (a body read from a send callback cannot,
  so such a request gets the 30x response itself). 303, 307 and POST
  redirects are returned as ordinary responses, as in 1.3b.
* ``location`` may be relative: it is resolved against the current URL
  (1.3b raised). A target with a scheme other than ``http`` fails with
  "unsupported URL scheme" rather than being fetched over plain HTTP.
* A URL seen before in the same call (same host, port and request target)
  fails with "redirect loop"; following more than :data:`MAX_REDIRECTS`
  redirects fails with "too many redirects" (1.3b recursed until the Lua
  stack overflowed).
* Credentials go only to the server the caller named: the ``authorization``
  built from the URL's ``user:password@``, and the caller's own
  ``authorization``, ``proxy-authorization`` and ``cookie`` headers, are sent
  while the host and port are those of the first URL and withheld otherwise
  (1.3b forwarded them to any redirect target). A ``host`` the caller set is
  withheld there too, since it names the first server. User information
  inside a ``location`` is ignored: a server cannot choose the credentials
  the client sends.
"""

from __future__ import annotations

from collections.abc import Mapping

from reference.protocols.errors import BAD_SCHEME, REDIRECT_LOOP, TOO_MANY_REDIRECTS, CallFailed
from reference.protocols.http_framing import DEFAULT_PORT
from reference.protocols.url import Url, http_target, parse_url, resolve_reference

MAX_REDIRECTS = 5
# Caller headers that belong to the first server only.
ORIGIN_BOUND_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "host"})
REDIRECT_CODES = frozenset({301, 302})
REDIRECT_METHODS = frozenset({"GET", "HEAD"})


def _identity(url: Url) -> tuple[str, int, str]:
    host, port = url.origin(DEFAULT_PORT)
    return host, port, http_target(url)


class RedirectPolicy:
    """Redirect decisions for one call, starting from the caller's URL."""

    def __init__(self, first: Url, limit: int = MAX_REDIRECTS) -> None:
        self._origin = first.origin(DEFAULT_PORT)
        self._seen = {_identity(first)}
        self._limit = limit
        self.hops = 0

    def should_follow(
        self, method: str, code: int, headers: Mapping[str, str], stay: bool, replayable: bool
    ) -> bool:
        return (
            not stay
            and replayable
            and method in REDIRECT_METHODS
            and code in REDIRECT_CODES
            and "location" in headers
        )

    def next_url(self, current: Url, location: str) -> Url:
        """The URL to fetch next; raises for a loop, the limit or a bad target."""
        resolved = parse_url(resolve_reference(current, location.strip(" \t")))
        target = Url(None, None, None, resolved.host, resolved.port, resolved.path)
        if resolved.scheme not in (None, "http"):
            raise CallFailed(BAD_SCHEME)
        identity = _identity(target)
        if identity in self._seen:
            raise CallFailed(REDIRECT_LOOP)
        self.hops += 1
        if self.hops > self._limit:
            raise CallFailed(TOO_MANY_REDIRECTS)
        self._seen.add(identity)
        return target

    def sends_credentials(self, url: Url) -> bool:
        """True while ``url`` points at the server the caller named."""
        return url.origin(DEFAULT_PORT) == self._origin

    def caller_headers_for(self, url: Url, caller: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The caller's (checked, lower-cased) headers to send to ``url``."""
        if self.sends_credentials(url):
            return caller
        return [(name, value) for name, value in caller if name not in ORIGIN_BOUND_HEADERS]
