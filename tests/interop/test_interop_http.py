"""The reference HTTP client against a real nginx: bytes, statuses, redirects, chunking, auth, uploads.

Each test compares with what the site module wrote to disk (or, for
uploads, reads back what nginx wrote), so an exact match means the client
and a production server agree on framing, not merely that both parse their
own output.
"""

from __future__ import annotations

import uuid

import pytest
from interop_callbacks import DigestSink, piecewise, sha256
from interop_daemon import LogCursor
from interop_nginx import AUTH_REALM, NginxInstance

import reference as ls

OK = "HTTP/1.1 200 OK"


def _requests_with(lines: list[str], token: str) -> list[str]:
    """Access log lines (method, URI, status) of the requests that carried ``token``."""
    return [line for line in lines if token in line]


def test_get_returns_a_static_file_byte_for_byte(nginx: NginxInstance) -> None:
    body, headers, status, err = ls.http_get(nginx.base_url + "/static.bin")
    assert (status, err) == (OK, None)
    assert body == nginx.site.files["/static.bin"]
    assert headers["content-length"] == str(len(body))
    assert headers["server"].startswith("nginx")


def test_directory_without_slash_is_redirected_and_followed(nginx: NginxInstance) -> None:
    token = uuid.uuid4().hex  # a query no other request has picks this test's lines out of the log
    access = LogCursor(nginx.access_log)
    body, _headers, status, err = ls.http_get(f"{nginx.base_url}/dir?{token}")
    assert (status, err) == (OK, None)
    assert body == nginx.site.files["/dir/index.html"]
    lines = access.wait_for(lambda new: len(_requests_with(new, token)) >= 2)
    assert _requests_with(lines, token) == [f"GET /dir?{token} 301", f"GET /dir/?{token} 200"]


def test_stay_returns_the_redirect_itself(nginx: NginxInstance) -> None:
    body, headers, status, err = ls.http_get(nginx.base_url + "/dir", None, True)
    assert (status, err) == ("HTTP/1.1 301 Moved Permanently", None)
    assert headers["location"] == nginx.base_url + "/dir/"
    assert b"301 Moved Permanently" in body


def test_missing_file_is_a_404_status_not_an_error(nginx: NginxInstance) -> None:
    body, headers, status, err = ls.http_get(nginx.base_url + "/no/such/file.txt")
    assert (status, err) == ("HTTP/1.1 404 Not Found", None)
    assert headers["content-type"] == "text/html"
    assert b"<title>404 Not Found</title>" in body


def test_head_gives_the_headers_and_an_empty_body(nginx: NginxInstance) -> None:
    token = uuid.uuid4().hex
    access = LogCursor(nginx.access_log)
    body, headers, status, err = ls.http_request("HEAD", f"{nginx.base_url}/static.bin?{token}")
    assert (body, status, err) == (b"", OK, None)
    assert headers["content-length"] == str(len(nginx.site.files["/static.bin"]))
    assert access.wait_for(lambda new: bool(_requests_with(new, token))) == [f"HEAD /static.bin?{token} 200"]


def test_post_to_a_static_file_is_refused_with_405(nginx: NginxInstance) -> None:
    _body, _headers, status, err = ls.http_post(nginx.base_url + "/index.html", b"field=value")
    assert (status, err) == ("HTTP/1.1 405 Not Allowed", None)


def test_post_body_comes_back_from_the_echo_location(nginx: NginxInstance) -> None:
    if not nginx.echo:
        pytest.skip("nginx echo module missing: install libnginx-mod-http-echo (nginx-light depends on it)")
    sent = bytes(range(256)) * 20 + b"\r\n.\r\nlast line without newline"
    body, headers, status, err = ls.http_post(nginx.base_url + "/echo", sent, {"Content-Type": "x/y"})
    assert (status, err) == (OK, None)
    assert headers["transfer-encoding"] == "chunked"
    assert body == sent


def test_put_stores_the_request_body_on_the_server(nginx: NginxInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    sent = b"\x00\xffuploaded by the reference\r\n" * 300
    _body, _headers, status, err = ls.http_request("PUT", f"{nginx.base_url}/dav/{name}", None, sent)
    assert (status, err) == ("HTTP/1.1 201 Created", None)
    assert (nginx.site.dav_dir / name).read_bytes() == sent


def test_put_body_from_a_send_callback_arrives_whole(nginx: NginxInstance) -> None:
    name = f"{uuid.uuid4().hex}.bin"
    sent = bytes(index * 7 % 251 for index in range(1_500_001))
    sink = DigestSink()
    _headers, status, err = ls.http_requestindirect(
        "PUT", f"{nginx.base_url}/dav/{name}", sink, None, piecewise(sent, 65_536)
    )
    assert (status, err) == ("HTTP/1.1 201 Created", None)
    assert sink.endings == [(b"", None)]
    stored = (nginx.site.dav_dir / name).read_bytes()
    assert sha256(stored) == sha256(sent)


def test_chunked_body_from_server_side_includes(nginx: NginxInstance) -> None:
    body, headers, status, err = ls.http_get(nginx.base_url + nginx.site.chunked_path)
    assert (status, err) == (OK, None)
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert body == nginx.site.chunked_body


def test_protected_file_without_credentials_is_401(nginx: NginxInstance) -> None:
    _body, headers, status, err = ls.http_get(nginx.base_url + "/private/secret.txt")
    assert (status, err) == ("HTTP/1.1 401 Unauthorized", None)
    assert headers["www-authenticate"] == f'Basic realm="{AUTH_REALM}"'


def test_protected_file_with_url_credentials_is_served(nginx: NginxInstance) -> None:
    url = nginx.base_url.replace("http://", "http://reader:open%20sesame@") + "/private/secret.txt"
    body, _headers, status, err = ls.http_get(url)
    assert (status, err) == (OK, None)
    assert body == nginx.site.files["/private/secret.txt"]


def test_protected_file_with_a_wrong_password_is_401(nginx: NginxInstance) -> None:
    url = nginx.base_url.replace("http://", "http://reader:sesame@") + "/private/secret.txt"
    _body, _headers, status, err = ls.http_get(url)
    assert (status, err) == ("HTTP/1.1 401 Unauthorized", None)


def test_large_file_through_getindirect_matches_its_digest(nginx: NginxInstance) -> None:
    sink = DigestSink()
    headers, status, err = ls.http_getindirect(nginx.base_url + nginx.site.large_path, sink)
    assert (status, err) == (OK, None)
    assert sink.endings == [(b"", None)]
    assert int(headers["content-length"]) == sink.size
    assert sink.sha256.hexdigest() == nginx.site.large_sha256
