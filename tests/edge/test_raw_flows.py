"""Frame parsing, sequence bookkeeping, the BPF program and /proc/net/tcp parsing (no network)."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from harness.peers import raw_bpf, raw_tcpstate
from harness.peers.raw_sniff import FlowTable, Segment, parse_frame

SERVER = ("127.0.0.1", 5000)
CLIENT = ("127.0.0.1", 40000)


def frame(source: tuple[str, int], destination: tuple[str, int], flags: str, seq: int, ack: int = 0,
          payload: bytes = b"") -> bytes:
    packet = Ether() / IP(src=source[0], dst=destination[0]) / \
        TCP(sport=source[1], dport=destination[1], flags=flags, seq=seq, ack=ack) / payload
    return bytes(packet)


def segment(source: tuple[str, int], destination: tuple[str, int], flags: str, seq: int, ack: int = 0,
            payload: bytes = b"") -> Segment:
    parsed = parse_frame(frame(source, destination, flags, seq, ack, payload))
    assert parsed is not None
    return parsed


def test_parse_frame_reads_addresses_numbers_and_payload_length() -> None:
    parsed = segment(CLIENT, SERVER, "PA", 1000, 2000, b"hello")
    assert (parsed.source, parsed.destination) == (CLIENT, SERVER)
    assert (parsed.seq, parsed.ack, parsed.length) == (1000, 2000, 5)
    assert parsed.end == 1005


def test_parse_frame_ignores_what_is_not_ipv4_tcp() -> None:
    assert parse_frame(bytes(Ether() / IP() / UDP())) is None
    assert parse_frame(b"\x00" * 12 + b"\x86\xdd" + b"\x00" * 40) is None
    assert parse_frame(b"short") is None


def test_syn_and_fin_each_count_one_sequence_number() -> None:
    assert segment(CLIENT, SERVER, "S", 10).end == 11
    assert segment(CLIENT, SERVER, "FA", 10, 1).end == 11
    assert segment(CLIENT, SERVER, "A", 2**32 - 1, 1, b"ab").end == 1  # wraps


def handshake(table: FlowTable) -> None:
    table.add(segment(CLIENT, SERVER, "S", 100))
    table.add(segment(SERVER, CLIENT, "SA", 500, 101))
    table.add(segment(CLIENT, SERVER, "A", 101, 501))


def test_flow_table_knows_each_end_s_next_sequence_number() -> None:
    table = FlowTable()
    handshake(table)
    table.add(segment(SERVER, CLIENT, "PA", 501, 101, b"partial"))
    connection = table.latest(SERVER[1])
    assert connection is not None
    assert (connection.near, connection.far) == (SERVER, CLIENT)
    assert connection.next_from(SERVER) == 508
    assert connection.next_from(CLIENT) == 101


def test_an_old_retransmission_does_not_move_the_next_number_back() -> None:
    table = FlowTable()
    handshake(table)
    table.add(segment(SERVER, CLIENT, "PA", 501, 101, b"abc"))
    table.add(segment(SERVER, CLIENT, "PA", 501, 101, b"a"))  # a shorter, older copy
    assert table.latest(SERVER[1]).next_from(SERVER) == 504


def test_acknowledgements_are_tracked_per_sender() -> None:
    table = FlowTable()
    handshake(table)
    table.add(segment(SERVER, CLIENT, "PA", 501, 101, b"abc"))
    assert table.acked(CLIENT, SERVER) == 501
    table.add(segment(CLIENT, SERVER, "A", 101, 504))
    assert table.acked(CLIENT, SERVER) == 504
    assert table.acked(("127.0.0.1", 1), SERVER) is None


def test_latest_is_seen_from_the_watched_port_and_prefers_the_newest_connection() -> None:
    table = FlowTable()
    handshake(table)
    other = ("127.0.0.1", 40001)
    table.add(segment(other, SERVER, "S", 7))
    connection = table.latest(SERVER[1])
    assert connection.far == other
    client_view = table.latest(CLIENT[1])
    assert (client_view.near, client_view.far) == (CLIENT, SERVER)
    assert table.latest(1) is None


def test_syns_are_listed_for_refusal_but_syn_acks_are_not() -> None:
    table = FlowTable()
    handshake(table)
    assert [syn.seq for syn in table.syns] == [100]
    assert table.last_syn_to(SERVER).source == CLIENT
    assert table.last_syn_to(CLIENT) is None


def test_bpf_program_names_every_port_and_keeps_jumps_in_range() -> None:
    program = raw_bpf.tcp_ports_program([80, 443, 80], snaplen=200)
    ks = [k for _code, _jt, _jf, k in program]
    assert ks.count(80) == 2 and ks.count(443) == 2  # as source and as destination port
    assert program[-1] == (0x06, 0, 0, 200) and program[-2] == (0x06, 0, 0, 0)
    for index, (code, jt, jf, _k) in enumerate(program):
        if code in (0x15, 0x45):
            assert index + 1 + jt < len(program) and index + 1 + jf < len(program)
    assert len(raw_bpf.encode(program)) == 8 * len(program)


def test_bpf_program_needs_a_port() -> None:
    with pytest.raises(ValueError, match="at least one port"):
        raw_bpf.tcp_ports_program([])


PROC = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0
   1: 0100007F:9C40 0100007F:1F90 01 00000000:0000000C 00:00000000 00000000     0        0 2 1 0
"""


def test_receive_queues_are_read_per_connection() -> None:
    queues = raw_tcpstate.receive_queues(PROC)
    assert queues[(("127.0.0.1", 40000), ("127.0.0.1", 8080))] == 12
    assert raw_tcpstate.unread_bytes(("127.0.0.1", 8080), ("0.0.0.0", 0), lambda: PROC) == 0
    assert raw_tcpstate.unread_bytes(("127.0.0.1", 1), ("127.0.0.1", 2), lambda: PROC) is None
