"""Each TCP peer action against a plain loopback socket on the other end."""

from __future__ import annotations

import socket
import time

import pytest
from runner_support import FILE, act, peer

from harness import capabilities
from harness.peers import PeerGroup
from harness.peers.stream import split_slices
from harness.scenario.matchers import Exact
from harness.scenario.model import Ref


def connect_to(group: PeerGroup, keep) -> socket.socket:
    server = group.peers[0]
    return keep(socket.create_connection((server.host, server.port), timeout=5))


def finished(group: PeerGroup) -> None:
    assert group.wait_done(5) == [], "the peer script did not finish"


def test_server_peer_listens_before_the_script_and_exposes_its_address(start_peers):
    env: dict = {}
    group = start_peers(peer("srv", "tcp-server"), env=env)
    assert env["srv.host"] == b"127.0.0.1"
    assert env["srv.port"] == group.peers[0].port > 0


def test_server_rcvbuf_fixes_the_accepted_connections_receive_buffer(start_peers, sockets):
    """Set on the listener before listen, so the connection has it from the handshake on."""
    script = (act("accept"), act("send", data=b"x"), act("recv-until-close"))
    group = start_peers(peer("srv", "tcp-server", *script, rcvbuf=65536))
    with socket.socket() as probe:  # what the kernel makes of 65536 (Linux doubles it)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        fixed = probe.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    client = connect_to(group, sockets)
    assert client.recv(1) == b"x"  # accepted: the peer's connection is set
    connection = group.peers[0].stream.connection
    assert connection is not None
    assert connection.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == fixed
    client.close()
    finished(group)


def test_send_in_slices_with_delays(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"),
                             act("send", data=b"abcdef", slices=[1, 2], delay=0.15)))
    client = connect_to(group, sockets)
    received = b""
    boundaries = set()
    while len(received) < 6:
        received += client.recv(100)
        boundaries.add(len(received))
    finished(group)
    assert received == b"abcdef"
    # A slow reader may see two slices at once, but never a slice cut in two.
    assert boundaries <= {1, 3, 6}
    sends = [entry for entry in group.context.transcript.entries() if entry.text.startswith("sent ")]
    assert [entry.text for entry in sends] == [
        'sent "a" (slice 1/3)', 'sent "bc" (slice 2/3)', 'sent "def" (slice 3/3)']
    gaps = [later.at - earlier.at for earlier, later in zip(sends, sends[1:], strict=False)]
    assert all(0.14 <= gap <= 1.5 for gap in gaps), gaps


def test_recv_exact_value_reads_its_length_and_checks_it(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", expect=Exact(b"GET /\r\n")),
                             act("send", data=b"ok")))
    client = connect_to(group, sockets)
    client.sendall(b"GET /\r\n")
    assert client.recv(10) == b"ok"
    finished(group)
    assert group.failures() == []


def test_recv_mismatch_is_reported_with_location_expected_and_received(start_peers, sockets):
    script = (act("accept"), act("recv", line=14, expect=Exact(b"hello")))
    group = start_peers(peer("srv", "tcp-server", *script))
    client = connect_to(group, sockets)
    client.sendall(b"hellO")
    finished(group)
    (failure,) = group.failures()
    assert failure.location is not None and str(failure.location) == f"{FILE}:14"
    assert failure.expected == '"hello"'
    assert failure.received == '"hellO"'
    assert "peer srv: recv" in failure.reason and f"{FILE}:14" in failure.reason
    assert not failure.gave_up, "a wrong answer is not a wait that ran out"


def test_a_contradicting_byte_fails_the_recv_at_once_not_at_its_timeout(start_peers, sockets):
    # "helo\n" is one byte short of "hello\n": the peer used to wait for the sixth byte until its
    # timeout and report a wait that ran out, though the data was wrong from its fourth byte.
    script = (act("accept"), act("recv", expect=Exact(b"hello\n"), timeout=60))
    group = start_peers(peer("srv", "tcp-server", *script))
    client = connect_to(group, sockets)
    client.sendall(b"helo\n")  # and nothing more, the connection left open
    finished(group)
    (failure,) = group.failures()
    assert not failure.gave_up
    assert "received data does not match" in failure.reason
    assert (failure.expected, failure.received) == ('"hello\\n"', '"helo\\n"')


