"""Redirects over real connections: followed, bounded, loop-checked, credentials kept home."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from proto_fakes import HttpFake, HttpRequest, response

from reference.protocols import errors
from reference.protocols.http import (
    http_get,
    http_getindirect,
    http_post,
    http_request,
    http_requestindirect,
)
from reference.protocols.redirects import MAX_REDIRECTS


def redirect(location: str, code: str = "302 Found") -> bytes:
    return response(code, b"redirect body", {"Location": location})


def routes(table: dict[str, Callable[[], bytes]]) -> Callable[[HttpRequest], bytes]:
    def respond(request: HttpRequest) -> bytes:
        path = request.request_line.split(" ")[1]
        return table[path]() if path in table else response("404 Not Found", b"no route")

    return respond


def test_a_relative_location_is_followed_on_the_same_server() -> None:
    with HttpFake(
        routes(
            {"/dir/page": lambda: redirect("other?x=1"), "/dir/other?x=1": lambda: response(body=b"landed")}
        )
    ) as fake:
        result = http_get(fake.url("/dir/page"))
    assert result == (b"landed", {"content-length": "6"}, "HTTP/1.1 200 OK", None)
    assert [request.request_line for request in fake.requests] == [
        "GET /dir/page HTTP/1.1",
        "GET /dir/other?x=1 HTTP/1.1",
    ]


def test_301_is_followed_and_head_too() -> None:
    with HttpFake(
        routes({"/a": lambda: redirect("/b", "301 Moved Permanently"), "/b": lambda: response()})
    ) as fake:
        assert http_request("HEAD", fake.url("/a"))[2] == "HTTP/1.1 200 OK"
    assert [request.request_line for request in fake.requests] == ["HEAD /a HTTP/1.1", "HEAD /b HTTP/1.1"]


def test_the_receive_callback_sees_only_the_final_body() -> None:
    calls = []
    with HttpFake(routes({"/a": lambda: redirect("/b"), "/b": lambda: response(body=b"final")})) as fake:
        http_getindirect(fake.url("/a"), lambda *args: calls.append(args) or 1)
    assert calls == [(b"final", None), (b"", None)]


def test_credentials_stay_with_the_server_the_caller_named() -> None:
    with (
        HttpFake(lambda request: response(body=b"other")) as other,
        HttpFake(routes({"/start": lambda: redirect(other.url("/there"))})) as home,
    ):
        result = http_get(home.url("/start", userinfo="user:secret@"), {"Authorization": "Bearer caller"})
    assert result[0] == b"other"
    home_request, other_request = home.requests[0], other.requests[0]
    assert home_request.headers["authorization"] == "Basic dXNlcjpzZWNyZXQ="
    assert "authorization" not in other_request.headers
    assert other_request.headers["host"] == other.server.address


def test_the_callers_credentials_and_host_are_withheld_from_another_server_too() -> None:
    mine = {"authorization": "Bearer token", "Cookie": "session=1", "Host": "virtual.example", "X-Keep": "1"}
    with (
        HttpFake(lambda request: response()) as other,
        HttpFake(routes({"/": lambda: redirect(other.url("/"))})) as home,
    ):
        http_get(home.url("/"), mine)
    sent_home, sent_other = home.requests[0].headers, other.requests[0].headers
    assert (sent_home["authorization"], sent_home["cookie"], sent_home["host"]) == (
        "Bearer token",
        "session=1",
        "virtual.example",
    )
    assert "authorization" not in sent_other and "cookie" not in sent_other
    assert sent_other["host"] == other.server.address and sent_other["x-keep"] == "1"


def test_credentials_return_with_a_redirect_back_home() -> None:
    home_url: list[str] = []  # filled once the home server has its port
    with (
        HttpFake(lambda request: redirect(home_url[0])) as other,
        HttpFake(routes({"/": lambda: redirect(other.url("/away")), "/back": lambda: response()})) as home,
    ):
        home_url.append(home.url("/back"))
        assert http_get(home.url("/", userinfo="u:p@"))[3] is None
    assert [request.headers.get("authorization") for request in home.requests] == ["Basic dTpw", "Basic dTpw"]
    assert "authorization" not in other.requests[0].headers


def test_a_loop_is_an_error() -> None:
    with HttpFake(routes({"/a": lambda: redirect("/b"), "/b": lambda: redirect("/a")})) as fake:
        body, headers, status, err = http_get(fake.url("/a"))
    assert err == errors.REDIRECT_LOOP
    assert status == "HTTP/1.1 302 Found" and body is None
    assert len(fake.requests) == 2


def test_a_self_redirect_is_a_loop() -> None:
    with HttpFake(routes({"/a": lambda: redirect("/a")})) as fake:
        assert http_get(fake.url("/a"))[3] == errors.REDIRECT_LOOP
    assert len(fake.requests) == 1


def chain(length: int) -> Callable[[HttpRequest], bytes]:
    table = {f"/{index}": (lambda index=index: redirect(f"/{index + 1}")) for index in range(length)}
    table[f"/{length}"] = lambda: response(body=b"end of chain")
    return routes(table)


def test_the_longest_chain_allowed_arrives() -> None:
    with HttpFake(chain(MAX_REDIRECTS)) as fake:
        assert http_get(fake.url("/0"))[0] == b"end of chain"
    assert len(fake.requests) == MAX_REDIRECTS + 1


def test_one_redirect_more_is_an_error() -> None:
    with HttpFake(chain(MAX_REDIRECTS + 1)) as fake:
        assert http_get(fake.url("/0"))[3] == errors.TOO_MANY_REDIRECTS
    assert len(fake.requests) == MAX_REDIRECTS + 1


def test_an_endless_chain_ends_with_a_clear_error() -> None:
    counter = iter(range(1000))
    with HttpFake(lambda request: redirect(f"/n{next(counter)}")) as fake:
        assert http_get(fake.url("/"))[3] == errors.TOO_MANY_REDIRECTS


@pytest.mark.parametrize(
    "call",
    [
        lambda url: http_get(url, None, 1),  # stay
        lambda url: http_post(url, b"data"),  # POST is never redirected
        lambda url: http_requestindirect(
            "GET", url, lambda *a: 1, None, iter([(b"x", 1), (b"", 1)]).__next__
        ),
    ],
)
def test_cases_where_the_redirect_itself_is_the_answer(call: Callable[[str], object]) -> None:
    with HttpFake(routes({"/a": lambda: redirect("/b")})) as fake:
        call(fake.url("/a"))
    assert len(fake.requests) == 1


def test_303_is_an_ordinary_response() -> None:
    with HttpFake(routes({"/a": lambda: redirect("/b", "303 See Other")})) as fake:
        assert http_get(fake.url("/a")) == (
            b"redirect body",
            {"location": "/b", "content-length": "13"},
            "HTTP/1.1 303 See Other",
            None,
        )


def test_a_redirect_without_location_is_an_ordinary_response() -> None:
    with HttpFake(lambda request: response("302 Found", b"nowhere")) as fake:
        assert http_get(fake.url("/"))[:3] == (b"nowhere", {"content-length": "7"}, "HTTP/1.1 302 Found")


def test_a_redirect_to_https_is_refused_not_downgraded() -> None:
    with HttpFake(routes({"/": lambda: redirect("https://127.0.0.1/secure")})) as fake:
        assert http_get(fake.url("/"))[3] == errors.BAD_SCHEME
    assert len(fake.requests) == 1
