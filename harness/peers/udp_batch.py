"""Datagrams many at a time (Linux UDP segmentation, ``sendmmsg``, ``recvmmsg``): a UDP flood from Python.

A Python loop of ``sendto`` or ``recv`` calls tops out around a hundred
thousand datagrams a second, below what a C-based candidate can take, so
a peer (or a ceiling client) written that way would be the bottleneck of a
UDP throughput workload. Batching the system calls is not enough either:
on loopback the sender's call also carries each datagram through the
receiving side of the stack, about 3.6 µs a datagram with ``sendmmsg``
(measured here), and the receiver has the other core to itself. So copies
of one datagram go out as one **segmented send** (``UDP_SEGMENT``, Linux
4.18): one buffer of up to ``BATCH`` copies crosses the stack once and is
cut into datagrams only where it is queued for the receiver, which sees
ordinary datagrams (0.7 µs a datagram, measured). Where the kernel refuses
segmentation the sender falls back to ``sendmmsg``, and where libc lacks
that to one call per datagram. One ``recvmmsg`` call takes every waiting
datagram (up to ``BATCH``). ``sendmmsg`` and ``recvmmsg`` are reached
through ctypes (the standard library has no binding).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import socket
import struct

BATCH = 64
SLOT = 65536
UDP_SEGMENT = 103
"""Linux's option (level ``IPPROTO_UDP``) that cuts one send into datagrams of the given size."""
MAX_SEGMENTED = 65507
"""Bytes of payload one segmented send may carry (a UDP/IPv4 datagram's limit)."""
MSG_WAITFORONE = 0x10000
"""Return as soon as one datagram arrived, with every other one already waiting."""


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(_IoVec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class _MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


def _libc(name: str, *argtypes: object) -> object | None:
    """A libc function by name, or None where there is no such function."""
    try:
        function = getattr(ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True), name)
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return function


def _recvmmsg() -> object | None:
    return _libc("recvmmsg", ctypes.c_int, ctypes.POINTER(_MMsgHdr), ctypes.c_uint, ctypes.c_int,
                 ctypes.c_void_p)


def _sendmmsg() -> object | None:
    return _libc("sendmmsg", ctypes.c_int, ctypes.POINTER(_MMsgHdr), ctypes.c_uint, ctypes.c_int)


def _sockaddr_in(host: str, port: int) -> bytes:
    """``struct sockaddr_in`` for an IPv4 address: family (native order), port (network order), address."""
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(host) + bytes(8)


class DatagramSender:
    """Sends copies of one datagram to one address, up to ``BATCH`` per system call."""

    def __init__(self, sock: socket.socket, data: bytes, host: str, port: int) -> None:
        self.sock = sock
        self.data = data
        self.address = (host, port)
        per_send = min(BATCH, MAX_SEGMENTED // len(data)) if data else 0
        self._segmented: memoryview | None = memoryview(data * per_send) if per_send > 1 else None
        self._segment_option = [(socket.IPPROTO_UDP, UDP_SEGMENT, struct.pack("=H", len(data)))]
        self._sendmmsg = _sendmmsg() if ":" not in host else None
        self._payload = ctypes.create_string_buffer(data, len(data))
        self._name = ctypes.create_string_buffer(_sockaddr_in(host, port) if ":" not in host else b"", 16)
        self._vector = _IoVec(ctypes.addressof(self._payload), len(data))
        self._messages = (_MMsgHdr * BATCH)()
        for index in range(BATCH):
            header = self._messages[index].msg_hdr
            header.msg_name = ctypes.addressof(self._name)
            header.msg_namelen = 16
            header.msg_iov = ctypes.pointer(self._vector)
            header.msg_iovlen = 1

    def send(self, count: int) -> None:
        """Send ``count`` copies; a loopback send only fails for a reason worth raising."""
        if self._segmented is not None and count > 1:
            count = self._send_segmented(count)
        if self._sendmmsg is None:
            for _ in range(count):
                self.sock.sendto(self.data, self.address)
            return
        while count > 0:
            sent = self._sendmmsg(self.sock.fileno(), self._messages, min(count, BATCH), 0)
            if sent < 0:
                error = ctypes.get_errno()
                raise OSError(error, f"sendmmsg: {os.strerror(error)}")
            count -= sent

    def _send_segmented(self, count: int) -> int:
        """Send what segmented sends can (the option rides on each call: the socket is left as it was).

        Returns how many copies are left to send: none, or all of them when
        the kernel refuses segmentation (then never tried again).
        """
        assert self._segmented is not None
        size = len(self.data)
        per_send = len(self._segmented) // size
        while count > 1:
            batch = min(count, per_send)
            try:
                self.sock.sendmsg([self._segmented[:batch * size]], self._segment_option, 0, self.address)
            except OSError as error:
                if error.errno not in (errno.ENOPROTOOPT, errno.EINVAL, errno.EOPNOTSUPP, errno.EIO):
                    raise
                self._segmented = None  # this kernel or route cannot segment: batch the classic way
                return count
            count -= batch
        return count


class DatagramReader:
    """Reads datagrams from a blocking socket whose receive timeout is set (``SO_RCVTIMEO``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._recvmmsg = _recvmmsg()
        self._buffers = (ctypes.c_char * (SLOT * BATCH))()
        self._vectors = (_IoVec * BATCH)()
        self._messages = (_MMsgHdr * BATCH)()
        base = ctypes.addressof(self._buffers)
        for index in range(BATCH):
            self._vectors[index].iov_base = base + index * SLOT
            self._vectors[index].iov_len = SLOT
            self._messages[index].msg_hdr.msg_iov = ctypes.pointer(self._vectors[index])
            self._messages[index].msg_hdr.msg_iovlen = 1
        self._single = bytearray(SLOT)

    def read(self) -> int:
        """Wait for datagrams and take every one waiting (up to ``BATCH``); how many. 0: timed out."""
        if self._recvmmsg is None:
            try:
                self.sock.recv_into(self._single)
            except BlockingIOError:
                return 0
            return 1
        count = self._recvmmsg(self.sock.fileno(), self._messages, BATCH, MSG_WAITFORONE, None)
        if count >= 0:
            return count
        error = ctypes.get_errno()
        if error in (errno.EAGAIN, errno.EWOULDBLOCK):
            return 0
        raise OSError(error, f"recvmmsg: {errno.errorcode.get(error, error)}")
