"""The UDP peer's actions, and ordering between steps and peers by sync signals."""

from __future__ import annotations

import select
import socket
import threading
import time

from runner_support import FILE, act, peer

from harness.peers import SyncBoard
from harness.scenario.matchers import Exact
from harness.scenario.model import Ref
from harness.transcript import Transcript


def udp_socket(keep) -> socket.socket:
    sock = keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    return sock


def test_udp_peer_receives_checks_sender_and_replies(start_peers, sockets):
    mine = udp_socket(sockets)
    env = {"me": mine.getsockname()[1]}
    group = start_peers(peer("u", "udp", act("recvfrom", expect=Exact(b"ping"), from_port=Ref("me")),
                             act("sendto", data=b"pong", host=b"127.0.0.1", port=Ref("me"))), env=env)
    mine.sendto(b"ping", (group.peers[0].host, group.peers[0].port))
    data, address = mine.recvfrom(100)
    assert (data, address[1]) == (b"pong", env["u.port"])
    assert group.wait_done(5) == []
    assert group.failures() == []


def test_udp_datagram_mismatch_and_wrong_sender(start_peers, sockets):
    mine = udp_socket(sockets)
    group = start_peers(peer("u", "udp", act("recvfrom", line=8, expect=Exact(b"ping"))),
                        peer("v", "udp", act("recvfrom", line=9, from_port=Exact(1))))
    u, v = group.peers
    mine.sendto(b"pinG", (u.host, u.port))
    mine.sendto(b"x", (v.host, v.port))
    assert group.wait_done(5) == []
    failures = {failure.peer: failure for failure in group.failures()}
    assert str(failures["u"].location) == f"{FILE}:8"
    assert (failures["u"].expected, failures["u"].received) == ('"ping"', '"pinG"')
    assert failures["v"].received == str(mine.getsockname()[1])


def test_udp_recvfrom_times_out_and_stop_unblocks_it(start_peers):
    group = start_peers(peer("u", "udp", act("recvfrom", timeout=0.1)),
                        peer("w", "udp", act("recvfrom", timeout=30)))
    assert group.peers[0].wait_done(5)
    (failure,) = group.failures()
    assert "no datagram within 0.1s" in failure.message
    assert failure.gave_up
    started = time.monotonic()
    assert group.stop() == []
    assert time.monotonic() - started < 1.5


def test_udp_close(start_peers):
    group = start_peers(peer("u", "udp", act("close"), act("sendto", line=3, data=b"x", host=b"127.0.0.1",
                                                          port=9)))
    assert group.wait_done(5) == []
    (failure,) = group.failures()
    assert failure.op == "sendto" and "closed" in failure.message


def test_peer_waits_for_the_steps_signal_before_sending(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("signal", name="accepted"),
                             act("wait", name="go"), act("send", data=b"after go")))
    board = group.context.board
    server = group.peers[0]
    client = sockets(socket.create_connection((server.host, server.port), timeout=5))
    assert board.wait("accepted", 5)
    readable, _, _ = select.select([client], [], [], 0)
    assert readable == [], "nothing may be sent before the go signal"
    board.signal("go", source="steps")
    assert client.recv(100) == b"after go"
    assert group.wait_done(5) == []
    texts = [entry.text for entry in group.context.transcript.entries()]
    assert texts.index("signal go") < texts.index('sent "after go"')


def test_a_missing_signal_is_a_peer_failure_not_a_hang(start_peers):
    group = start_peers(peer("srv", "tcp-server", act("wait", line=6, name="never", timeout=0.2)))
    started = time.monotonic()
    assert group.wait_done(5) == []
    assert 0.18 <= time.monotonic() - started <= 1.5
    (failure,) = group.failures()
    assert "'never' was not raised within 0.2s" in failure.message
    assert failure.gave_up
    assert group.context.board.aborted, "a failing peer wakes every other waiter"


def test_wait_timeouts_are_scaled(start_peers):
    group = start_peers(peer("srv", "tcp-server", act("wait", name="never", timeout=0.1)), time_scale=3.0)
    assert group.wait_done(5) == []
    assert "within 0.3s" in group.failures()[0].message


def test_peer_sleep_is_interrupted_by_stop(start_peers):
    group = start_peers(peer("srv", "tcp-server", act("sleep", seconds=30)))
    started = time.monotonic()
    assert group.stop() == []
    assert time.monotonic() - started < 1.5


def test_board_signal_before_wait_and_abort():
    board = SyncBoard(Transcript())
    board.signal("early")
    assert board.wait("early", 0)
    waiter_result: list[bool] = []
    waiter = threading.Thread(target=lambda: waiter_result.append(board.wait("late", 30)))
    waiter.start()
    board.abort()
    waiter.join(5)
    assert not waiter.is_alive()
    assert waiter_result == [False]
