"""When a fake server receiving a large upload should wait a moment before its next read.

A reader blocked in ``recv`` is woken by every segment that arrives, and on
loopback the waking is done, and paid for, inside the *sender's* ``send``.
A client that writes in small steps (LuaSocket 3 writes 8 KiB at a time)
to a server that keeps up therefore pays a wake-up per step, and how much
that costs depends on where the scheduler put the two threads: here the
LuaSocket 3 candidates' ``http_post`` of 64 MiB varied from 337 to 1042
MB/s within one run, bimodally, and trailed the reference (which writes
large blocks) by half. The figure measured the server's waiting more than
the client.

A server that pauses briefly after a small read is not waiting in
``recv`` meanwhile: the client's writes pile up in the socket buffers
(about 150 KB at 1.5 GB/s, far under their size, so the client never
blocks) and the next read takes them at once, one wake-up per batch. With
it the same candidates ran at 1208-1787 MB/s (medians 1325-1529 in two
runs, level with the reference) and the server's load was about 0.6. The
last ``TAIL`` bytes of a body of known length are read as they come, so the
end of a body waits for no pause; the tail is kept short because the
pauses must cover nearly all of the body (with 256 KiB unpaused the
bimodality came back). A body of unknown length is read as it comes
throughout, since its end could be waiting behind any pause.
"""

from __future__ import annotations

SMALL_READ = 256 * 1024
"""A read that returned less than this is a sign the reader keeps up with the writer: pause."""
TAIL = 64 * 1024
"""The last bytes of a body, read as they come (no pause once no more than this is left)."""
PAUSE = 0.0001
"""Seconds to wait after such a read (the system's timer slack adds about 50 us)."""


def pause_after(got: int, left: int | None) -> float:
    """Seconds to wait before the next read, after one that returned ``got`` bytes with ``left`` to come.

    ``left`` is what is still expected after this read, None when the length
    is not known (then never a pause: the end could be waiting behind it).
    """
    if left is None or got >= SMALL_READ or left <= TAIL:
        return 0.0
    return PAUSE
