"""The packet builders produce exactly the headers a scenario asked for (no network)."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP

from harness.peers import raw_packets
from harness.scenario.schema import ICMP_CODES

SOURCE = ("127.0.0.77", 4242)
DESTINATION = ("127.0.0.1", 5000)


def test_udp_datagram_carries_the_crafted_source_and_a_valid_checksum() -> None:
    packet = IP(raw_packets.udp_datagram(b"hello", SOURCE, DESTINATION))
    assert (packet.src, packet[UDP].sport) == SOURCE
    assert (packet.dst, packet[UDP].dport) == DESTINATION
    assert bytes(packet[UDP].payload) == b"hello"
    rebuilt = IP(bytes(packet))
    del rebuilt[UDP].chksum  # scapy recomputes it on build
    assert IP(bytes(rebuilt))[UDP].chksum == packet[UDP].chksum


@pytest.mark.parametrize("payload", [b"", b"x", b"abc" * 100])
def test_bad_checksum_differs_from_the_right_one_and_is_never_zero(payload: bytes) -> None:
    good = raw_packets.udp_datagram(payload, SOURCE, DESTINATION)
    bad = raw_packets.udp_datagram(payload, SOURCE, DESTINATION, checksum="bad")
    (right,) = struct.unpack_from(">H", good, 26)
    (wrong,) = struct.unpack_from(">H", bad, 26)
    assert wrong not in (right, 0)
    assert good[:26] == bad[:26] and good[28:] == bad[28:]


def test_no_checksum_is_zero() -> None:
    packet = raw_packets.udp_datagram(b"abc", SOURCE, DESTINATION, checksum="none")
    assert struct.unpack_from(">H", packet, 26) == (0,)


def test_the_largest_payload_fits_and_one_more_byte_does_not() -> None:
    assert len(raw_packets.udp_datagram(b"z" * 65507, SOURCE, DESTINATION)) == 65535
    with pytest.raises(ValueError, match="65507"):
        raw_packets.udp_datagram(b"z" * 65508, SOURCE, DESTINATION)


def test_fragments_cover_the_datagram_with_offsets_and_more_fragments_flags() -> None:
    fragments = [IP(data) for data in raw_packets.udp_fragments(b"x" * 3000, SOURCE, DESTINATION, 1024, 77)]
    assert len(fragments) == 3  # 3008 bytes of UDP in 1024-byte pieces
    assert [fragment.frag * 8 for fragment in fragments] == [0, 1024, 2048]
    assert [bool(fragment.flags.MF) for fragment in fragments] == [True, True, False]
    assert {fragment.id for fragment in fragments} == {77}
    joined = b"".join(bytes(fragment.payload) for fragment in fragments)
    assert UDP(joined).load == b"x" * 3000


@pytest.mark.parametrize("size", [0, 100, -8])
def test_fragment_size_must_be_a_positive_multiple_of_8(size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        raw_packets.udp_fragments(b"x" * 100, SOURCE, DESTINATION, size, 1)


@pytest.mark.parametrize("code", ICMP_CODES)
def test_icmp_unreachable_quotes_the_datagram_it_is_about(code: str) -> None:
    packet = IP(raw_packets.icmp_unreachable(code, DESTINATION, SOURCE, "127.0.0.1"))
    assert packet.dst == DESTINATION[0]
    assert (packet[ICMP].type, packet[ICMP].code) == (3, raw_packets.ICMP_UNREACHABLE_CODES[code])
    quoted = IP(bytes(packet[ICMP].payload))  # the quoted IP header and 8 bytes of UDP
    assert (quoted.src, quoted.dst) == (DESTINATION[0], SOURCE[0])
    assert (quoted[UDP].sport, quoted[UDP].dport) == (DESTINATION[1], SOURCE[1])


def test_loader_codes_and_builder_codes_are_the_same_set() -> None:
    assert set(ICMP_CODES) == set(raw_packets.ICMP_UNREACHABLE_CODES)


@pytest.mark.parametrize(("kind", "flags"), [("rst", "R"), ("rst-ack", "RA"), ("fin-ack", "FA")])
def test_tcp_control_segments_have_the_given_numbers(kind: str, flags: str) -> None:
    packet = IP(raw_packets.tcp_segment(kind, SOURCE, DESTINATION, 2**32 + 5, 99))
    assert str(packet[TCP].flags) == flags
    assert packet[TCP].seq == 5  # wrapped to 32 bits
    assert packet[TCP].ack == (99 if "A" in flags else 0)
    assert (packet[TCP].sport, packet[TCP].dport) == (SOURCE[1], DESTINATION[1])
