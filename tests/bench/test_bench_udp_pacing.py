"""Pacing a UDP flood: the sock_diag request and reply on fixed bytes, the pacer's decisions, a live look."""

from __future__ import annotations

import socket
import struct

import pytest

from harness.peers import udp_pacing
from harness.peers.udp_diag import DiagError, ReceiveMemory, SocketDiag, build_request, parse_reply
from harness.peers.udp_pacing import LONGEST_WAIT, SHORTEST_WAIT, Pacer, QueueWatch, fine_timer

# A request for 127.0.0.1:57905 (sequence 7) and the kernel's answer: 3 datagrams of 512 bytes queued
# (3 x 1280 bytes charged), a 212,992-byte buffer, no drops. Then the answer for a port nobody holds.
REQUEST = bytes.fromhex(
    "4800000014000100070000000000000002114000ffffffff0000e23100000000000000000000000000000000"
    "7f00000100000000000000000000000000000000ffffffffffffffff")
REPLY = bytes.fromhex(
    "a40000001400000007000000f605000002070000e23100007f000001000000000000000000000000000000000000"
    "00000000000000000000000000000b1000000000000000000000000f00000000000000000000ceae2b0005000800"
    "0000000008000f00000000000c0015000100000000000000060016005000000028000700000f0000004003000000"
    "0000004003000001000000000000000000000000000000000000")
NOT_FOUND = bytes.fromhex(
    "5c0000000200000008000000f6050000feffffff4800000014000100080000000000000002114000ffffffff"
    "00000001000000000000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff")


def test_the_request_names_the_local_end_as_the_kernel_looks_a_udp_socket_up() -> None:
    assert build_request("127.0.0.1", 57905, 7) == REQUEST


def test_the_reply_gives_the_queue_the_buffer_and_the_drops() -> None:
    assert parse_reply(REPLY) == ReceiveMemory(queued=3840, limit=212992, drops=0)
    assert parse_reply(NOT_FOUND) is None


def test_other_errors_and_replies_without_counters_are_errors() -> None:
    permission = NOT_FOUND[:16] + struct.pack("=i", -1) + NOT_FOUND[20:]
    with pytest.raises(DiagError, match="EPERM"):
        parse_reply(permission)
    without_counters = struct.pack("=I", 16 + 72) + REPLY[4:16 + 72]
    with pytest.raises(DiagError, match="no memory counters"):
        parse_reply(without_counters)
    with pytest.raises(DiagError):
        parse_reply(b"\x00" * 8)


def test_the_pacer_fills_up_to_the_window_or_the_buffer_whichever_is_smaller() -> None:
    pacer = Pacer(window=15360, cost=1536)  # 10 datagrams
    assert pacer.batch(ReceiveMemory(0, 212992, 0), 1000) == 10
    assert pacer.batch(ReceiveMemory(0, 212992, 0), 4) == 4
    assert pacer.batch(ReceiveMemory(0, 6144, 0), 1000) == 4  # a buffer below the window bounds it
    assert pacer.batch(ReceiveMemory(0, 100, 0), 1000) == 1  # an empty queue always takes one
    big = Pacer(window=1 << 20, cost=1536)
    assert big.batch(ReceiveMemory(0, 212992, 0), 1000) == 138


def test_the_pacer_waits_for_room_for_a_quarter_of_the_queue() -> None:
    pacer = Pacer(window=15360, cost=1536)
    assert pacer.batch(ReceiveMemory(15360 - 1536, 212992, 0), 1000) == 0  # room for 1 of 10
    assert pacer.batch(ReceiveMemory(15360 - 2 * 1536, 212992, 0), 1000) == 2
    assert pacer.batch(ReceiveMemory(15360 - 1536, 212992, 0), 1) == 1  # the last one goes alone


def test_the_wait_shrinks_when_the_receiver_ran_dry_and_grows_when_there_is_no_room() -> None:
    pacer = Pacer(window=15360, cost=1536)
    assert pacer.wait == LONGEST_WAIT
    for _ in range(20):
        pacer.learn(ReceiveMemory(0, 212992, 0), 10)
    assert pacer.wait == SHORTEST_WAIT
    pacer.learn(ReceiveMemory(5000, 212992, 0), 5)  # found room, not idle: the wait was right
    assert pacer.wait == SHORTEST_WAIT
    for _ in range(20):
        pacer.learn(ReceiveMemory(15000, 212992, 0), 0)
    assert pacer.wait == LONGEST_WAIT


def test_a_live_socket_is_seen_by_sock_diag_or_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        receiver.bind(("127.0.0.1", 0))
        port = receiver.getsockname()[1]
        for _ in range(3):
            sender.sendto(b"d" * 512, ("127.0.0.1", port))
        watch = QueueWatch("127.0.0.1", port)
        try:
            memory = watch.look()
        finally:
            watch.close()
        assert memory is not None and memory.queued >= 3 * 512 and memory.limit > 0
        # Without netlink the table in /proc gives the queue, and the system default the buffer.
        monkeypatch.setattr(SocketDiag, "look", lambda self: None)
        monkeypatch.setattr(udp_pacing, "default_limit", lambda: 4242)
        fallback = QueueWatch("127.0.0.1", port)
        assert fallback.look() == ReceiveMemory(memory.queued, 4242, 0)
        fallback.close()
    gone = QueueWatch("127.0.0.1", port)
    assert gone.look() is None
    gone.close()


def test_fine_timer_cuts_the_thread_timer_slack_and_restores_it() -> None:
    prctl = udp_pacing._prctl()
    if prctl is None:
        pytest.skip("no prctl here")
    before = prctl(udp_pacing._PR_GET_TIMERSLACK, 0, 0, 0, 0)  # type: ignore[operator]
    with fine_timer():
        assert prctl(udp_pacing._PR_GET_TIMERSLACK, 0, 0, 0, 0) == udp_pacing.FINE_SLACK_NS  # type: ignore[operator]
    assert prctl(udp_pacing._PR_GET_TIMERSLACK, 0, 0, 0, 0) == before  # type: ignore[operator]
