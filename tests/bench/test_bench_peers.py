"""The bulk peer actions of perf workloads: send with times, echo, sendto with times and a window."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.peers.base import PeerContext
from harness.peers.group import PeerGroup
from harness.peers.stream import BULK_BLOCK
from harness.peers.sync import SyncBoard
from harness.peers.udp_queue import address_hex, parse_queue
from harness.scenario.errors import ScenarioError
from harness.scenario.loader import load_file
from harness.transcript import Transcript
from harness.values import LuaValue

Client = Callable[[dict[str, LuaValue], SyncBoard], None]


def run_peers(tmp_path: Path, peers: str, client: Client, steps: str = "- signal: go\n") -> list[str]:
    """Start the peers of a scenario, let ``client`` play the steps' part; the peers' failures."""
    path = tmp_path / "tcp" / "peers.yaml"
    path.parent.mkdir(exist_ok=True)
    text = ("scenarios:\n- id: tcp.bulk.peers\n  title: t\n  manual: m\n  spec: s\n  peers:\n"
            + textwrap.indent(textwrap.dedent(peers), "    ") + "  steps:\n" + textwrap.indent(steps, "  "))
    path.write_text(text, encoding="utf-8")
    (scenario,) = load_file(path)
    transcript = Transcript()
    board = SyncBoard(transcript)
    env: dict[str, LuaValue] = {}
    group = PeerGroup(scenario.peers, PeerContext(board, transcript, env, 1.0, 5.0))
    try:
        env.update(group.setup())
        group.start()
        client(env, board)
        group.wait_done(10)
        return [failure.reason for failure in group.failures()]
    finally:
        group.stop()


def _address(env: dict[str, LuaValue], peer: str) -> tuple[str, int]:
    return env[f"{peer}.host"].decode(), int(env[f"{peer}.port"])


def _drain(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def test_send_times_delivers_every_copy_in_order(tmp_path: Path) -> None:
    copies = BULK_BLOCK // 7 * 3 + 5  # three whole blocks and a partial one
    received: list[bytes] = []

    def client(env: dict[str, LuaValue], board: SyncBoard) -> None:
        with socket.create_connection(_address(env, "src"), timeout=10) as sock:
            received.append(_drain(sock))

    peers = f"""\
    src:
      kind: tcp-server
      script: [accept, {{send: {{data: "abcdefg", times: {copies}}}}}, close]
    """
    assert run_peers(tmp_path, peers, client) == []
    assert received == [b"abcdefg" * copies]


def test_send_times_refuses_slices_when_the_scenario_loads(tmp_path: Path) -> None:
    def client(env: dict[str, LuaValue], board: SyncBoard) -> None:
        raise AssertionError("a scenario that does not load runs no client")

    peers = """\
    src:
      kind: tcp-server
      script: [accept, {send: {data: "ab", times: 3, slices: [1]}}, close]
    """
    with pytest.raises(ScenarioError, match="send.times: send with times takes neither slices nor delay"):
        run_peers(tmp_path, peers, client)


def test_echo_answers_each_message_and_notices_a_short_one(tmp_path: Path) -> None:
    answers: list[bytes] = []

    def client(env: dict[str, LuaValue], board: SyncBoard) -> None:
        with socket.create_connection(_address(env, "srv"), timeout=10) as sock:
            for number in range(30):
                message = f"{number:06d}".encode()
                sock.sendall(message)
                answers.append(sock.recv(6, socket.MSG_WAITALL))
            sock.sendall(b"abc")  # half a message, then the end

    peers = """\
    srv:
      kind: tcp-server
      script: [accept, {echo: {length: 6, count: 31, timeout: 5}}]
    """
    (failure,) = run_peers(tmp_path, peers, client)
    assert answers == [f"{number:06d}".encode() for number in range(30)]
    assert "end of stream in exchange 31 of 31, after 3 of 6 bytes" in failure


def _slow_receiver(count: int) -> tuple[socket.socket, Client, list[int]]:
    """A receiver with a tiny queue (about 6 datagrams) that reads only once the sender has started."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    got: list[int] = []

    def client(env: dict[str, LuaValue], board: SyncBoard) -> None:
        env["dest_port"] = sock.getsockname()[1]
        board.signal("go", source="test")
        for _ in range(count):
            try:
                got.append(len(sock.recv(65535)))
            except TimeoutError:
                break

    return sock, client, got


UDP_PEER = """\
src:
  kind: udp
  script:
  - wait: go
  - sendto: {{data: !repeat {{data: "d", count: 512}}, host: "127.0.0.1", port: !ref dest_port,
             times: 600{window}}}
"""
UDP_STEPS = "- signal: go\n- call: getsockname\n  save: [dest_port]\n"


def test_sendto_with_a_window_loses_nothing_where_a_flood_does(tmp_path: Path) -> None:
    sock, client, got = _slow_receiver(600)
    with sock:
        assert run_peers(tmp_path, UDP_PEER.format(window=", window: 6000"), client, UDP_STEPS) == []
    assert got == [512] * 600
    flood_sock, flood_client, flooded = _slow_receiver(600)
    with flood_sock:
        (tmp_path / "flood").mkdir()
        run_peers(tmp_path / "flood", UDP_PEER.format(window=""), flood_client, UDP_STEPS)
    assert len(flooded) < 600, "without a window a receiver with a tiny queue should lose datagrams"


def test_sendto_with_a_window_needs_a_visible_receiver(tmp_path: Path) -> None:
    def client(env: dict[str, LuaValue], board: SyncBoard) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            env["dest_port"] = probe.getsockname()[1]
        board.signal("go", source="test")  # the port is free again: nothing to see in /proc/net/udp

    (failure,) = run_peers(tmp_path, UDP_PEER.format(window=", window: 6000"), client, UDP_STEPS)
    assert "cannot see the receive queue of 127.0.0.1" in failure


TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
  12: 0100007F:1F90 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 1 2 0 0
  13: 00000000:1F91 00000000:0000 07 00000000:00000500 00:00000000 00000000     0        0 1 2 0 0
  14: 0100007F:1F91 00000000:0000 07 00000000:00000100 00:00000000 00000000     0        0 1 2 0 0
  15: garbage
"""


def test_the_queue_is_read_from_the_kernel_table() -> None:
    assert address_hex("127.0.0.1") in ("0100007F", "7F000001")  # this machine's byte order
    if address_hex("127.0.0.1") == "0100007F":
        assert parse_queue(TABLE, "127.0.0.1", 0x1F90) == 0xA00
        assert parse_queue(TABLE, "127.0.0.1", 0x1F91) == 0x100  # the exact address wins
        assert parse_queue(TABLE, "127.0.0.2", 0x1F91) == 0x500  # else the wildcard socket
    assert parse_queue(TABLE, "127.0.0.1", 0x1F92) is None
