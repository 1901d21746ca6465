"""Packet-filter rules that make a loopback TCP port silent, through nf_tables.

Some edge scenarios need a connect whose SYN is never answered (the
connect of the API has no timeout, so "silence" is the only way to see that)
or a SYN that only a crafted packet answers. Both need the kernel to drop
SYNs to one exact loopback address and port, and nothing else.

The rule is installed over netlink (``NETLINK_NETFILTER``) with no ``nft``
binary: a table of its own per rule, named ``lsconform_<pid>_<n>``, holding
one prerouting chain and one rule (``ip daddr A tcp dport P`` with SYN set
and ACK clear -> drop). Two guarantees keep it from outliving its use:

* ``remove()`` deletes the table; the runner calls it from the peer's
  ``stop``, which runs however the scenario ended;
* the table is created with the *owner* flag, so the kernel deletes it by
  itself when the netlink socket that made it closes, even if the process
  dies without cleaning up.

:func:`leftover_tables` asks the kernel which of this process's tables are
still there, so teardown can prove that nothing was left behind.

The message encoding (``_attr`` and friends) is plain bytes-in, bytes-out;
only :class:`_Netlink` touches a socket.
"""

from __future__ import annotations

import itertools
import os
import socket
import struct
import threading
from collections.abc import Iterator

TABLE_PREFIX = "lsconform_"

_NETLINK_NETFILTER = 12
_NFNL_SUBSYS_NFTABLES = 10
_NFNL_MSG_BATCH_BEGIN, _NFNL_MSG_BATCH_END = 0x10, 0x11
_NFT_MSG_NEWTABLE, _NFT_MSG_GETTABLE, _NFT_MSG_DELTABLE = 0, 1, 2
_NFT_MSG_NEWCHAIN, _NFT_MSG_NEWRULE = 3, 6
_NLM_F_REQUEST, _NLM_F_ACK, _NLM_F_EXCL, _NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
_NLM_F_APPEND, _NLM_F_DUMP = 0x800, 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLA_F_NESTED = 0x8000
_NFPROTO_IPV4 = 2
_NFT_TABLE_F_OWNER = 0x2
_NF_INET_PRE_ROUTING = 0
_PRIORITY_RAW = -300  # before connection tracking: a dropped SYN leaves no state
_NF_ACCEPT, _NF_DROP = 1, 0
_NFT_REG_VERDICT, _NFT_REG_1 = 0, 1
_BASE_NETWORK, _BASE_TRANSPORT = 1, 2
_TCP_SYN, _TCP_ACK = 0x02, 0x10
_REPLY_TIMEOUT = 2.0

_counter = itertools.count(1)
_counter_lock = threading.Lock()


class FirewallError(OSError):
    """The kernel refused a rule (or cannot be asked)."""


# -- message encoding (no I/O) ---------------------------------------------


def _attr(kind: int, data: bytes, nested: bool = False) -> bytes:
    length = 4 + len(data)
    header = struct.pack("=HH", length, kind | (_NLA_F_NESTED if nested else 0))
    return header + data + b"\0" * (-length % 4)


def _text(kind: int, text: str) -> bytes:
    return _attr(kind, text.encode("ascii") + b"\0")


def _u32(kind: int, value: int) -> bytes:
    return _attr(kind, struct.pack(">I", value & 0xFFFFFFFF))


def _nest(kind: int, *items: bytes) -> bytes:
    return _attr(kind, b"".join(items), nested=True)


def _message(kind: int, flags: int, seq: int, payload: bytes, family: int = _NFPROTO_IPV4,
             resource: int = 0) -> bytes:
    body = struct.pack("=BBH", family, 0, socket.htons(resource)) + payload
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def _nft(kind: int) -> int:
    return (_NFNL_SUBSYS_NFTABLES << 8) | kind


def _expression(name: str, *data: bytes) -> bytes:
    return _nest(1, _text(1, name), _nest(2, *data))  # NFTA_LIST_ELEM { NAME, DATA }


def _load(base: int, offset: int, length: int) -> bytes:
    """``payload`` expression: ``length`` bytes at ``offset`` of a header into register 1."""
    return _expression("payload", _u32(1, _NFT_REG_1), _u32(2, base), _u32(3, offset), _u32(4, length))