def test_recv_with_count_and_the_stream_ending_early(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", line=5, count=10)))
    client = connect_to(group, sockets)
    client.sendall(b"abc")
    client.shutdown(socket.SHUT_WR)
    finished(group)
    (failure,) = group.failures()
    assert "end of stream after 3 of 10 bytes" in failure.message
    assert failure.received == '"abc"'


def test_a_stream_ending_early_names_what_was_expected(start_peers, sockets):
    # "expected -, received "one "" did not say the peer waited for "one two three".
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", expect=Exact(b"one two three"))))
    client = connect_to(group, sockets)
    client.sendall(b"one ")
    client.shutdown(socket.SHUT_WR)
    finished(group)
    (failure,) = group.failures()
    assert failure.reason.endswith(
        'end of stream after 4 of 13 bytes; expected "one two three", received "one "')


def test_long_data_that_differs_is_shown_around_the_first_difference(start_peers, sockets):
    # Expected cut at 200 bytes, received at 80: both showed the same head, the difference was at 97.
    every = bytes(range(256))
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", expect=Exact(every))))
    client = connect_to(group, sockets)
    client.sendall(every.upper())
    finished(group)
    (failure,) = group.failures()
    assert "received data does not match: first difference at offset 97: expected ..." in failure.reason
    assert '`ABCDEFGHIJKLMNOP"...' in failure.reason
    assert failure.expected.endswith('(256 bytes)') and failure.received.endswith('(256 bytes)')


def test_recv_times_out_instead_of_hanging(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", count=1, timeout=0.2)))
    connect_to(group, sockets)
    started = time.monotonic()
    finished(group)
    assert 0.15 <= time.monotonic() - started <= 1.5
    (failure,) = group.failures()
    assert "timed out after 0.2s" in failure.message
    assert failure.gave_up


def test_recv_until_close_and_expect_close(start_peers, sockets):
    group = start_peers(
        peer("srv", "tcp-server", act("accept"), act("recv-until-close", expect=Exact(b"all of it"))),
    )
    client = connect_to(group, sockets)
    client.sendall(b"all ")
    client.sendall(b"of it")
    client.close()
    finished(group)
    assert group.failures() == []


def test_expect_close_with_data_instead_fails(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("expect-close", line=3)))
    client = connect_to(group, sockets)
    client.sendall(b"surprise")
    finished(group)
    (failure,) = group.failures()
    assert failure.expected == "end of stream"
    assert failure.received == '"surprise"'


def test_shutdown_half_closes(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("shutdown", how="write"),
                             act("recv", expect=Exact(b"still open"))))
    client = connect_to(group, sockets)
    assert client.recv(10) == b"", "the peer's write side is closed"
    client.sendall(b"still open")
    finished(group)
    assert group.failures() == []


def test_close_gives_end_of_stream(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("send", data=b"bye"), act("close")))
    client = connect_to(group, sockets)
    finished(group)
    assert client.recv(10) == b"bye"
    assert client.recv(10) == b""


def test_close_without_a_connection_closes_the_listener(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("close")))
    finished(group)
    server = group.peers[0]
    with pytest.raises(ConnectionRefusedError):
        sockets(socket.create_connection((server.host, server.port), timeout=5))


def test_reset_is_seen_as_econnreset(start_peers, sockets):
    # The reset waits for a signal: an RST racing the client's connect would
    # make connect itself fail.
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("wait", name="connected"), act("reset")))
    client = connect_to(group, sockets)
    group.context.board.signal("connected")
    finished(group)
    with pytest.raises(ConnectionResetError):
        client.recv(10)


