"""URL parsing, the safety check, relative references and the HTTP request target."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.protocols import errors
from reference.protocols.errors import CallFailed
from reference.protocols.url import (
    Url,
    http_target,
    parse_url,
    percent_decode,
    remove_dot_segments,
    resolve_reference,
)


def refused(text: str) -> str:
    with pytest.raises(CallFailed) as caught:
        parse_url(text)
    return caught.value.message


def test_every_part_of_a_full_url() -> None:
    url = parse_url("http://diego:nehab@www.example.org:8080/~diego/index.html?x=1#top")
    assert url == Url("http", "diego", "nehab", "www.example.org", 8080, "/~diego/index.html?x=1#top")


def test_parts_the_url_leaves_out_are_none() -> None:
    assert parse_url("example.org") == Url(None, None, None, "example.org", None, None)
    assert parse_url("example.org").port_or(80) == 80


def test_scheme_is_case_folded_and_only_the_leading_one_counts() -> None:
    url = parse_url("HTTP://host/redirect?to=http://other/")
    assert (url.scheme, url.host, url.path) == ("http", "host", "/redirect?to=http://other/")


def test_authority_ends_at_query_or_fragment() -> None:
    assert parse_url("http://host?q").path == "?q"
    assert parse_url("http://host#f").path == "#f"
    assert parse_url("http://host?q").host == "host"


def test_userinfo_ends_at_the_last_at_sign_and_is_percent_decoded() -> None:
    url = parse_url("ftp://a%40b:p%3Aw@d@host/f")
    assert (url.user, url.password, url.host) == ("a@b", "p:w@d", "host")


def test_password_is_absent_without_colon_and_empty_with_one() -> None:
    assert parse_url("http://user@h/").password is None
    assert parse_url("http://user:@h/").password == ""


def test_underscore_belongs_to_the_host() -> None:
    url = parse_url("http://bad_host/x")
    assert (url.host, url.path) == ("bad_host", "/x")


@pytest.mark.parametrize("port_text", ["0", "65536", "80a", "-1", "99999999999"])
def test_bad_ports_are_refused(port_text: str) -> None:
    assert refused(f"http://h:{port_text}/") == errors.BAD_PORT


def test_empty_port_means_the_default() -> None:
    assert parse_url("http://h:/").port is None
    assert parse_url("http://h:65535/").port == 65535


@pytest.mark.parametrize("text", ["http:///path", "", "http://user@/x", ":80/"])
def test_a_url_without_host_is_refused(text: str) -> None:
    assert refused(text) == errors.NO_HOST


@pytest.mark.parametrize("text", ["http://ho st/", "http://h%6Fst/", "http://[::1]/", "http://h!/"])
def test_hosts_with_other_characters_are_refused(text: str) -> None:
    assert refused(text) in (errors.BAD_HOST, errors.BAD_PORT)


@pytest.mark.parametrize("char", ["\r", "\n", "\x00", "\t", "\x7f", "\u20ac"])
@pytest.mark.parametrize("where", ["http://h{}/x", "http://h/x{}y", "http://u{}:p@h/", "h/{}"])
def test_control_and_non_byte_characters_anywhere_refuse_the_url(char: str, where: str) -> None:
    assert refused(where.format(char)) == errors.BAD_URL_CHARACTER


@pytest.mark.parametrize("encoded", ["%0d%0a", "%0A", "%0D", "%00"])
def test_encoded_line_breaks_in_credentials_are_refused_after_decoding(encoded: str) -> None:
    assert refused(f"ftp://user{encoded}PASS:x@h/f") == errors.BAD_URL_CHARACTER
    assert refused(f"ftp://user:pw{encoded}DELE x@h/f") == errors.BAD_URL_CHARACTER


@given(st.text(alphabet="ab/:@.%\r\n", min_size=1).filter(lambda text: "\r" in text or "\n" in text))
def test_no_url_with_a_line_break_is_ever_accepted(text: str) -> None:
    with pytest.raises(CallFailed):
        parse_url("http://h/" + text)


def test_percent_decode_leaves_malformed_escapes_alone() -> None:
    assert percent_decode("a%20b%2x%") == "a b%2x%"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b/c/./../../g", "/a/g"),
        ("/mid/content=5/../6", "/mid/6"),
        ("/../a", "/a"),
        ("/a/.", "/a/"),
        ("/a/..", "/"),
        ("/", "/"),
    ],
)
def test_remove_dot_segments(path: str, expected: str) -> None:
    assert remove_dot_segments(path) == expected


BASE = parse_url("http://a/b/c/d;p?q")


@pytest.mark.parametrize(
    ("reference", "expected"),
    [  # RFC 3986 section 5.4.1, normal examples
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"),
        ("http://other:81/x", "http://other:81/x"),
    ],
)
def test_resolve_reference_follows_rfc_3986(reference: str, expected: str) -> None:
    assert resolve_reference(BASE, reference) == expected


def test_resolving_keeps_the_port_and_drops_the_credentials() -> None:
    base = parse_url("http://u:p@host:8080/dir/page")
    assert resolve_reference(base, "other") == "http://host:8080/dir/other"


def test_resolving_against_a_url_without_path_or_scheme() -> None:
    assert resolve_reference(parse_url("host"), "x") == "http://host/x"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("http://h", "/"),
        ("http://h/a/b?x=1&y=2", "/a/b?x=1&y=2"),
        ("http://h/a#frag", "/a"),
        ("http://h?x", "/?x"),
        ("http://h/a b", "/a%20b"),
        ("http://h/caf\xe9", "/caf%E9"),
        ("http://h/%41", "/%41"),
    ],
)
def test_http_target(text: str, target: str) -> None:
    assert http_target(parse_url(text)) == target


def test_origin_folds_case_and_applies_the_default_port() -> None:
    assert parse_url("http://Example.ORG/").origin(80) == ("example.org", 80)
    assert parse_url("http://u:p@h:81/x").without_credentials() == "http://h:81/x"