def _equals(value: bytes) -> bytes:
    return _expression("cmp", _u32(1, _NFT_REG_1), _u32(2, 0), _nest(3, _attr(1, value)))


def _mask(mask: bytes) -> bytes:
    return _expression("bitwise", _u32(1, _NFT_REG_1), _u32(2, _NFT_REG_1), _u32(3, len(mask)),
                       _nest(4, _attr(1, mask)), _nest(5, _attr(1, bytes(len(mask)))))


def _drop() -> bytes:
    verdict = _nest(2, _nest(2, _u32(1, _NF_DROP)))  # DATA { VERDICT { CODE } }
    return _expression("immediate", _u32(1, _NFT_REG_VERDICT), verdict)


def syn_drop_batch(table: str, host: str, port: int, first_seq: int = 1) -> tuple[bytes, int]:
    """The netlink batch creating ``table`` with its SYN-dropping rule; (bytes, last seq)."""
    request = _NLM_F_REQUEST | _NLM_F_ACK
    match = [
        _load(_BASE_NETWORK, 9, 1), _equals(bytes([socket.IPPROTO_TCP])),
        _load(_BASE_NETWORK, 16, 4), _equals(socket.inet_aton(host)),
        _load(_BASE_TRANSPORT, 2, 2), _equals(struct.pack(">H", port)),
        _load(_BASE_TRANSPORT, 13, 1), _mask(bytes([_TCP_SYN | _TCP_ACK])), _equals(bytes([_TCP_SYN])),
        _drop(),
    ]
    hook = _nest(4, _u32(1, _NF_INET_PRE_ROUTING), _u32(2, _PRIORITY_RAW))
    seq = first_seq
    parts = [_message(_NFNL_MSG_BATCH_BEGIN, _NLM_F_REQUEST, seq, b"", 0, _NFNL_SUBSYS_NFTABLES)]
    parts.append(_message(_nft(_NFT_MSG_NEWTABLE), request | _NLM_F_CREATE | _NLM_F_EXCL, seq + 1,
                          _text(1, table) + _u32(2, _NFT_TABLE_F_OWNER)))
    chain = _text(1, table) + _text(3, "syn") + hook + _u32(5, _NF_ACCEPT) + _text(7, "filter")
    parts.append(_message(_nft(_NFT_MSG_NEWCHAIN), request | _NLM_F_CREATE, seq + 2, chain))
    parts.append(_message(_nft(_NFT_MSG_NEWRULE), request | _NLM_F_CREATE | _NLM_F_APPEND, seq + 3,
                          _text(1, table) + _text(2, "syn") + _nest(4, *match)))
    parts.append(_message(_NFNL_MSG_BATCH_END, _NLM_F_REQUEST, seq + 4, b"", 0, _NFNL_SUBSYS_NFTABLES))
    return b"".join(parts), seq + 3


def delete_batch(table: str, seq: int = 1) -> tuple[bytes, int]:
    """The netlink batch deleting ``table`` (and its chain and rule); (bytes, its seq)."""
    begin = _message(_NFNL_MSG_BATCH_BEGIN, _NLM_F_REQUEST, seq, b"", 0, _NFNL_SUBSYS_NFTABLES)
    delete = _message(_nft(_NFT_MSG_DELTABLE), _NLM_F_REQUEST | _NLM_F_ACK, seq + 1, _text(1, table))
    end = _message(_NFNL_MSG_BATCH_END, _NLM_F_REQUEST, seq + 2, b"", 0, _NFNL_SUBSYS_NFTABLES)
    return begin + delete + end, seq + 1


def iter_messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, seq, payload) for each netlink message in one datagram."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            return
        yield kind, seq, data[offset + 16:offset + length]
        offset += (length + 3) & ~3


def iter_attributes(data: bytes) -> Iterator[tuple[int, bytes]]:
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            return
        yield kind & ~_NLA_F_NESTED, data[offset + 4:offset + length]
        offset += (length + 3) & ~3


# -- the socket ----------------------------------------------------------------


