"""The nginx site the HTTP interop tests talk to: files with known bytes and a configuration text.

Nothing here starts a process: :func:`build_site` writes the document root,
:func:`nginx_config` returns the configuration for one port. Each location
exists for one kind of exchange the reference client must handle with a
real server:

=================  ============================================================
``/``              static files: exact bytes, HEAD, 404, POST refused (405)
``/dir``           a directory: nginx answers 301 to ``/dir/``
``/chunked/``      server-side includes: the length is unknown when the
                   head goes out, so nginx sends the body chunked
``/private/``      basic authentication against an htpasswd file we write
``/dav/``          WebDAV PUT: the request body lands on disk as a file
``/echo``          the echo module (``libnginx-mod-http-echo``) sends the
                   request body back, chunked
``/large.bin``     a few MiB with a content-length, for streaming callbacks
=================  ============================================================
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import random
from dataclasses import dataclass
from pathlib import Path

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
WORKER_USER = "nobody"
AUTH_USER = "reader"
AUTH_PASSWORD = "open sesame"  # a space, so that the URL form has to percent-encode it
AUTH_REALM = "interop"
LARGE_SIZE = 3 * 1024 * 1024 + 17  # not a multiple of any block size the client reads in
SSI_REPEAT = 60
INCLUDE = b'<!--# include file="part.txt" -->'


@dataclass(frozen=True)
class HttpSite:
    """What the tests compare against: the bytes behind each URL path, and where uploads land."""

    docroot: Path
    files: dict[str, bytes]
    chunked_path: str
    chunked_body: bytes
    large_path: str
    large_sha256: str
    dav_dir: Path


@dataclass(frozen=True)
class NginxInstance:
    """A running nginx as the tests see it."""

    base_url: str  # http://127.0.0.1:PORT, no trailing slash
    site: HttpSite
    echo: bool  # whether the echo module was loaded (``/echo`` exists)
    access_log: Path  # one line per request: method, URI, status


def ssha_entry(user: str, password: str, salt: bytes) -> str:
    """An htpasswd line in RFC 2307 ``{SSHA}`` form, which nginx reads (no external tool needed)."""
    digest = hashlib.sha1(password.encode() + salt).digest()
    return f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n"


def ssi_page(part: bytes, repeat: int) -> tuple[bytes, bytes]:
    """An SSI page that includes ``part`` ``repeat`` times, and the body nginx will send for it."""
    page = b"<p>head</p>\n" + (INCLUDE + b"\n") * repeat + b"<p>tail</p>\n"
    return page, page.replace(INCLUDE, part)


def build_site(docroot: Path, htpasswd: Path) -> HttpSite:
    """Write the document root and the password file; returns the expected contents."""
    rng = random.Random(1301)
    files = {
        "/index.html": b"<html><body>interop index</body></html>\n",
        "/static.bin": bytes(range(256)) * 8 + b"\r\n.\r\n\x00end",
        "/dir/index.html": b"<html><body>directory index</body></html>\n",
        "/private/secret.txt": b"only with credentials\r\n",
    }
    large = rng.randbytes(LARGE_SIZE)
    part = b"".join(b"line %04d of the included part\n" % number for number in range(30))
    page, chunked_body = ssi_page(part, SSI_REPEAT)
    written = {
        **files,
        "/large.bin": large,
        "/chunked/page.html": page,
        "/chunked/part.txt": part,
    }
    for url_path, data in written.items():
        target = docroot / url_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for folder in [docroot, *(path for path in docroot.rglob("*") if path.is_dir())]:
        folder.chmod(0o755)
    dav_dir = docroot / "dav"
    dav_dir.mkdir()
    worker = pwd.getpwnam(WORKER_USER)
    dav_dir.chmod(0o755)
    os.chown(dav_dir, worker.pw_uid, worker.pw_gid)
    htpasswd.write_text(ssha_entry(AUTH_USER, AUTH_PASSWORD, rng.randbytes(8)))
    htpasswd.chmod(0o644)
    return HttpSite(
        docroot=docroot,
        files=files,
        chunked_path="/chunked/page.html",
        chunked_body=chunked_body,
        large_path="/large.bin",
        large_sha256=hashlib.sha256(large).hexdigest(),
        dav_dir=dav_dir,
    )


def nginx_config(work: Path, docroot: Path, htpasswd: Path, host: str, port: int, echo: bool) -> str:
    """The whole nginx.conf for one instance; every path it writes is under ``work``."""
    load_echo = f"load_module {ECHO_MODULE};\n" if echo else ""
    echo_location = (
        "    location = /echo {\n"
        "      client_body_buffer_size 1m;\n"
        "      client_max_body_size 1m;\n"
        "      echo_read_request_body;\n"
        "      echo_request_body;\n"
        "    }\n"
        if echo
        else ""
    )
    return f"""{load_echo}user {WORKER_USER} nogroup;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log notice;
events {{ worker_connections 64; }}
http {{
  types {{ text/html html; text/plain txt; }}
  default_type application/octet-stream;
  log_format interop '$request_method $request_uri $status';
  access_log {work}/access.log interop;
  client_body_temp_path {work}/temp/body;
  proxy_temp_path {work}/temp/proxy;
  fastcgi_temp_path {work}/temp/fastcgi;
  uwsgi_temp_path {work}/temp/uwsgi;
  scgi_temp_path {work}/temp/scgi;
  gzip off;
  server {{
    listen {host}:{port};
    server_name interop;
    root {docroot};
    location /chunked/ {{
      ssi on;
      chunked_transfer_encoding on;
    }}
    location /private/ {{
      auth_basic "{AUTH_REALM}";
      auth_basic_user_file {htpasswd};
    }}
    location /dav/ {{
      dav_methods PUT;
      client_max_body_size 16m;
    }}
{echo_location}  }}
}}
"""