def test_accept_timeout_fails(start_peers):
    group = start_peers(peer("srv", "tcp-server", act("accept", line=2, timeout=0.1)))
    finished(group)
    (failure,) = group.failures()
    assert failure.op == "accept" and "no connection within 0.1s" in failure.message
    assert failure.gave_up


def test_client_peer_connects_to_a_referenced_port_and_talks(start_peers, sockets):
    listener = sockets(socket.create_server(("127.0.0.1", 0)))
    env = {"port": listener.getsockname()[1]}
    group = start_peers(peer("cli", "tcp-client", act("connect", host="127.0.0.1", port=Ref("port")),
                             act("send", data=b"ping"), act("recv", expect=Exact(b"pong"))), env=env)
    listener.settimeout(5)
    conn, address = listener.accept()
    sockets(conn)
    assert address[1] == env["cli.port"], "the client peer's port is known before it connects"
    assert conn.recv(4) == b"ping"
    conn.sendall(b"pong")
    finished(group)
    assert group.failures() == []


def test_client_peer_connection_refused_fails(start_peers):
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    group = start_peers(peer("cli", "tcp-client", act("connect", line=4, host=b"127.0.0.1", port=port)))
    finished(group)
    (failure,) = group.failures()
    assert "refused" in failure.message


def test_unresolved_ref_in_a_peer_is_a_peer_failure(start_peers):
    group = start_peers(peer("cli", "tcp-client", act("connect", line=4, host=b"127.0.0.1", port=Ref("p"))))
    finished(group)
    (failure,) = group.failures()
    assert "variable 'p' is not set" in failure.message


def test_stop_unblocks_a_peer_waiting_for_data_and_records_no_failure(start_peers, sockets):
    group = start_peers(peer("srv", "tcp-server", act("accept"), act("recv", count=1, timeout=30)))
    connect_to(group, sockets)
    assert group.wait_done(0.05) != []
    started = time.monotonic()
    assert group.stop() == []
    assert time.monotonic() - started < 1.5
    assert group.failures() == []


def test_stop_unblocks_a_peer_waiting_in_accept(start_peers):
    group = start_peers(peer("srv", "tcp-server", act("accept", timeout=30)))
    started = time.monotonic()
    assert group.stop() == []
    assert time.monotonic() - started < 1.5


def test_client_peer_reaches_an_ipv6_listener(start_peers, sockets):
    missing = capabilities.why_missing("ipv6")
    if missing:
        pytest.skip(f"requires ipv6: {missing}")
    listener = sockets(socket.create_server(("::1", 0), family=socket.AF_INET6))
    group = start_peers(peer("cli", "tcp-client", act("connect", host="::1", port=listener.getsockname()[1]),
                             act("send", data=b"v6")))
    listener.settimeout(5)
    conn, _ = listener.accept()
    sockets(conn)
    assert conn.recv(2) == b"v6"
    finished(group)
    assert group.failures() == []


def test_server_peer_listens_on_ipv6_when_asked(start_peers, sockets):
    missing = capabilities.why_missing("ipv6")
    if missing:
        pytest.skip(f"requires ipv6: {missing}")
    env: dict = {}
    server = peer("srv", "tcp-server", act("accept"), act("send", data=b"v6"), host="::1")
    group = start_peers(server, env=env)
    assert env["srv.host"] == b"::1"
    client = sockets(socket.create_connection(("::1", env["srv.port"]), timeout=5))
    assert client.recv(2) == b"v6"
    finished(group)


@pytest.mark.parametrize(("data", "slices", "pieces"), [
    (b"abcdef", [1, 2], [b"a", b"bc", b"def"]),
    (b"abc", [1, 2], [b"a", b"bc"]),
    (b"abc", [5], [b"abc"]),
    (b"abc", None, [b"abc"]),
    (b"", [1], [b""]),
])
def test_split_slices_leaves_the_rest_as_a_last_piece(data, slices, pieces):
    assert split_slices(data, slices) == pieces
