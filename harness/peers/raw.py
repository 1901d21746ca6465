"""A raw-packet peer: crafted IPv4 packets where a plain socket cannot reach.

The network edges are where implementations of the API differ most: a
datagram from a spoofed address, one with a bad checksum, fragments out of
order or never completed, an ICMP error aimed at a connected UDP socket, a
RST or FIN arriving in the middle of a receive, a SYN that nobody answers.
This peer makes each of them happen on ``lo``.

What it holds (all opened in ``setup``/``start``, all closed by ``stop``):

* a UDP socket and a TCP socket bound to the same ephemeral port on its
  ``host`` (``raw.host``/``raw.port``): the UDP one receives what the
  candidate sends to the peer, the TCP one only reserves the port so that
  a SYN-dropping rule can never hit another scenario's listener;
* an ``IPPROTO_RAW`` socket that sends the packets ``raw_packets`` builds;
* a packet sniffer on ``lo`` limited to its own port and the ports of the
  peers its script targets (``raw_sniff``), opened before the steps start;
* the ``SynDropRule``\\ s its script installs (``harness.firewall``). They
  are removed on ``stop`` whatever happened, and ``leftovers`` asks the
  kernel whether any survived.

Every packet stays on loopback: destinations are whatever the scenario
names, which is a loopback address or the candidate's own socket.
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Mapping
from typing import Any

from harness import firewall
from harness.peers import raw_packets, raw_tcpstate
from harness.peers.base import (
    Action,
    PeerActionError,
    PeerContext,
    PeerTimeout,
    ScriptedPeer,
    as_host,
    as_port,
    check_datagram,
    show,
)
from harness.peers.raw_sniff import Address, Connection, FlowTable, LoopbackSniffer, Segment
from harness.scenario.model import PeerSpec

TARGETING_OPS = ("inject-rst", "inject-fin", "wait-drained")
"""Ops whose ``peer`` parameter names a TCP peer whose connection the sniffer must watch."""

_PORT_ATTEMPTS = 20
_MAX_DATAGRAM = 65535


def reserve_port(host: str) -> tuple[socket.socket, socket.socket]:
    """A TCP and a UDP socket bound to the same ephemeral port on ``host``."""
    for _ in range(_PORT_ATTEMPTS):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((host, 0))
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((host, tcp.getsockname()[1]))
            except OSError:
                udp.close()
                raise
        except OSError:
            tcp.close()
            continue
        return tcp, udp
    raise OSError(f"no port free for both TCP and UDP on {host} after {_PORT_ATTEMPTS} attempts")


class RawPeer(ScriptedPeer):
    kind = "raw"

    def __init__(self, spec: PeerSpec, context: PeerContext) -> None:
        super().__init__(spec, context)
        # Set before setup so that stop() and leftovers() work even if setup failed half-way.
        self.sniffer: LoopbackSniffer | None = None
        self.last_sender: Address | None = None
        self._rules: list[firewall.SynDropRule] = []
        self._removed: list[str] = []
        self._rules_lock = threading.Lock()
        self._refused: set[tuple[Address, int]] = set()

    def setup(self) -> None:
        self.host = str(self.spec.options.get("host", "127.0.0.1"))
        if ":" in self.host:
            raise ValueError(f"raw peers speak IPv4 only, not {self.host!r}")
        tcp, udp = reserve_port(self.host)
        self.track(tcp)
        self.udp: socket.socket = self.track(udp)
        self.port = udp.getsockname()[1]
        self.sender = self.track(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW))

    def start(self) -> None:
        """Open the sniffer now, before any step can make traffic, then run the script."""
        ports = {self.port} | {self._peer_port(name) for name in self.targeted_peers()}
        self.sniffer = LoopbackSniffer(ports)
        self.note(f"watching TCP on lo for ports {', '.join(map(str, sorted(ports)))}")
        super().start()

    def stop(self, join_timeout: float = 2.0) -> bool:
        """Remove every rule first (nothing new can be added once stopping), then the rest."""
        self._stop.set()
        self._remove_rules()
        try:
            return super().stop(join_timeout)
        finally:
            if self.sniffer is not None:
                self.sniffer.close()

    def leftovers(self) -> list[str]:
        """Rules this peer added that the kernel still holds (empty after a clean stop)."""
        if not self._removed:
            return []
        return [f"nf_tables table {name} (SYN drop for {self.host}:{self.port}) still installed"
                for name in firewall.leftover_tables(self._removed)]

    def targeted_peers(self) -> list[str]:
        names = [str(action.params["peer"]) for action in self.spec.script if action.op in TARGETING_OPS]
        return sorted(set(names))

    def actions(self) -> dict[str, Action]:
        return {
            **super().actions(),
            "inject-udp": self.inject_udp,
            "inject-fragments": self.inject_fragments,
            "recvfrom": self.recvfrom,
            "icmp-unreachable": self.icmp_unreachable,
            "inject-rst": lambda params: self._inject_control(params, "rst-ack"),
            "inject-fin": lambda params: self._inject_control(params, "fin-ack"),
            "wait-drained": self.wait_drained,
            "drop-syn": self.drop_syn,
            "allow-syn": self.allow_syn,
            "expect-syn": self.expect_syn,
            "refuse-syn": self.refuse_syn,
        }

    # -- helpers ------------------------------------------------------------------

    def _peer_port(self, name: str) -> int:
        return as_port(self.value_of(f"{name}.port"))

    def value_of(self, name: str) -> Any:
        if name not in self.context.env:
            raise PeerActionError(f"no peer address {name!r} (is the peer declared?)")
        return self.context.env[name]

    def _send(self, packet: bytes, destination: str) -> None:
        self.sender.sendto(packet, (destination, 0))

    def _addresses(self, params: Mapping[str, Any]) -> tuple[Address, Address]:
        """(source, destination) of a crafted datagram; the source defaults to the peer's own."""
        destination = (as_host(self.value(params["host"])), as_port(self.value(params["port"])))
        source_host = params.get("from-host")
        source_port = params.get("from-port")
        source = (self.host if source_host is None else as_host(self.value(source_host)),
                  self.port if source_port is None else as_port(self.value(source_port)))
        return source, destination

    def _data(self, params: Mapping[str, Any]) -> bytes:
        data = self.value(params["data"])
        if not isinstance(data, bytes):
            raise PeerActionError(f"data must be a string, got {data!r}")
        return data

    def _sniffer(self) -> LoopbackSniffer:
        if self.sniffer is None:
            raise PeerActionError("the sniffer is not running (the peer was not started)")
        return self.sniffer

    def _sniffed(self, find: Any, timeout: float, waiting_for: str) -> Any:
        found = self._sniffer().wait_for(find, timeout, lambda: self.stopping)
        if found is None and not self.stopping:
            raise PeerTimeout(f"no {waiting_for} within {timeout:g}s")
        return found

    # -- datagrams ----------------------------------------------------------------

    def inject_udp(self, params: Mapping[str, Any]) -> None:
        data = self._data(params)
        source, destination = self._addresses(params)
        checksum = str(params.get("checksum") or "good")
        self._send(raw_packets.udp_datagram(data, source, destination, checksum), destination[0])
        detail = "" if checksum == "good" else f" with checksum {checksum}"
        self.note(f"injected UDP {show(data)} ({len(data)} bytes) {_text(source)} -> {_text(destination)}"
                  f"{detail}")

    def inject_fragments(self, params: Mapping[str, Any]) -> None:
        data = self._data(params)
        source, destination = self._addresses(params)
        size = int(params.get("size") or 1024)
        ident = random.randrange(1, 1 << 16)  # reassembly is keyed by addresses and id
        fragments = raw_packets.udp_fragments(data, source, destination, size, ident)
        order = [int(number) for number in params.get("order") or range(1, len(fragments) + 1)]
        for number in order:
            if not 1 <= number <= len(fragments):
                raise PeerActionError(f"fragment {number} does not exist: the datagram has "
                                      f"{len(fragments)} fragments of {size} bytes")
        for number in order:
            self._send(fragments[number - 1], destination[0])
        missing = sorted(set(range(1, len(fragments) + 1)) - set(order))
        gaps = f", never sent: {missing}" if missing else ""
        self.note(f"injected UDP {show(data)} ({len(data)} bytes) {_text(source)} -> {_text(destination)} "
                  f"as fragments {order} of {len(fragments)}{gaps}")

    def recvfrom(self, params: Mapping[str, Any]) -> None:
        timeout = self.context.timeout(params.get("timeout"))
        self.udp.settimeout(timeout)
        try:
            data, address = self.udp.recvfrom(_MAX_DATAGRAM)
        except TimeoutError:
            raise PeerTimeout(f"no datagram within {timeout:g}s") from None
        if self.stopping:
            return
        self.last_sender = (address[0], address[1])
        self.note(f"received {show(data)} ({len(data)} bytes) from {_text(self.last_sender)}")
        check_datagram(params, data, address[1], self.context.env)

    def icmp_unreachable(self, params: Mapping[str, Any]) -> None:
        """Tell the candidate's socket that its datagram to this peer could not be delivered."""
        code = str(params["code"])
        if params.get("host") is not None or params.get("port") is not None:
            if params.get("host") is None or params.get("port") is None:
                raise PeerActionError("icmp-unreachable needs both host and port, or neither")
            target = (as_host(self.value(params["host"])), as_port(self.value(params["port"])))
        elif self.last_sender is not None:
            target = self.last_sender
        else:
            raise PeerActionError("no datagram received yet: give host and port, or recvfrom first")
        packet = raw_packets.icmp_unreachable(code, target, (self.host, self.port), self.host)
        self._send(packet, target[0])
        self.note(f"injected ICMP {code} unreachable to {_text(target)} about its datagram to "
                  f"{self.host}:{self.port}")

    # -- TCP connections other peers hold -----------------------------------------------

    def _connection(self, params: Mapping[str, Any]) -> tuple[str, Connection]:
        name = str(params["peer"])
        port = self._peer_port(name)
        timeout = self.context.timeout(params.get("timeout"))

        def known(table: FlowTable) -> Connection | None:
            connection = table.latest(port)
            if connection is None or connection.next_from(connection.near) is None:
                return None
            return connection

        return name, self._sniffed(known, timeout, f"connection of peer {name} seen on the wire")

    def _inject_control(self, params: Mapping[str, Any], kind: str) -> None:
        name, connection = self._connection(params)
        if self.stopping:
            return
        self._sniffer().poll()  # the latest segments the peer sent count
        seq = connection.next_from(connection.near) or 0
        ack = connection.next_from(connection.far) or 0
        segment = raw_packets.tcp_segment(kind, connection.near, connection.far, seq, ack)
        self._send(segment, connection.far[0])
        what = "RST" if kind.startswith("rst") else "FIN"
        self.note(f"injected {what} into {name}'s connection: {_text(connection.near)} -> "
                  f"{_text(connection.far)}, seq {seq}, ack {ack}")

    def wait_drained(self, params: Mapping[str, Any]) -> None:
        """Wait until the candidate took every byte the peer's connection delivered.

        Two facts together: the candidate's kernel acknowledged everything
        the peer sent (seen on the wire), and its socket holds no unread
        byte (``/proc/net/tcp``). A receive that has not returned is then
        waiting for more.
        """
        name, connection = self._connection(params)
        timeout = self.context.timeout(params.get("timeout"))

        def drained(table: FlowTable) -> bool | None:
            sent = connection.next_from(connection.near)
            acked = table.acked(connection.far, connection.near)
            if sent is None or acked is None or acked != sent:
                return None
            unread = raw_tcpstate.unread_bytes(connection.far, connection.near)
            return True if unread == 0 else None

        what = f"drained receive queue on the candidate's end of {name}'s connection"
        if self._sniffed(drained, timeout, what):
            self.note(f"the candidate has read everything {name} sent")

    # -- SYNs ------------------------------------------------------------------------------

    def drop_syn(self, params: Mapping[str, Any]) -> None:
        rule = firewall.SynDropRule(self.host, self.port)
        with self._rules_lock:
            if self.stopping:
                raise PeerActionError("peer stopped")
            rule.install()
            self._rules.append(rule)
            self._removed.append(rule.table)
        self.note(f"dropping SYNs to {self.host}:{self.port} (nf_tables table {rule.table})")

    def allow_syn(self, params: Mapping[str, Any]) -> None:
        if not self._remove_rules():
            raise PeerActionError("no drop-syn rule to remove")
        self.note(f"SYNs to {self.host}:{self.port} reach the kernel again")

    def _remove_rules(self) -> int:
        with self._rules_lock:
            rules, self._rules = self._rules, []
        for rule in rules:
            rule.remove()
        return len(rules)

    def _next_syn(self, table: FlowTable) -> Segment | None:
        for segment in table.syns:
            key = (segment.source, segment.seq)
            if segment.destination == (self.host, self.port) and key not in self._refused:
                return segment
        return None

    def expect_syn(self, params: Mapping[str, Any]) -> None:
        timeout = self.context.timeout(params.get("timeout"))
        syn = self._sniffed(self._next_syn, timeout, f"SYN to {self.host}:{self.port}")
        if syn is not None:
            self.note(f"saw a SYN from {_text(syn.source)} (sequence {syn.seq})")

    def refuse_syn(self, params: Mapping[str, Any]) -> None:
        """Answer the next unanswered SYN to this peer with RST/ACK, as a closed port would."""
        timeout = self.context.timeout(params.get("timeout"))
        syn = self._sniffed(self._next_syn, timeout, f"SYN to {self.host}:{self.port}")
        if syn is None:
            return
        self._refused.add((syn.source, syn.seq))
        answer = raw_packets.tcp_segment("rst-ack", (self.host, self.port), syn.source, 0, syn.seq + 1)
        self._send(answer, syn.source[0])
        self.note(f"refused the SYN from {_text(syn.source)} with RST/ACK (ack {(syn.seq + 1) % (1 << 32)})")


def _text(address: Address) -> str:
    return f"{address[0]}:{address[1]}"
