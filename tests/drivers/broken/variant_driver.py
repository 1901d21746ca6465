"""The Python driver with one deliberate protocol bug, for the check-driver tests.

Usage: ``python variant_driver.py MODE MODULE``; MODE is one of ``VARIANTS``.
Each variant patches one thing in ``drivers/python/driver.py`` and then runs
it unchanged otherwise, so a check that fails names exactly that bug.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from drivers.python import driver  # noqa: E402  (after the path set-up above)


def mangle_results() -> None:
    """Bytes >= 0x80 in results are sent as two code points (their UTF-8), not one."""
    original = driver.Values.from_python

    def from_python(self: driver.Values, value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode("latin-1").encode("utf-8").decode("latin-1")
        return original(self, value)

    driver.Values.from_python = from_python  # type: ignore[method-assign]


def mangle_arguments() -> None:
    """Strings from the harness lose their bytes >= 0x80."""
    driver._bytes = lambda text: text.encode("ascii", "replace")  # type: ignore[assignment]


def fresh_handles() -> None:
    """Every result gets a new handle number, even for a socket seen before."""
    original = driver.Values.handle_for

    def handle_for(self: driver.Values, obj: Any) -> dict[str, Any]:
        self._numbers.pop(id(obj), None)
        return original(self, obj)

    driver.Values.handle_for = handle_for  # type: ignore[method-assign]


def protocol_two() -> None:
    original = driver.Server.hello
    driver.Server.hello = lambda self: {**original(self), "protocol": 2}  # type: ignore[method-assign]


def no_bye_answer() -> None:
    """Exits on bye without answering it."""
    original = driver.Channel.send

    def send(self: driver.Channel, message: dict[str, Any]) -> None:
        if message.get("type") == "bye":
            raise SystemExit(0)
        original(self, message)

    driver.Channel.send = send  # type: ignore[method-assign]


def lingers_after_input() -> None:
    """Does not exit at the end of its input."""
    original = driver.Channel.receive

    def receive(self: driver.Channel) -> dict[str, Any] | None:
        message = original(self)
        if message is None:
            threading.Event().wait()
        return message

    driver.Channel.receive = receive  # type: ignore[method-assign]


def release_keeps_sockets() -> None:
    driver.Values.release = lambda self, numbers: None  # type: ignore[method-assign]


def repeat_ignored() -> None:
    """Claims no repetition, yet answers a repeated call once as if it were a plain one."""
    original_hello = driver.Server.hello

    def hello(self: driver.Server) -> dict[str, Any]:
        message = original_hello(self)
        return {**message, "capabilities": [item for item in message["capabilities"] if item != "repeat"]}

    original_call = driver.Server._call
    driver.Server.hello = hello  # type: ignore[method-assign]
    driver.Server._call = lambda self, message: original_call(  # type: ignore[method-assign]
        self, {key: value for key, value in message.items() if key != "repeat"})


def _without_capability(name: str) -> None:
    original_hello = driver.Server.hello

    def hello(self: driver.Server) -> dict[str, Any]:
        message = original_hello(self)
        return {**message, "capabilities": [item for item in message["capabilities"] if item != name]}

    driver.Server.hello = hello  # type: ignore[method-assign]


def no_repeat() -> None:
    """Claims no repetition (PROTOCOL.md section 7) and, as it should, refuses a repeated call."""
    _without_capability("repeat")


def no_sequence() -> None:
    """Claims no sequences (PROTOCOL.md section 7.2); everything else as usual."""
    _without_capability("sequence")


def digest_refused() -> None:
    """A driver from before the digest capability: it neither claims nor knows discard "digest"."""
    _without_capability("digest")
    driver.DISCARDS = ("none", "count")


def digest_unclaimed() -> None:
    """Computes digests but does not say so in its hello."""
    _without_capability("digest")


def _patch_repeat_report(change: Any) -> None:
    original = driver.Server._repeat

    def repeat(self: driver.Server, function: Any, args: list[Any], message: dict[str, Any]) -> Any:
        answer = original(self, function, args, message)
        if "repeat" in answer and "sha256" in answer["repeat"]:
            change(answer["repeat"])
        return answer

    driver.Server._repeat = repeat  # type: ignore[method-assign]


def digest_wrong() -> None:
    """Reports a SHA-256 that is well formed but not the data's (its last digit changed)."""

    def change(report: dict[str, Any]) -> None:
        last = report["sha256"][-1]
        report["sha256"] = report["sha256"][:-1] + ("0" if last != "0" else "1")

    _patch_repeat_report(change)


