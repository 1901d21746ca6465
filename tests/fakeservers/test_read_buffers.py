"""``fakeservers.read_buffers``: one read buffer per thread and size, made once."""

from __future__ import annotations

import threading

from fakeservers.read_buffers import read_buffer


def test_a_thread_gets_the_same_buffer_every_time() -> None:
    first = read_buffer(4096)
    first[:3] = b"abc"
    again = read_buffer(4096)
    assert again.obj is first.obj and len(again) == 4096 and bytes(again[:3]) == b"abc"


def test_each_size_has_its_own_buffer() -> None:
    assert read_buffer(4096).obj is not read_buffer(8192).obj
    assert len(read_buffer(8192)) == 8192


def test_another_thread_gets_another_buffer() -> None:
    """Two sessions on two threads never read into the same memory."""
    mine = read_buffer(4096)
    theirs: list[memoryview] = []
    thread = threading.Thread(target=lambda: theirs.append(read_buffer(4096)))
    thread.start()
    thread.join()
    assert theirs[0].obj is not mine.obj
