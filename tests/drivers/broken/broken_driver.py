"""A tiny driver that behaves until asked to ``misbehave``, then fails in the way MODE names.

Usage: ``python broken_driver.py MODE [MARKER]``. It speaks just enough of
PROTOCOL.md to serve ``echo(...)`` (returns its arguments) and
``misbehave()``, which does, by MODE:

* ``exit-before-hello``: exits with status 3 before saying hello, with a
  last word on stderr: every start, or only the first one when a MARKER
  file path is given (the file is created then);
* ``exit-mid-call``: writes "dying mid-call" on stderr and exits with 1;
* ``garbage``: writes a line that is not JSON;
* ``traceback-stdout``: writes a three-line stack trace to stdout, not
  stderr, and exits with 1;
* ``wrong-id``: answers with the id of another call;
* ``hang``: never answers (and starts a grandchild that would outlive it
  if the harness killed only the driver);
* ``flood-stderr``: writes 8 MiB to stderr, then "last words", then hangs;
* ``no-newline``: writes the start of an answer without its newline, then hangs;
* ``hello-no-newline``: writes its hello without the newline, then hangs;
* ``deaf-to-bye``: never answers ``bye`` and never exits by itself.

Any other function is ``unimplemented``, whatever its call style.

Standard library only, no harness import: it stands for someone else's
driver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

MODES = ("exit-before-hello", "exit-mid-call", "garbage", "traceback-stdout", "wrong-id", "hang",
         "flood-stderr", "no-newline", "hello-no-newline", "deaf-to-bye")


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def misbehave(mode: str, call_id: int) -> None:
    if mode == "exit-mid-call":
        sys.stderr.write("dying mid-call\n")
        sys.stderr.flush()
        os._exit(1)
    if mode == "garbage":
        sys.stdout.write("this is not a protocol message\n")
        sys.stdout.flush()
        return
    if mode == "traceback-stdout":
        os.write(1, b"lua5.4: driver.lua:12: boom\nstack traceback:\n"
                    b"\tdriver.lua:12: in function <driver.lua:10>\n")  # one write: all of it there at once
        os._exit(1)
    if mode == "wrong-id":
        send({"type": "return", "id": call_id + 100, "values": []})
        return
    if mode == "hang":
        sys.stderr.write("hanging\n")
        sys.stderr.flush()
        sys.stderr.write(f"grandchild {start_grandchild()}\n")
        sys.stderr.flush()
        threading.Event().wait()
    if mode == "no-newline":
        sys.stdout.write(f'{{"type": "return", "id": {call_id}, "values": [')
        sys.stdout.flush()
        threading.Event().wait()
    if mode == "flood-stderr":
        line = b"x" * 1023 + b"\n"
        for _ in range(8 * 1024):
            os.write(2, line)
        os.write(2, b"last words\n")
        threading.Event().wait()
    send({"type": "return", "id": call_id, "values": [True]})


def start_grandchild() -> int:
    """A process in the driver's group that would hang on forever by itself."""
    child = subprocess.Popen([sys.executable, "-c", "import threading; threading.Event().wait()"])
    return child.pid


def main() -> int:
    mode = sys.argv[1]
    marker = sys.argv[2] if len(sys.argv) > 2 else None
    if mode == "exit-before-hello" and (marker is None or not os.path.exists(marker)):
        if marker is not None:
            open(marker, "w").close()
        sys.stderr.write("cannot start: the implementation failed to load\n")
        return 3
    hello = {"type": "hello", "protocol": 1, "name": f"broken-{mode}", "version": "0",
             "capabilities": ["tcp"]}
    if mode == "hello-no-newline":
        sys.stdout.write(json.dumps(hello))
        sys.stdout.flush()
        threading.Event().wait()
    send(hello)
    for line in sys.stdin:
        message = json.loads(line)
        kind, call_id = message["type"], message["id"]
        if kind == "bye" and mode == "deaf-to-bye":
            continue
        if kind == "bye":
            send({"type": "bye", "id": call_id})
            return 0
        if kind == "release":
            send({"type": "released", "id": call_id})
        elif message["function"] == "misbehave":
            misbehave(mode, call_id)
        elif message["function"] == "echo":
            send({"type": "return", "id": call_id, "values": message["args"]})
        else:
            send({"type": "unimplemented", "id": call_id, "function": message["function"]})
    if mode == "deaf-to-bye":
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
