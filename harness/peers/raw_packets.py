"""The packets a raw peer sends, built with scapy: bytes out, no sockets.

Each builder returns complete IPv4 packets (header included) ready for a
``SOCK_RAW``/``IPPROTO_RAW`` socket, so what goes on the wire is exactly
what a scenario asked for: any source address and port, a checksum that
is right, wrong or absent, fragments in any order or missing, ICMP errors
quoting a datagram, TCP segments with chosen sequence numbers.

scapy is imported when a packet is first built, so that loading scenarios
(or probing capabilities) never needs it.
"""

from __future__ import annotations

import functools
import struct
from types import SimpleNamespace
from typing import Any, Literal

Address = tuple[str, int]
Checksum = Literal["good", "bad", "none"]

MAX_UDP_PAYLOAD = 65507
"""65535 (IPv4 total length) - 20 (IP header) - 8 (UDP header)."""

ICMP_UNREACHABLE_CODES = {"net": 0, "host": 1, "protocol": 2, "port": 3, "admin": 13}
"""ICMP type 3 codes by name; Linux reports port/protocol as ECONNREFUSED and the others as
EHOSTUNREACH/ENETUNREACH on a connected UDP socket."""

TCP_FLAGS = {"rst": "R", "rst-ack": "RA", "fin-ack": "FA", "ack": "A"}


@functools.cache
def _scapy() -> Any:
    """scapy's IPv4 layer (imported once; never at module import)."""
    from scapy.layers import inet

    return SimpleNamespace(IP=inet.IP, UDP=inet.UDP, TCP=inet.TCP, ICMP=inet.ICMP, fragment=inet.fragment)


def _udp(payload: bytes, source: Address, destination: Address, ident: int | None) -> Any:
    s = _scapy()
    ip = s.IP(src=source[0], dst=destination[0]) if ident is None else \
        s.IP(src=source[0], dst=destination[0], id=ident)
    return ip / s.UDP(sport=source[1], dport=destination[1]) / payload


def udp_datagram(payload: bytes, source: Address, destination: Address, checksum: Checksum = "good") -> bytes:
    """One whole UDP datagram; ``checksum`` "bad" flips its bits, "none" sends 0 (no checksum)."""
    if len(payload) > MAX_UDP_PAYLOAD:
        raise ValueError(f"a UDP payload holds at most {MAX_UDP_PAYLOAD} bytes, not {len(payload)}")
    data = bytearray(bytes(_udp(payload, source, destination, None)))
    if checksum == "good":
        return bytes(data)
    # The UDP checksum sits at bytes 6-7 of the UDP header, after a 20-byte IP header.
    (right,) = struct.unpack_from(">H", data, 26)
    wrong = 0 if checksum == "none" else ((right ^ 0xFFFF) or 0x1234)  # 0 would mean "none"
    struct.pack_into(">H", data, 26, wrong)
    return bytes(data)


def udp_fragments(payload: bytes, source: Address, destination: Address, size: int,
                  ident: int) -> list[bytes]:
    """The IP fragments of one UDP datagram, in order.

    ``size`` is the IP payload carried by each fragment (a multiple of 8,
    as the fragment offset counts 8-byte units); the first fragment's share
    includes the 8-byte UDP header.
    """
    if size <= 0 or size % 8:
        raise ValueError(f"a fragment size must be a positive multiple of 8, got {size}")
    if len(payload) > MAX_UDP_PAYLOAD:
        raise ValueError(f"a UDP payload holds at most {MAX_UDP_PAYLOAD} bytes, not {len(payload)}")
    packet = _scapy().IP(bytes(_udp(payload, source, destination, ident)))  # checksums filled in
    return [bytes(fragment) for fragment in _scapy().fragment(packet, fragsize=size)]


def icmp_unreachable(code: str, quoted_source: Address, quoted_destination: Address,
                     sender: str) -> bytes:
    """ICMP destination-unreachable about a datagram ``quoted_source`` -> ``quoted_destination``.

    It goes to the quoted datagram's sender, which is how the kernel finds
    the socket to report the error to: the quoted IP header and the first 8
    bytes of UDP header name it.
    """
    if code not in ICMP_UNREACHABLE_CODES:
        raise ValueError(f"unknown unreachable code {code!r} (known: {', '.join(ICMP_UNREACHABLE_CODES)})")
    s = _scapy()
    quoted = bytes(_udp(b"", quoted_source, quoted_destination, None))[:28]  # IP header + UDP header
    icmp = s.ICMP(type=3, code=ICMP_UNREACHABLE_CODES[code])
    return bytes(s.IP(src=sender, dst=quoted_source[0]) / icmp / quoted)


def tcp_segment(kind: str, source: Address, destination: Address, seq: int, ack: int) -> bytes:
    """A bare TCP control segment (``rst``, ``rst-ack``, ``fin-ack`` or ``ack``)."""
    if kind not in TCP_FLAGS:
        raise ValueError(f"unknown segment kind {kind!r} (known: {', '.join(TCP_FLAGS)})")
    s = _scapy()
    flags = TCP_FLAGS[kind]
    tcp = s.TCP(sport=source[1], dport=destination[1], flags=flags, seq=seq & 0xFFFFFFFF,
                ack=(ack & 0xFFFFFFFF) if "A" in flags else 0, window=65535 if flags != "R" else 0)
    return bytes(s.IP(src=source[0], dst=destination[0]) / tcp)
