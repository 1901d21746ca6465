"""A headless Chromium driven over the DevTools protocol, for the HTML report tests.

The browser is started with ``--remote-debugging-pipe``: it reads protocol
messages (JSON, each ending in a NUL byte) on file descriptor 3 and writes
its answers and events on descriptor 4. That needs no port, no network and
no extra package. A tiny Python trampoline puts our pipe ends on 3 and 4
before exec'ing the browser, because ``subprocess`` cannot choose the
child's descriptor numbers itself.

Only what the tests need: open a page, evaluate JavaScript, click at a
point like a user would, take a screenshot, and keep every console error,
uncaught exception and error log entry the page produced.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

EXECUTABLES = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1400,1000")
_TRAMPOLINE = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.execv(sys.argv[3], sys.argv[3:])")
TIMEOUT = 30.0


def find_chromium() -> str | None:
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


class DevToolsError(RuntimeError):
    """The browser answered with an error, went away, or did not answer in time."""


class Browser:
    """One browser process with one page attached (``page_session``)."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        self._log = open(log, "wb")  # noqa: SIM115 - closed in close()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(to_browser_read), str(from_browser_write), executable,
                 *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
                pass_fds=(to_browser_read, from_browser_write), stdin=subprocess.DEVNULL,
                stdout=self._log, stderr=self._log)
        finally:
            os.close(to_browser_read)
            os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.page_session = attached["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(domain, session=self.page_session)

    # -- protocol -------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = TIMEOUT) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline, f"the answer to {method}")
            if answer.get("id") == message["id"]:
                if "error" in answer:
                    raise DevToolsError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))

    def wait_for_event(self, method: str, *, session: str | None = None,
                       timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first event named ``method`` not seen before (already received ones count)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                wanted = event["method"] == method and event.get("sessionId") == session
                if wanted and not event.get("_taken"):
                    event["_taken"] = True
                    return dict(event.get("params", {}))
            seen = len(self.events)
            self._read(deadline, f"the event {method}")

    def _read(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        """The next message; events are appended to ``events`` as well as returned."""
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsError(f"no {waiting_for} within {TIMEOUT} s")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise DevToolsError(f"the browser closed the pipe while we waited for {waiting_for}")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    # -- page helpers -----------------------------------------------------------

    def open(self, url: str) -> None:
        """Navigate the page and wait for its load event (the report's script has run by then)."""
        self.call("Page.navigate", {"url": url}, session=self.page_session)
        self.wait_for_event("Page.loadEventFired", session=self.page_session)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page; a thrown exception is an error."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           session=self.page_session)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Scroll the element into view and click its centre with real mouse events."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()")
        if box is None:
            raise DevToolsError(f"nothing matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1},
                      session=self.page_session)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=self.page_session)["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def console_errors(self) -> list[str]:
        """Every console error, uncaught exception and error-level log entry so far."""
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(f"exception: {details.get('exception', {}).get('description') or details}")
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console." + params["type"] + ": " +
                              " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(f"log: {params['entry'].get('text')} ({params['entry'].get('url', '')})")
        return errors

    def close(self) -> None:
        """Ask the browser to quit, then make sure it has; close every descriptor."""
        with contextlib.suppress(DevToolsError, OSError):  # it may close the pipe before answering
            self.call("Browser.close", timeout=5)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            self._log.close()
