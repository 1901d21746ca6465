"""Redirect decisions (spec §14.6 and its fixes), no network."""

from __future__ import annotations

import pytest

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.redirects import MAX_REDIRECTS, RedirectPolicy
from reference.protocols.url import parse_url

START = parse_url("http://u:p@site:8080/a/b")
LOCATED = {"location": "/x"}


@pytest.mark.parametrize(
    ("method", "code", "headers", "stay", "replayable", "follow"),
    [
        ("GET", 302, LOCATED, False, True, True),
        ("HEAD", 301, LOCATED, False, True, True),
        ("GET", 302, LOCATED, True, True, False),
        ("POST", 302, LOCATED, False, True, False),
        ("GET", 303, LOCATED, False, True, False),
        ("GET", 307, LOCATED, False, True, False),
        ("GET", 302, {}, False, True, False),
        ("GET", 302, LOCATED, False, False, False),
    ],
)
def test_when_a_redirect_is_followed(
    method: str, code: int, headers: dict[str, str], stay: bool, replayable: bool, follow: bool
) -> None:
    assert RedirectPolicy(START).should_follow(method, code, headers, stay, replayable) is follow


def test_relative_locations_resolve_against_the_current_url() -> None:
    policy = RedirectPolicy(START)
    first = policy.next_url(START, "c?q=1")
    assert (first.host, first.port, first.path) == ("site", 8080, "/a/c?q=1")
    second = policy.next_url(first, "//other/z")
    assert (second.host, second.port, second.path) == ("other", None, "/z")


def test_credentials_in_a_location_are_ignored() -> None:
    target = RedirectPolicy(START).next_url(START, "http://evil:pw@other/")
    assert (target.user, target.password) == (None, None)


def test_credentials_only_for_the_first_host_and_port() -> None:
    policy = RedirectPolicy(START)
    assert policy.sends_credentials(parse_url("http://SITE:8080/elsewhere"))
    assert not policy.sends_credentials(parse_url("http://site/"))
    assert not policy.sends_credentials(parse_url("http://site:8081/a/b"))
    assert not policy.sends_credentials(parse_url("http://other:8080/a/b"))


def test_default_port_is_the_same_server() -> None:
    policy = RedirectPolicy(parse_url("http://h/"))
    assert policy.sends_credentials(parse_url("http://h:80/x"))


def failure(call: object) -> str:
    with pytest.raises(CallFailed) as caught:
        call()  # type: ignore[operator]
    return caught.value.message


def test_a_url_seen_before_is_a_loop() -> None:
    policy = RedirectPolicy(START)
    middle = policy.next_url(START, "/c")
    assert failure(lambda: policy.next_url(middle, "http://site:8080/a/b#frag")) == errors.REDIRECT_LOOP


def test_a_self_redirect_is_a_loop() -> None:
    policy = RedirectPolicy(START)
    assert failure(lambda: policy.next_url(START, "b")) == errors.REDIRECT_LOOP


def test_the_chain_is_bounded() -> None:
    policy = RedirectPolicy(START)
    url = START
    for hop in range(MAX_REDIRECTS):
        url = policy.next_url(url, f"/hop{hop}")
    assert policy.hops == MAX_REDIRECTS
    assert failure(lambda: policy.next_url(url, "/one-too-many")) == errors.TOO_MANY_REDIRECTS


@pytest.mark.parametrize("location", ["https://site/", "ftp://site/file"])
def test_other_schemes_are_not_fetched_over_http(location: str) -> None:
    assert failure(lambda: RedirectPolicy(START).next_url(START, location)) == errors.BAD_SCHEME


def test_a_location_with_a_line_break_is_refused() -> None:
    assert failure(lambda: RedirectPolicy(START).next_url(START, "/x\rSet: y")) == errors.BAD_URL_CHARACTER


def test_origin_bound_caller_headers_are_withheld_elsewhere() -> None:
    policy = RedirectPolicy(START)
    caller = [
        ("authorization", "a"),
        ("cookie", "c"),
        ("proxy-authorization", "p"),
        ("host", "h"),
        ("x", "1"),
    ]
    assert policy.caller_headers_for(parse_url("http://site:8080/other"), caller) == caller
    assert policy.caller_headers_for(parse_url("http://other:8080/"), caller) == [("x", "1")]
