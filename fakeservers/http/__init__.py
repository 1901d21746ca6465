"""The fake HTTP server: routes, framings, redirects, the 401 challenge, faults."""

from fakeservers.http.config import BasicAuth, HttpConfig, Route, read_http_config
from fakeservers.http.exchange import HttpRequest
from fakeservers.http.server import HttpServer

__all__ = ["BasicAuth", "HttpConfig", "HttpRequest", "HttpServer", "Route", "read_http_config"]