class _Netlink:
    """One NETLINK_NETFILTER socket; owner tables live as long as it does."""

    def __init__(self) -> None:
        try:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_NETFILTER)
        except OSError as error:
            raise FirewallError(error.errno, f"cannot open a netfilter netlink socket: {error}") from None
        self.sock.bind((0, 0))
        self.sock.settimeout(_REPLY_TIMEOUT)

    def transact(self, batch: bytes, last_seq: int) -> None:
        """Send a batch; raise FirewallError on the first error the kernel reports."""
        self.sock.send(batch)
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise FirewallError(0, "no answer from nf_tables") from None
            for kind, seq, payload in iter_messages(data):
                if kind != _NLMSG_ERROR:
                    continue
                (code,) = struct.unpack_from("=i", payload)
                if code:
                    raise FirewallError(-code, f"nf_tables refused the request: {os.strerror(-code)}")
                if seq == last_seq:
                    return

    def dump_tables(self) -> list[str]:
        self.sock.send(_message(_nft(_NFT_MSG_GETTABLE), _NLM_F_REQUEST | _NLM_F_DUMP, 1, b""))
        names = []
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                raise FirewallError(0, "no answer from nf_tables") from None
            for kind, _seq, payload in iter_messages(data):
                if kind == _NLMSG_DONE:
                    return names
                if kind == _NLMSG_ERROR:
                    (code,) = struct.unpack_from("=i", payload)
                    raise FirewallError(-code, f"cannot list nf_tables tables: {os.strerror(-code)}")
                for attr, value in iter_attributes(payload[4:]):
                    if attr == 1:  # NFTA_TABLE_NAME
                        names.append(value.rstrip(b"\0").decode("ascii", "replace"))

    def close(self) -> None:
        self.sock.close()


def _new_table_name() -> str:
    with _counter_lock:
        number = next(_counter)
    return f"{TABLE_PREFIX}{os.getpid()}_{number}"


class SynDropRule:
    """While installed, SYNs to ``host:port`` (TCP, IPv4) are dropped on arrival.

    Nothing answers them, so a connect there stays pending; packet sniffers
    on ``lo`` still see the SYN (it is dropped after the device's tap).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.table = _new_table_name()
        self._link: _Netlink | None = None

    @property
    def active(self) -> bool:
        return self._link is not None

    def install(self) -> None:
        if self._link is not None:
            return
        link = _Netlink()
        try:
            batch, last = syn_drop_batch(self.table, self.host, self.port)
            link.transact(batch, last)
        except BaseException:
            link.close()  # the owner table, if half made, goes with the socket
            raise
        self._link = link

    def remove(self) -> None:
        """Delete the table; closing the owner socket removes it in any case."""
        link, self._link = self._link, None
        if link is None:
            return
        try:
            batch, seq = delete_batch(self.table)
            link.transact(batch, seq)
        except FirewallError:
            pass  # the close below makes the kernel delete it anyway
        finally:
            link.close()

    def __enter__(self) -> SynDropRule:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def tables() -> list[str]:
    """Names of every IPv4 nf_tables table in this network namespace."""
    link = _Netlink()
    try:
        return link.dump_tables()
    finally:
        link.close()


def leftover_tables(names: list[str] | None = None) -> list[str]:
    """Which of ``names`` (default: every table of this process) the kernel still has."""
    present = tables()
    if names is not None:
        return [name for name in names if name in present]
    mine = f"{TABLE_PREFIX}{os.getpid()}_"
    return [name for name in present if name.startswith(mine)]


def probe() -> str | None:
    """None if SYN-dropping rules can be installed here, else why not.

    Installs and removes a real rule on a port nothing uses, so the answer
    is the kernel's, not a guess from the user id.
    """
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        rule = SynDropRule("127.0.0.1", holder.getsockname()[1])
        try:
            rule.install()
        except OSError as error:
            return f"cannot install an nf_tables rule: {error}"
        rule.remove()
        left = leftover_tables([rule.table])
        return f"nf_tables table {left[0]} stayed after removal" if left else None
    except OSError as error:
        return f"cannot check nf_tables: {error}"
    finally:
        holder.close()
