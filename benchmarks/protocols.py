"""1 GiB through each streaming protocol function, with the client's peak memory.

Usage::

    python benchmarks/protocols.py                 # 1 GiB per transfer
    python benchmarks/protocols.py --size 64M      # a quick run
    python benchmarks/protocols.py --only http_getindirect

Prints one line per transfer::

    http_getindirect MB/s=812.3 peak_rss=21.4MiB

Method. The servers (a minimal HTTP/1.1 server and a minimal passive-mode
FTP server, written here, streaming a fixed block so they hold nothing) run
in their own process, so their memory is not counted. Each transfer runs in
a fresh Python process that imports only the reference, performs one call
with counting callbacks, checks that exactly ``size`` bytes went through and
reports its own peak resident set (``getrusage(RUSAGE_SELF).ru_maxrss``),
which covers the interpreter itself. MB/s is 10^6 bytes per second of wall
time for the call alone. The goal this measures: peak RSS under 64 MiB for
a 1 GiB transfer, i.e. memory bounded by the block sizes, not the data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20
BLOCK = b"\xa5" * MiB  # what the servers send, over and over
SEND_PIECE = 64 * 1024  # bytes per send-callback call in the client
TRANSFERS = ("http_getindirect", "http_postindirect", "ftp_getindirect", "ftp_putindirect")
_FORK = multiprocessing.get_context("fork")


# -- servers (one process; a thread per connection) ---------------------------


def _read_line(conn: socket.socket, buffer: bytearray) -> bytes:
    while b"\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            raise ConnectionError("client left")
        buffer += data
    end = buffer.index(b"\n") + 1
    line = bytes(buffer[:end])
    del buffer[:end]
    return line


def _drain(conn: socket.socket, buffer: bytearray, count: int | None) -> int:
    """Read and discard ``count`` bytes (None: until close); returns how many."""
    seen = len(buffer)
    buffer.clear()
    while count is None or seen < count:
        data = conn.recv(1 << 20)
        if not data:
            break
        seen += len(data)
    return seen


def _stream(conn: socket.socket, size: int) -> None:
    view = memoryview(BLOCK)
    left = size
    while left:
        step = min(left, len(BLOCK))
        conn.sendall(view[:step])
        left -= step


def _http_connection(conn: socket.socket, size: int) -> None:
    buffer = bytearray()
    request = _read_line(conn, buffer)
    length = None
    while (line := _read_line(conn, buffer)) not in (b"\r\n", b"\n"):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if request.startswith(b"POST"):
        got = _drain(conn, buffer, length or 0)
        reply = str(got).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(reply), reply))
    else:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        _stream(conn, size)


def _ftp_connection(conn: socket.socket, size: int) -> None:
    buffer = bytearray()
    conn.sendall(b"220 bench\r\n")
    data_listener: socket.socket | None = None
    while True:
        verb = _read_line(conn, buffer).split(b" ", 1)[0].strip().upper()
        if verb == b"USER":
            conn.sendall(b"331 password\r\n")
        elif verb == b"PASS":
            conn.sendall(b"230 in\r\n")
        elif verb in (b"TYPE", b"CWD"):
            conn.sendall(b"200 ok\r\n")
        elif verb == b"PASV":
            data_listener = socket.create_server(("127.0.0.1", 0))
            port = data_listener.getsockname()[1]
            conn.sendall(b"227 passive (127,0,0,1,%d,%d)\r\n" % (port // 256, port % 256))
        elif verb in (b"RETR", b"STOR") and data_listener is not None:
            conn.sendall(b"150 here it comes\r\n")
            data, _ = data_listener.accept()
            data_listener.close()
            with data:
                if verb == b"RETR":
                    _stream(data, size)
                else:
                    _drain(data, bytearray(), None)
            conn.sendall(b"226 done\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"502 no\r\n")


Handler = Callable[[socket.socket, int], None]


def _serve(listener: socket.socket, handler: Handler, size: int) -> None:
    while True:
        conn, _ = listener.accept()
        thread = threading.Thread(target=_guarded, args=(handler, conn, size), daemon=True)
        thread.start()


def _guarded(handler: Handler, conn: socket.socket, size: int) -> None:
    with conn, contextlib.suppress(OSError):  # a client that fails is reported by the client
        handler(conn, size)


def _server_process(http: socket.socket, ftp: socket.socket, size: int) -> None:
    threading.Thread(target=_serve, args=(ftp, _ftp_connection, size), daemon=True).start()
    _serve(http, _http_connection, size)


# -- the client (run in a fresh process: python protocols.py --client ...) ------


def _client(name: str, http_port: int, ftp_port: int, size: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import reference.protocols.ftp as ftp
    import reference.protocols.http as http

    received = 0

    def receive_cb(chunk: bytes | None, err: str | None = None) -> int | None:
        nonlocal received
        if chunk:
            received += len(chunk)
        return 1

    piece = b"\x5a" * SEND_PIECE
    sent = 0

    def send_cb() -> tuple[bytes, int]:
        nonlocal sent
        step = min(SEND_PIECE, size - sent)
        sent += step
        return (piece if step == SEND_PIECE else piece[:step]), size

    http_url = f"http://127.0.0.1:{http_port}/blob"
    ftp_url = f"ftp://127.0.0.1:{ftp_port}/blob"
    began = time.perf_counter()
    if name == "http_getindirect":
        error = http.http_getindirect(http_url, receive_cb)[2]
        moved = received
    elif name == "http_postindirect":
        error = http.http_postindirect(http_url, receive_cb, send_cb)[2]
        moved = sent
    elif name == "ftp_getindirect":
        error = ftp.ftp_getindirect(ftp_url, receive_cb, "b")[0]
        moved = received
    else:
        error = ftp.ftp_putindirect(ftp_url, send_cb, "b")[0]
        moved = sent
    elapsed = time.perf_counter() - began
    if error is not None or moved != size:
        raise SystemExit(f"{name}: error={error!r}, moved {moved} of {size} bytes")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"mb_per_s": size / elapsed / 1e6, "peak_rss_mib": peak_kib / 1024}


# -- driver ---------------------------------------------------------------------


def _parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=_parse_size, default=1 << 30, help="bytes per transfer (e.g. 64M, 1G)")
    parser.add_argument("--only", choices=TRANSFERS, action="append", help="run only these transfers")
    parser.add_argument(
        "--client", nargs=3, metavar=("NAME", "HTTP_PORT", "FTP_PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.client:
        name, http_port, ftp_port = args.client
        print(json.dumps(_client(name, int(http_port), int(ftp_port), args.size)))
        return
    http = socket.create_server(("127.0.0.1", 0), backlog=16)
    ftp = socket.create_server(("127.0.0.1", 0), backlog=16)
    server = _FORK.Process(target=_server_process, args=(http, ftp, args.size), daemon=True)
    server.start()
    ports = [str(http.getsockname()[1]), str(ftp.getsockname()[1])]
    http.close()
    ftp.close()
    failed = False
    try:
        for name in args.only or TRANSFERS:
            command = [sys.executable, __file__, "--size", str(args.size), "--client", name, *ports]
            done = subprocess.run(command, capture_output=True, text=True, env={**os.environ}, check=False)
            if done.returncode != 0:
                print(f"{name} FAILED: {done.stderr.strip() or done.stdout.strip()}")
                failed = True
                continue
            result = json.loads(done.stdout)
            rate, peak = result["mb_per_s"], result["peak_rss_mib"]
            print(f"{name} MB/s={rate:.1f} peak_rss={peak:.1f}MiB", flush=True)
    finally:
        server.terminate()
        server.join()
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
