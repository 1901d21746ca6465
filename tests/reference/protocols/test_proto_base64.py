"""``base64`` and ``unbase64`` (spec §11.1), including the manual's credentials example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
from reference.protocols.base64_codec import INVALID_BASE64, base64, unbase64


@pytest.mark.parametrize(
    ("plain", "encoded"),
    [(b"", b""), (b"a", b"YQ=="), (b"ab", b"YWI="), (b"abc", b"YWJj"), (b"diego:nehab", b"ZGllZ286bmVoYWI=")],
)
def test_known_encodings(plain: bytes, encoded: bytes) -> None:
    assert base64(plain) == (encoded,)
    assert unbase64(encoded) == (plain,)


def test_text_and_numbers_are_lua_strings() -> None:
    assert base64("diego:nehab") == (b"ZGllZ286bmVoYWI=",)
    assert base64(12) == (b"MTI=",)


def test_long_input_stays_on_one_line() -> None:
    (encoded,) = base64(b"x" * 1000)
    assert b"\n" not in encoded and len(encoded) == 1336


def test_whitespace_is_ignored_when_decoding() -> None:
    assert unbase64(b"YW Jj\n") == (b"abc",)
    assert unbase64(" Y W J j\r\n\t") == (b"abc",)


@pytest.mark.parametrize("bad", [b"YQ", b"Y===", b"YW=j", b"Y@==", b"abcde"])
def test_malformed_input_is_an_error_value_not_garbage(bad: bytes) -> None:
    assert unbase64(bad) == (None, INVALID_BASE64)


@given(st.binary(max_size=300))
def test_round_trip(data: bytes) -> None:
    assert unbase64(base64(data)[0]) == (data,)


@pytest.mark.parametrize("call", [base64, unbase64])
def test_a_table_is_misuse(call: object) -> None:
    with pytest.raises(reference.LuaError, match="string expected"):
        call({})  # type: ignore[operator]
    with pytest.raises(reference.LuaError, match="string expected"):
        call()  # type: ignore[operator]
