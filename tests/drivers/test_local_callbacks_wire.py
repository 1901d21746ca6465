"""PROTOCOL.md section 7.1 on the wire: local-callback objects out, the ``callbacks`` account back."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.adapters.driver_loops import local_callback_value, parse_callback_reports
from harness.adapters.driver_wire import (
    ProtocolError,
    call_message,
    decode_message,
    decode_value,
    encode_message,
)
from harness.scenario.model import CallbackSpec, GeneratedData
from harness.values import LuaFunction, LuaTable

SINK = CallbackSpec("sink", "receive", record="digest")
SOURCE = CallbackSpec("source", "send", generate=GeneratedData(size=95, pattern=b"ab\xffcdef", chunk=10))
DIGEST = hashlib.sha256(b"hello").hexdigest()


def wire(message: dict) -> dict:
    """A message as the other side parses it."""
    return json.loads(encode_message(message))


def test_a_receive_callback_is_named_with_its_kind_only():
    assert local_callback_value(SINK) == {"name": "sink", "kind": "receive"}


def test_a_send_callback_carries_what_generates_its_chunks():
    assert local_callback_value(SOURCE) == {"name": "source", "kind": "send", "pattern": "ab\u00ffcdef",
                                            "size": 95, "chunk": 10, "total": 95}
    announced = CallbackSpec("source", "send", generate=GeneratedData(size=95), total=1000)
    assert local_callback_value(announced)["total"] == 1000


def test_a_send_callback_with_fixed_chunks_has_no_local_form():
    with pytest.raises(ValueError, match="fixed chunks"):
        local_callback_value(CallbackSpec("fixed", "send", chunks=(b"abc",)))


def test_only_the_callbacks_named_local_go_out_as_local_ones_tables_too():
    local = {"sink": local_callback_value(SINK)}
    args = (b"GET", LuaFunction("sink"), LuaTable(array=[LuaFunction("sink"), LuaFunction("other")]))
    message = wire(call_message(1, "http_requestindirect", args, "global", None, local=local))
    sink, table = message["args"][1], message["args"][2]["table"]["array"]
    assert sink == {"local-callback": {"name": "sink", "kind": "receive"}}
    assert table == [sink, {"function": "other"}]
    plain = wire(call_message(2, "http_requestindirect", args, "global", None))
    assert plain["args"][1] == {"function": "sink"}


def test_a_driver_cannot_send_a_local_callback_back():
    with pytest.raises(ProtocolError, match="only from the harness to the driver"):
        decode_value({"local-callback": {"name": "sink", "kind": "receive"}})


def answer(callbacks: object) -> dict:
    return decode_message(encode_message({"type": "return", "id": 3, "values": [], "callbacks": callbacks}))


def test_a_report_is_parsed_with_the_first_and_last_call_decoded():
    reports = parse_callback_reports(answer({
        "sink": {"calls": 3, "bytes": 5, "sha256": DIGEST, "first": ["hel", None], "last": ["", None]},
        "source": {"calls": 2, "bytes": 95, "first": [], "last": []}}), {"sink": "receive", "source": "send"})
    sink, source = reports["sink"], reports["source"]
    assert (sink.calls, sink.bytes, sink.sha256, sink.first, sink.last) == (3, 5, DIGEST, (b"hel", None),
                                                                          (b"", None))
    assert (source.calls, source.bytes, source.sha256, source.first) == (2, 95, None, ())


def test_an_answer_without_a_report_has_no_accounts():
    message = decode_message(b'{"type":"return","id":3,"values":[]}')
    assert parse_callback_reports(message, {"sink": "receive"}) == {}


def test_a_callback_never_called_has_no_first_or_last():
    reports = parse_callback_reports(answer({"sink": {"calls": 0, "bytes": 0, "sha256": DIGEST}}),
                                     {"sink": "receive"})
    assert reports["sink"].first is None and reports["sink"].last is None


@pytest.mark.parametrize(("report", "field"), [
    ({"other": {"calls": 0, "bytes": 0}}, "callbacks.other: 'other' was not a local callback of this call"),
    ([1], "callbacks must be an object"),
    ({"sink": []}, "callbacks.sink must be an object"),
    ({"sink": {"calls": -1, "bytes": 0, "sha256": DIGEST}}, "callbacks.sink.calls must be a non-negative"),
    ({"sink": {"calls": 1, "bytes": True, "sha256": DIGEST, "first": [], "last": []}},
     "callbacks.sink.bytes must be a non-negative"),
    ({"sink": {"calls": 0, "bytes": 0}}, "callbacks.sink.sha256 must be 64 lowercase hex digits"),
    ({"sink": {"calls": 0, "bytes": 0, "sha256": DIGEST.upper()}}, "callbacks.sink.sha256 must be 64"),
    ({"sink": {"calls": 1, "bytes": 0, "sha256": DIGEST, "last": []}},
     "callbacks.sink.first must be the list"),
    ({"sink": {"calls": 0, "bytes": 0, "sha256": DIGEST, "last": []}},
     "callbacks.sink.last must be absent or null"),
    ({"sink": {"calls": 1, "bytes": 0, "sha256": DIGEST, "first": ["\u0100"], "last": []}}, "U\\+0100"),
])
def test_a_malformed_report_is_a_protocol_error_naming_the_field(report, field):
    with pytest.raises(ProtocolError, match=field):
        parse_callback_reports(answer(report), {"sink": "receive"})


def test_a_report_from_a_call_without_local_callbacks_is_refused():
    with pytest.raises(ProtocolError, match=r"'sink' was not a local callback of this call \(local: none\)"):
        parse_callback_reports(answer({"sink": {"calls": 0, "bytes": 0, "sha256": DIGEST}}), {})