def digest_absent() -> None:
    """Claims digest but leaves the SHA-256 out of the summary."""
    _patch_repeat_report(lambda report: report.pop("sha256"))


def sequence_short() -> None:
    """Reports one round fewer than it ran."""
    original = driver.Server._sequence

    def sequence(self: driver.Server, message: dict[str, Any]) -> dict[str, Any]:
        answer = original(self, message)
        if answer.get("type") == "return":
            answer["sequence"]["rounds"] -= 1
        return answer

    driver.Server._sequence = sequence  # type: ignore[method-assign]


def sequence_unnumbered() -> None:
    """A call raising inside a sequence is reported with its bare message, without round and call."""
    original = driver.Server._sequence

    def sequence(self: driver.Server, message: dict[str, Any]) -> dict[str, Any]:
        answer = original(self, message)
        if answer.get("type") == "error":
            answer["message"] = answer["message"].split("): ", 1)[-1]
        return answer

    driver.Server._sequence = sequence  # type: ignore[method-assign]


def sequence_bad_bytes() -> None:
    """Reports each call's bytes as a string."""
    original = driver.Server._sequence

    def sequence(self: driver.Server, message: dict[str, Any]) -> dict[str, Any]:
        answer = original(self, message)
        for result in answer.get("sequence", {}).get("results", []):
            result["bytes"] = str(result["bytes"])
        return answer

    driver.Server._sequence = sequence  # type: ignore[method-assign]


def no_local_callbacks() -> None:
    """Claims no local callbacks (PROTOCOL.md section 7.1): a driver from before that section."""
    _without_capability("local-callbacks")


def local_digest_wrong() -> None:
    """Reports the SHA-256 of something else for its local receive callbacks."""
    original = driver.LocalCallbacks.report

    def report(self: driver.LocalCallbacks, values: driver.Values) -> dict[str, Any]:
        result = original(self, values)
        for entry in result.values():
            if "sha256" in entry:
                entry["sha256"] = hashlib.sha256(b"something else").hexdigest()
        return result

    driver.LocalCallbacks.report = report  # type: ignore[method-assign]


def local_send_restarts_pattern() -> None:
    """Its local send callbacks start every chunk at the start of the pattern."""
    original = driver.LocalCallbacks._sender

    def sender(name: str, spec: dict[str, Any], account: dict[str, Any]) -> Any:
        inner = original(name, spec, account)
        pattern = spec["pattern"].encode("latin-1")

        def send_cb(*args: Any) -> tuple[Any, ...]:
            chunk, total = inner(*args)
            return (pattern * (len(chunk) // len(pattern) + 1))[:len(chunk)], total

        return send_cb

    driver.LocalCallbacks._sender = staticmethod(sender)  # type: ignore[method-assign]


VARIANTS = {
    "mangle-results": mangle_results,
    "mangle-arguments": mangle_arguments,
    "fresh-handles": fresh_handles,
    "protocol-2": protocol_two,
    "no-bye-answer": no_bye_answer,
    "lingers-after-input": lingers_after_input,
    "release-keeps-sockets": release_keeps_sockets,
    "repeat-ignored": repeat_ignored,
    "digest-refused": digest_refused,
    "digest-unclaimed": digest_unclaimed,
    "digest-wrong": digest_wrong,
    "digest-absent": digest_absent,
    "no-repeat": no_repeat,
    "no-sequence": no_sequence,
    "sequence-short": sequence_short,
    "sequence-unnumbered": sequence_unnumbered,
    "sequence-bad-bytes": sequence_bad_bytes,
    "no-local-callbacks": no_local_callbacks,
    "local-digest-wrong": local_digest_wrong,
    "local-send-restarts-pattern": local_send_restarts_pattern,
}

if __name__ == "__main__":
    VARIANTS[sys.argv[1]]()
    sys.exit(driver.main(sys.argv[2:]))
