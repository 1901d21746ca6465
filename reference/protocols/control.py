"""A command/reply connection: the SMTP session and the FTP control connection.

Both protocols send one command line and read one reply (spec §13.2 for the
reply format, parsed by :class:`~reference.protocols.replies.ReplyReader`).
This class adds the socket side and three habits both clients share:

* a reply with an unexpected code fails with the reply's full text, which is
  the error message the manual's SMTP and FTP functions return;
* command lines are checked once more for CR and LF just before they are
  written (the session modules already refuse such input; this is the last
  line of defence against a smuggled command);
* after a failure the client says ``QUIT`` when the connection can still
  carry it (not after a timeout or a close), and reads the answer, so the
  server sees an orderly end (1.3b just closed, DIVERGENCES.md #50, #53).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from reference.protocols.errors import BAD_COMMAND_CHARACTER, CallFailed
from reference.protocols.replies import Reply, ReplyReader
from reference.protocols.wire import Connection


class ControlChannel:
    """Commands out, :class:`Reply` values in, over one :class:`Connection`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._reader = ReplyReader()
        self._usable = True  # False once the connection failed (closed, timeout)

    def reply(self) -> Reply:
        """The next complete reply from the server."""
        while True:
            reply = self._reader.next_reply()
            if reply is not None:
                return reply
            data, error = self.conn.raw_line()
            self._reader.feed(data)
            if error is not None:
                self._usable = False
                raise CallFailed(error)

    def command(self, line: str) -> Reply:
        """Send one command line (CRLF added) and read its reply."""
        if "\r" in line or "\n" in line:
            raise CallFailed(BAD_COMMAND_CHARACTER)
        return self.send_raw((line + "\r\n").encode("latin-1"))

    def send_raw(self, data: bytes) -> Reply:
        """Send prepared bytes (already checked and terminated) and read the reply."""
        try:
            self.conn.send(data)
        except CallFailed:
            self._usable = False
            raise
        return self.reply()

    def expect(self, reply: Reply, codes: Collection[int]) -> Reply:
        """``reply`` if its code is one of ``codes``; else fail with its text."""
        if not reply.is_one_of(codes):
            raise CallFailed(reply.text)
        return reply

    def quit(self) -> None:
        """Say QUIT and read the answer, whatever its code; failures are ignored.

        The outcome of the call was settled before QUIT: a server that answers
        it badly does not turn a delivered message or a stored file into an
        error (1.3b's SMTP did, DIVERGENCES.md #53).
        """
        if not self._usable:
            return
        with contextlib.suppress(CallFailed):
            self.command("QUIT")
