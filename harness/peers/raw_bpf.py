"""A classic BPF program that keeps a sniffer to the TCP ports one scenario uses.

Every xdist worker sends traffic over the same ``lo``. A packet socket
without a filter would copy all of it into the sniffer's buffer, where a
busy neighbour could crowd out the few segments the scenario needs; the
kernel runs this program first and keeps only:

* packets leaving through the device (``lo`` shows each packet twice, once
  going out and once coming in; one copy is enough),
* IPv4 TCP first fragments (or whole datagrams) with one of the given ports
  as source or destination port,

and of those only the first ``snaplen`` bytes: headers are all the flow
tracking reads.

Building the program is pure; :func:`attach` is the one socket call.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from collections.abc import Iterable

_SO_ATTACH_FILTER = 26
_PACKET_OUTGOING = 4
_SKF_AD_PKTTYPE = 0xFFFFF000 + 4  # SKF_AD_OFF + SKF_AD_PKTTYPE
_ETH_HEADER = 14

# Opcodes (linux/filter.h): class | size | mode.
_LD_W_ABS = 0x20
_LD_H_ABS = 0x28
_LD_B_ABS = 0x30
_LDX_B_MSH = 0xB1
_LD_H_IND = 0x48
_JEQ = 0x15
_JSET = 0x45
_RET = 0x06

Instruction = tuple[int, int, int, int]  # code, jump-if-true, jump-if-false, k


def tcp_ports_program(ports: Iterable[int], snaplen: int = 160) -> list[Instruction]:
    """The instructions; jumps are relative, so the program is built back to front."""
    wanted = sorted(set(ports))
    if not wanted:
        raise ValueError("a sniffer needs at least one port")
    # Tail: compare the source port against each, then the destination port.
    tail: list[Instruction] = []
    for offset in (_ETH_HEADER, _ETH_HEADER + 2):
        tail.append((_LD_H_IND, 0, 0, offset))
        tail.extend((_JEQ, 0, 0, port) for port in wanted)
    tail.append((_RET, 0, 0, 0))
    tail.append((_RET, 0, 0, snaplen))
    accept = len(tail) - 1
    reject = len(tail) - 2
    resolved = []
    for index, (code, _jt, _jf, k) in enumerate(tail):
        if code == _JEQ:
            resolved.append((code, accept - index - 1, 0, k))
        else:
            resolved.append((code, 0, 0, k))
    # Head: checks that end in the reject instruction when they fail.
    head: list[tuple[int, int, int]] = [
        (_LD_W_ABS, _SKF_AD_PKTTYPE, -1),
        (_JEQ, _PACKET_OUTGOING, 0),  # jump-if-false -> reject
        (_LD_H_ABS, 12, -1),
        (_JEQ, 0x0800, 0),  # IPv4
        (_LD_B_ABS, _ETH_HEADER + 9, -1),
        (_JEQ, socket.IPPROTO_TCP, 0),
        (_LD_H_ABS, _ETH_HEADER + 6, -1),
        (_JSET, 0x1FFF, 1),  # a later fragment carries no ports: jump-if-true -> reject
        (_LDX_B_MSH, _ETH_HEADER, -1),
    ]
    program: list[Instruction] = []
    total_head = len(head)
    for index, (code, k, reject_on) in enumerate(head):
        to_reject = (total_head - index - 1) + reject
        if reject_on == 0:
            program.append((code, 0, to_reject, k))
        elif reject_on == 1:
            program.append((code, to_reject, 0, k))
        else:
            program.append((code, 0, 0, k))
    return program + resolved


def encode(program: list[Instruction]) -> bytes:
    """``struct sock_filter`` array: u16 code, u8 jt, u8 jf, u32 k."""
    for code, jt, jf, _k in program:
        if not (0 <= jt <= 255 and 0 <= jf <= 255):
            raise ValueError(f"jump out of range in instruction {code:#x}")
    return b"".join(struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF) for code, jt, jf, k in program)


def attach(sock: socket.socket, program: list[Instruction]) -> None:
    """Install the program on ``sock`` (``SO_ATTACH_FILTER``)."""
    code = encode(program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
