"""The manual's SMTP functions: ``smtp_mail`` and the CGILua-style ``mail`` (spec §13).

* ``smtp_mail(from, rcpt, headers, body, server)`` -> ``(None,)`` when the
  server accepted the message, else ``(err,)``. ``rcpt`` is a list of
  addresses (or one address); ``headers`` a dict (or None), sent in its order
  with names as given; ``body`` bytes or text (None: empty).
* ``mail({"to": ..., "from": ..., "subject": ..., "message": ..., "cc": ...,
  "bcc": ..., "mailserver": ...})`` -> the same. ``to``, ``from`` and
  ``mailserver`` are required (a missing one raises); recipients are ``to``,
  then ``cc``, then ``bcc`` (see ``smtp_session.split_addresses``); the headers
  sent are ``To`` and ``From`` (verbatim), ``Cc`` and ``Subject`` when given,
  never ``Bcc``.

``server`` is a host only: the port is 25, fixed by the manual (the tests
therefore run their server on a loopback address of its own). Every wait is
limited to :data:`SMTP_WAIT` seconds. Errors are the connect message
("connection refused"), ``"closed"`` or ``"timeout"``, a safety refusal, or
the full text of the reply that was not the expected one (multi-line replies
joined with ``"\\n"``). After a failure the client still says QUIT when it can.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reference.args import check_text, is_absent, lua_type, settle
from reference.errors import LuaError
from reference.protocols.arguments import header_pairs, optional_data, optional_text, table, text
from reference.protocols.control import ControlChannel
from reference.protocols.errors import CallFailed
from reference.protocols.smtp_session import SMTP_PORT, SMTP_WAIT, helo_domain, plan_message, split_addresses
from reference.protocols.wire import Connection


def _send_message(
    sender: str, recipients: list[str], headers: list[tuple[str, str]], body: bytes, server: str
) -> str | None:
    """Deliver one message; returns None or the error message."""
    try:
        steps = plan_message(sender, recipients, headers, body, helo_domain(os.environ))
        conn = Connection.open(server, SMTP_PORT, SMTP_WAIT)
    except CallFailed as failure:
        return failure.message
    channel = ControlChannel(conn)
    try:
        for step in steps:
            reply = channel.reply() if step.send is None else channel.send_raw(step.send)
            channel.expect(reply, step.expect)
        channel.quit()
        return None
    except CallFailed as failure:
        channel.quit()
        return failure.message
    finally:
        conn.close()


def _recipients(value: object) -> list[str]:
    """``rcpt``: a list of addresses, or a single address.

    A dict stands for a Lua table whose array part holds the addresses next to
    other fields (Lua 4 code often keeps a count in ``n``): its values at keys
    1, 2, ... are the recipients, as Lua's ``getn`` would walk them.
    """
    if isinstance(value, (list, tuple)):
        return [check_text(item) for item in value]
    if isinstance(value, Mapping):
        addresses = []
        while len(addresses) + 1 in value:
            addresses.append(check_text(value[len(addresses) + 1]))
        return addresses
    if isinstance(value, (str, bytes, bytearray)):
        return [check_text(value)]
    raise LuaError(f"table expected for rcpt, got {lua_type(value)}")


def smtp_mail(*args: object) -> tuple[str | None]:
    """``smtp_mail(from, rcpt, headers, body, server)`` -> ``(None,)`` or ``(err,)``."""
    sender, rcpt, headers, body, server = settle(args, 5)
    return (
        _send_message(
            text(sender), _recipients(rcpt), header_pairs(headers), optional_data(body) or b"", text(server)
        ),
    )


def _required(fields: Mapping[Any, Any], name: str) -> str:
    value = fields.get(name)
    if is_absent(value):
        raise LuaError(f"mail: field '{name}' is required")
    return text(value)


def mail(*args: object) -> tuple[str | None]:
    """``mail{to=, from=, subject=, message=, cc=, bcc=, mailserver=}`` -> ``(None,)`` or ``(err,)``."""
    (fields_value,) = settle(args, 1)
    if is_absent(fields_value):
        raise LuaError("table expected for mail, got no value")
    fields = table(fields_value, "mail")
    to = _required(fields, "to")
    sender = _required(fields, "from")
    server = _required(fields, "mailserver")
    cc = optional_text(fields.get("cc"))
    bcc = optional_text(fields.get("bcc"))
    subject = optional_text(fields.get("subject"))
    recipients = split_addresses(to) + split_addresses(cc or "") + split_addresses(bcc or "")
    headers = [("To", to), ("From", sender)]
    if cc is not None:
        headers.append(("Cc", cc))
    if subject is not None:
        headers.append(("Subject", subject))
    body = optional_data(fields.get("message")) or b""
    return (_send_message(sender, recipients, headers, body, server),)
