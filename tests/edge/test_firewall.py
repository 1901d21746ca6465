"""SYN-dropping rules: what the netlink batch says, and what the kernel does with it."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest
from raw_support import needs_nftables

from harness import firewall


def test_the_batch_creates_an_owned_table_a_prerouting_chain_and_one_rule() -> None:
    batch, last = firewall.syn_drop_batch("lsconform_test_1", "127.0.0.1", 5000)
    messages = list(firewall.iter_messages(batch))
    kinds = [kind for kind, _seq, _payload in messages]
    assert kinds == [0x10, 0xA00, 0xA03, 0xA06, 0x11]  # begin, table, chain, rule, end
    assert last == messages[3][1]
    table_attributes = dict(firewall.iter_attributes(messages[1][2][4:]))
    assert table_attributes[1] == b"lsconform_test_1\0"
    assert struct.unpack(">I", table_attributes[2]) == (2,)  # NFT_TABLE_F_OWNER
    rule = messages[3][2]
    assert socket.inet_aton("127.0.0.1") in rule and struct.pack(">H", 5000) in rule


def test_the_delete_batch_names_the_table() -> None:
    batch, seq = firewall.delete_batch("lsconform_test_2")
    (_begin, (kind, delete_seq, payload), _end) = firewall.iter_messages(batch)
    assert kind == 0xA02 and delete_seq == seq
    assert dict(firewall.iter_attributes(payload[4:]))[1] == b"lsconform_test_2\0"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback TCP port that is bound (so nobody else can listen there) but not listening."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    yield holder.getsockname()[1]
    holder.close()


def connect_outcome(port: int, timeout: float) -> str:
    with socket.socket() as client:
        client.settimeout(timeout)
        try:
            client.connect(("127.0.0.1", port))
        except TimeoutError:
            return "silence"
        except ConnectionRefusedError:
            return "refused"
    return "connected"


@needs_nftables
def test_while_installed_syns_go_unanswered_and_after_removal_the_port_refuses(closed_port: int) -> None:
    rule = firewall.SynDropRule("127.0.0.1", closed_port)
    rule.install()
    try:
        assert rule.table in firewall.leftover_tables()
        started = time.monotonic()
        assert connect_outcome(closed_port, 0.3) == "silence"
        assert 0.25 <= time.monotonic() - started <= 1.5
    finally:
        rule.remove()
    assert firewall.leftover_tables([rule.table]) == []
    assert connect_outcome(closed_port, 2.0) == "refused"


@needs_nftables
def test_a_rule_only_touches_its_own_port(closed_port: int) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        with firewall.SynDropRule("127.0.0.1", closed_port):
            assert connect_outcome(other.getsockname()[1], 2.0) == "refused"


@needs_nftables
def test_the_kernel_removes_the_table_when_its_socket_closes_without_a_delete(closed_port: int) -> None:
    """What protects the machine when a process dies mid-scenario."""
    rule = firewall.SynDropRule("127.0.0.1", closed_port)
    rule.install()
    assert rule._link is not None
    rule._link.close()  # no delete message: as if the process had died
    rule._link = None
    assert firewall.leftover_tables([rule.table]) == []
    assert connect_outcome(closed_port, 2.0) == "refused"


@needs_nftables
def test_remove_is_idempotent_and_the_probe_leaves_nothing(closed_port: int) -> None:
    rule = firewall.SynDropRule("127.0.0.1", closed_port)
    rule.install()
    rule.remove()
    rule.remove()
    assert firewall.probe() is None
    assert firewall.leftover_tables() == []
