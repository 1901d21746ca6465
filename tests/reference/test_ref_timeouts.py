"""Timeout rules of spec §4 on real sockets; durations are generous windows.

The peer that trickles data sleeps on purpose: the pace of its sends is the
thing under test, not a way to synchronise.
"""

from __future__ import annotations

import time

import pytest
from ref_support import Background, TcpPair, invoke, timed

import reference as ls


def trickle(pair: TcpPair, pieces: int, every: float) -> Background:
    """The peer sends one byte every ``every`` seconds, ``pieces`` times."""
    def run() -> None:
        for _ in range(pieces):
            time.sleep(every)
            pair.feed(b"t")
    return Background(run)


def test_timeout_returns_nothing(pair: TcpPair, style: str) -> None:
    assert invoke(style, pair.sock, "timeout", 1) == ()
    assert invoke(style, pair.sock, "timeout", 1, "r") == ()


@pytest.mark.parametrize("mode", [None, "blocked", "r"])
def test_idle_receive_times_out_after_the_limit(pair: TcpPair, style: str, mode: str | None) -> None:
    invoke(style, pair.sock, "timeout", 0.2, mode)
    result, took = timed(lambda: pair.sock.receive())
    assert result == (b"", "timeout")
    assert 0.18 <= took <= 1.5


def test_both_limits_the_smaller_wins(pair: TcpPair) -> None:
    pair.sock.timeout(5, "b")
    pair.sock.timeout(0.2, "r")
    result, took = timed(lambda: pair.sock.receive(4))
    assert result == (b"", "timeout")
    assert 0.18 <= took <= 1.5


def test_block_limit_does_not_cap_a_trickling_transfer(pair: TcpPair) -> None:
    pair.sock.timeout(0.4, "b")
    feeder = trickle(pair, pieces=6, every=0.1)
    result, took = timed(lambda: pair.sock.receive(6))
    feeder.join()
    assert result == (b"tttttt", None)
    assert took >= 0.4  # longer than b, yet no timeout: each wait was short


def test_return_limit_caps_the_whole_call(pair: TcpPair) -> None:
    pair.sock.timeout(0.35, "r")
    feeder = trickle(pair, pieces=8, every=0.1)
    (data, error), took = timed(lambda: pair.sock.receive(8))
    feeder.join()
    assert error == "timeout"
    assert 1 <= len(data) < 8  # the partial data collected before the limit
    assert 0.33 <= took <= 1.5  # a timed-out "r" call took at least r


def test_zero_timeout_polls(pair: TcpPair) -> None:
    pair.sock.timeout(0)
    result, took = timed(lambda: pair.sock.receive())
    assert result == (b"", "timeout")
    assert took < 0.5


def test_buffered_data_is_returned_even_with_a_zero_timeout(pair: TcpPair) -> None:
    pair.feed(b"one\ntwo\nthree")
    assert pair.sock.receive() == (b"one", None)
    pair.sock.timeout(0)
    assert pair.sock.receive() == (b"two", None)
    assert pair.sock.receive() == (b"three", "timeout")


@pytest.mark.parametrize("no_limit", [(-1,), (-0.0005,), (None,), ()])
def test_negative_nil_or_missing_value_means_no_limit(pair: TcpPair, no_limit: tuple[object, ...]) -> None:
    """Any negative (even > -0.001, DIVERGENCES #15) or nil means block."""
    pair.sock.timeout(0.05)
    pair.sock.timeout(*no_limit)
    receiving = Background(pair.sock.receive)
    time.sleep(0.3)  # well past the old limit: the call must still be waiting
    pair.feed(b"late\n")
    assert receiving.join() == (b"late", None)


def test_setting_one_mode_keeps_the_other(pair: TcpPair) -> None:
    pair.sock.timeout(0.2, "r")
    pair.sock.timeout(None, "b")
    result, took = timed(lambda: pair.sock.receive())
    assert result == (b"", "timeout")
    assert 0.18 <= took <= 1.5


def test_numeric_string_timeout(pair: TcpPair) -> None:
    pair.sock.timeout("0.2")
    result, took = timed(lambda: pair.sock.receive())
    assert result == (b"", "timeout")
    assert 0.18 <= took <= 1.5


@pytest.mark.parametrize(("args", "message"), [
    ((1, ""), "invalid timeout mode"),
    ((1, "x"), "invalid timeout mode"),
    (("soon",), "number expected, got string"),
    (({},), "number expected, got table"),
])
def test_bad_timeout_arguments_raise(pair: TcpPair, server: ls.TcpServer, style: str,
                                     args: tuple[object, ...], message: str) -> None:
    for sock in (pair.sock, server):
        with pytest.raises(ls.LuaError) as raised:
            invoke(style, sock, "timeout", *args)
        assert str(raised.value) == message


def test_connect_has_no_timeout_to_set() -> None:
    """connect takes (address, port) only; a third argument is ignored."""
    result = ls.connect("no-such-host.invalid", 80, 0.001)
    assert result == (None, "host not found")
