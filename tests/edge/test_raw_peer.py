"""The raw peer's actions, checked against plain Python sockets playing the candidate."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from raw_support import act, finished, needs_nftables, needs_raw, peer

from harness import firewall
from harness.peers import PeerContext, PeerGroup, SyncBoard
from harness.peers.raw import RawPeer
from harness.transcript import Transcript

pytestmark = needs_raw

Start = Callable[..., PeerGroup]
Sockets = Callable[..., socket.socket]


def bound_udp(sockets: Sockets, timeout: float = 2.0) -> tuple[socket.socket, int]:
    sock = sockets(socket.SOCK_DGRAM, timeout)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def test_inject_udp_with_a_crafted_source(start_peers: Start, sockets: Sockets) -> None:
    sock, port = bound_udp(sockets)
    group = start_peers(peer("raw", "raw", act("inject-udp", data=b"hi", host="127.0.0.1", port=port,
                                               from_host="127.0.0.77", from_port=4242)))
    finished(group)
    assert sock.recvfrom(100) == (b"hi", ("127.0.0.77", 4242))


def test_inject_udp_defaults_to_the_peer_s_own_address(start_peers: Start, sockets: Sockets) -> None:
    sock, port = bound_udp(sockets)
    env: dict = {}
    group = start_peers(peer("raw", "raw", act("inject-udp", data=b"", host="127.0.0.1", port=port)), env=env)
    finished(group)
    assert sock.recvfrom(100) == (b"", ("127.0.0.1", env["raw.port"]))


def test_bad_checksum_is_dropped_and_none_is_accepted(start_peers: Start, sockets: Sockets) -> None:
    sock, port = bound_udp(sockets)
    group = start_peers(peer("raw", "raw",
                             act("inject-udp", data=b"bad", host="127.0.0.1", port=port, checksum="bad"),
                             act("inject-udp", data=b"none", host="127.0.0.1", port=port, checksum="none")))
    finished(group)
    assert sock.recv(100) == b"none"
    sock.settimeout(0.1)
    with pytest.raises(TimeoutError):
        sock.recv(100)


def test_fragments_out_of_order_reassemble_and_an_incomplete_set_never_arrives(start_peers: Start,
                                                                               sockets: Sockets) -> None:
    sock, port = bound_udp(sockets)
    data = bytes(range(250)) * 12  # 3000 bytes + 8 of UDP header: three 1024-byte fragments
    group = start_peers(peer("raw", "raw",
                             act("inject-fragments", data=b"lost" * 500, host="127.0.0.1", port=port,
                                 size=512, order=[1, 2, 4]),
                             act("inject-fragments", data=data, host="127.0.0.1", port=port, size=1024,
                                 order=[3, 1, 2])))
    finished(group)
    assert sock.recv(65535) == data
    sock.settimeout(0.1)
    with pytest.raises(TimeoutError):
        sock.recv(65535)


def test_a_fragment_number_past_the_end_fails_the_peer(start_peers: Start, sockets: Sockets) -> None:
    _sock, port = bound_udp(sockets)
    fragments = act("inject-fragments", data=b"x" * 100, host="127.0.0.1", port=port, size=64, order=[3])
    group = start_peers(peer("raw", "raw", fragments))
    group.wait_done(3.0)
    (failure,) = group.failures()
    assert "fragment 3 does not exist" in failure.message and "2 fragments" in failure.message


@pytest.mark.parametrize(("code", "error"), [("port", ConnectionRefusedError), ("admin", OSError)])
def test_icmp_unreachable_reaches_the_connected_socket(start_peers: Start, sockets: Sockets, code: str,
                                                       error: type[OSError]) -> None:
    env: dict = {}
    script = (act("recvfrom", expect=b"ping"), act("icmp-unreachable", code=code))
    group = start_peers(peer("raw", "raw", *script), env=env)
    client = sockets(socket.SOCK_DGRAM)
    client.connect(("127.0.0.1", env["raw.port"]))
    client.send(b"ping")
    finished(group)
    with pytest.raises(error):
        client.recv(100)


def test_icmp_about_another_socket_leaves_this_one_alone(start_peers: Start, sockets: Sockets) -> None:
    env: dict = {}
    group = start_peers(peer("raw", "raw", act("recvfrom"),
                             act("icmp-unreachable", code="port", host="127.0.0.1", port=9)), env=env)
    client = sockets(socket.SOCK_DGRAM, 0.1)
    client.connect(("127.0.0.1", env["raw.port"]))
    client.send(b"ping")
    finished(group)
    with pytest.raises(TimeoutError):
        client.recv(100)


def connected_pair(start_peers: Start, sockets: Sockets, *raw_script, server_script=()) -> tuple[PeerGroup,
                                                                                                  socket.socket]:
    env: dict = {}
    group = start_peers(peer("srv", "tcp-server", act("accept"), *server_script),
                        peer("raw", "raw", *raw_script), env=env)
    client = sockets(socket.SOCK_STREAM, 3.0)
    client.connect(("127.0.0.1", env["srv.port"]))
    return group, client


def test_inject_rst_resets_the_candidate_end_of_another_peer_s_connection(start_peers: Start,
                                                                          sockets: Sockets) -> None:
    group, client = connected_pair(start_peers, sockets, act("wait", name="sent"),
                                   act("wait-drained", peer="srv"), act("inject-rst", peer="srv"),
                                   server_script=(act("send", data=b"partial"), act("signal", name="sent")))
    assert client.recv(100) == b"partial"
    with pytest.raises(ConnectionResetError):
        client.recv(100)  # blocks until the RST: wait-drained saw the first recv take everything
    finished(group)


def test_inject_fin_ends_the_stream_while_the_peer_never_closed(start_peers: Start, sockets: Sockets) -> None:
    group, client = connected_pair(start_peers, sockets, act("wait", name="sent"),
                                   act("wait-drained", peer="srv"), act("inject-fin", peer="srv"),
                                   server_script=(act("send", data=b"body"), act("signal", name="sent"),
                                                  act("wait", name="checked")))
    assert client.recv(100) == b"body"
    assert client.recv(100) == b""  # end of stream
    group.context.board.signal("checked")
    finished(group)


def test_wait_drained_waits_for_the_reader(start_peers: Start, sockets: Sockets) -> None:
    group, client = connected_pair(start_peers, sockets, act("wait", name="sent"),
                                   act("wait-drained", peer="srv", timeout=0.3),
                                   server_script=(act("send", data=b"unread"), act("signal", name="sent")))
    group.wait_done(3.0)
    (failure,) = group.failures()  # nobody read "unread"
    assert failure.op == "wait-drained" and "within 0.3s" in failure.message


@needs_nftables
def test_refuse_syn_answers_a_dropped_syn_with_rst(start_peers: Start, sockets: Sockets) -> None:
    env: dict = {}
    script = (act("drop-syn"), act("signal", name="dropping"), act("refuse-syn"))
    group = start_peers(peer("raw", "raw", *script), env=env)
    assert group.context.board.wait("dropping", 3.0)
    client = sockets(socket.SOCK_STREAM, 3.0)
    with pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", env["raw.port"]))
    finished(group)


@needs_nftables
def test_drop_syn_leaves_connect_pending_and_stop_removes_the_rule(start_peers: Start,
                                                                   sockets: Sockets) -> None:
    env: dict = {}
    script = (act("drop-syn"), act("signal", name="dropping"), act("expect-syn"))
    group = start_peers(peer("raw", "raw", *script), env=env)
    assert group.context.board.wait("dropping", 3.0)
    (raw,) = group.peers
    tables = list(raw._removed)
    assert firewall.leftover_tables(tables) == tables
    client = sockets(socket.SOCK_STREAM, 0.3)
    with pytest.raises(TimeoutError):
        client.connect(("127.0.0.1", env["raw.port"]))
    finished(group)  # expect-syn saw the SYN the rule dropped
    group.stop()
    assert firewall.leftover_tables(tables) == []
    assert raw.leftovers() == []


@needs_nftables
def test_allow_syn_lets_the_kernel_answer_again(start_peers: Start, sockets: Sockets) -> None:
    env: dict = {}
    group = start_peers(peer("raw", "raw", act("drop-syn"), act("allow-syn")), env=env)
    finished(group)
    client = sockets(socket.SOCK_STREAM, 2.0)
    with pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", env["raw.port"]))


def test_a_peer_whose_setup_failed_still_stops_cleanly() -> None:
    transcript = Transcript()
    raw = RawPeer(peer("raw", "raw", host="::1"), PeerContext(SyncBoard(transcript), transcript, {}))
    with pytest.raises(ValueError, match="IPv4 only"):
        raw.setup()
    assert raw.stop(0.5)
    assert raw.leftovers() == []
