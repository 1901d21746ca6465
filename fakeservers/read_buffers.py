"""One reusable read buffer per thread and size, for the servers' bulk reads (upload bodies, stored files).

A fresh 1 MiB ``bytearray`` for every upload cost the fake HTTP server
about 160 us a request on the CI machine (a 1 KiB POST, connect to close,
took 784 us against 625 us with the buffer reused, medians of ten
alternating rounds of 300):
the allocator maps so large a block afresh and unmaps it when it is
freed, and in a process with several threads an unmap is a flush of every
CPU's address cache. The servers' sessions run on reused worker threads
(``fakeservers.workers``), so a buffer kept per thread is made once and
serves every session that thread runs. A session's reads never outlive it:
whatever a recorder keeps, it copies (``fakeservers.payload``).
"""

from __future__ import annotations

import threading

_local = threading.local()


def read_buffer(size: int) -> memoryview:
    """This thread's buffer of ``size`` bytes: the same one on every call from the same thread."""
    buffers: dict[int, memoryview] = _local.__dict__.setdefault("buffers", {})
    buffer = buffers.get(size)
    if buffer is None:
        buffer = buffers[size] = memoryview(bytearray(size))
    return buffer
