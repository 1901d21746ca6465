"""The protocol's value and message encoding, without any process."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.adapters.driver_loops import RepeatRequest, parse_repeat_report
from harness.adapters.driver_wire import (
    ProtocolError,
    call_message,
    decode_message,
    decode_value,
    decode_values,
    encode_message,
    encode_value,
    parse_hello,
    require_id,
)
from harness.values import Handle, LuaFunction, LuaTable

ALL_BYTES = bytes(range(256))


def over_the_wire(value):
    """Encode, serialise as a line, parse back and decode: what a perfect echoing driver returns."""
    line = encode_message({"type": "return", "id": 1, "values": [encode_value(value)]})
    return decode_value(decode_message(line.rstrip(b"\n"))["values"][0])


def test_every_byte_value_is_one_code_point_and_survives():
    text = encode_value(ALL_BYTES)
    assert len(text) == 256 and [ord(char) for char in text] == list(range(256))
    assert over_the_wire(ALL_BYTES) == ALL_BYTES


def test_lines_carry_high_bytes_as_utf8_and_control_bytes_escaped():
    line = encode_message({"type": "call", "args": [encode_value(b"a\n\xff")]})
    assert line.endswith(b"\n") and line.count(b"\n") == 1, "one message, one line"
    assert b"\xc3\xbf" in line, "0xff travels as the UTF-8 of U+00FF"
    assert b"\\n" in line


def test_escaped_and_raw_forms_of_a_high_byte_decode_alike():
    assert decode_value(json.loads('"\\u00ff"')) == decode_value(json.loads('"\u00ff"')) == b"\xff"


def test_code_points_above_ff_are_refused():
    with pytest.raises(ProtocolError, match="U\\+0100 at offset 1"):
        decode_value("a\u0100")


def test_tables_round_trip_with_array_and_hash_parts():
    table = LuaTable(array=[b"a", 2, LuaTable()], hash={b"name": b"x", 10: True, 1.5: 3})
    assert over_the_wire(table) == table
    assert encode_value(LuaTable()) == {"table": {"array": [], "hash": []}}


def test_hash_keys_that_continue_the_array_join_it_as_in_lua():
    decoded = decode_value({"table": {"array": ["a"], "hash": [[2, "b"], ["k", 1], [3, "c"]]}})
    assert decoded == LuaTable(array=[b"a", b"b", b"c"], hash={b"k": 1})


def test_handles_keep_their_number_and_kind():
    assert over_the_wire(Handle(7, "tcp-server")) == Handle(7)
    assert decode_value({"handle": 7, "kind": "tcp-server"}).kind == "tcp-server"
    assert decode_value({"handle": 7, "kind": "unknown"}).kind == "unknown"


def test_a_handle_with_a_lua_type_is_no_socket():
    function = decode_value({"handle": 8, "kind": "unknown", "type": "function"})
    assert function.type == "function" and function == Handle(8)
    assert decode_value({"handle": 9, "kind": "unknown"}).type == "socket"
    for bad in ({"handle": 8, "kind": "tcp-client", "type": "function"},
                {"handle": 8, "kind": "unknown", "type": "table"}):
        with pytest.raises(ProtocolError, match="type must be one of function, thread, userdata"):
            decode_value(bad)


def test_false_beside_0_in_one_table_is_a_protocol_error_not_a_merged_entry():
    # A Python dict holds 0 and False as one key: the harness saw {[0]="no"} where the driver sent
    # two entries.
    with pytest.raises(ProtocolError, match="both 0 and false as keys"):
        decode_value({"table": {"array": [], "hash": [[0, "zero"], [False, "no"]]}})
    table = decode_value({"table": {"array": ["a"], "hash": [[True, "b"]]}})
    assert table.array == [b"a"] and table.hash == {True: b"b"}


@pytest.mark.parametrize("bad", [{"handle": 0}, {"handle": "3"}, {"handle": True}, {"function": "f"},
                                 {"table": {"array": "x"}}, {"table": {"hash": [[None, 1]]}},
                                 {"table": {"hash": [["only key"]]}}, {"other": 1}, [1, 2],
                                 {"handle": 7, "kind": "martian"}, {"handle": 7}])
def test_values_outside_section_2_are_protocol_errors(bad):
    with pytest.raises(ProtocolError):
        decode_value(bad)


def test_functions_go_to_the_driver_by_name():
    assert encode_value(LuaFunction("receive_cb")) == {"function": "receive_cb"}


def test_call_message_keeps_explicit_trailing_nils_and_names_the_target():
    target = Handle(3, "tcp-client")
    message = call_message(9, "receive", (b"*l", None), "method", target)
    assert message == {"type": "call", "id": 9, "function": "receive", "style": "method",
                       "target": {"handle": 3, "kind": "tcp-client"}, "args": ["*l", None]}
    repeated = call_message(10, "receive", (4096,), "method", target, RepeatRequest(5, stop=2))
    assert (repeated["repeat"], repeated["stop"], repeated["discard"]) == (5, 2, "count")
    assert "target" not in call_message(11, "bind", (b"*", 0), "global", None)


@pytest.mark.parametrize("line", [b"", b"not json", b"[1, 2]", b'{"id": 1}', b'{"type": 3}', b"\xff\xfe"])
def test_lines_that_are_not_messages(line):
    with pytest.raises(ProtocolError):
        decode_message(line)


def test_a_line_that_is_not_utf8_is_reported_at_its_bad_byte():
    # Raw 0x80-0xFF bytes from a driver that skipped the code-point mapping: the excerpt alone
    # can end before the bad byte and look like valid JSON.
    head = b'{"type":"return","id":2,"values":["' + bytes(range(0x20, 0x7F)) * 4
    with pytest.raises(ProtocolError) as caught:
        decode_message(head + b'\x80\x81"]}')
    assert str(caught.value).startswith(f"not a UTF-8 line: byte {len(head)} is b'\\x80\\x81\"]'")
    assert "U+00BB" in str(caught.value)


def test_a_json_syntax_error_says_where():
    with pytest.raises(ProtocolError, match=r"not a JSON line: '\{\"type\": \"return\",' \(Expecting"):
        decode_message(b'{"type": "return",')


def test_hello_needs_every_field():
    good = {"type": "hello", "protocol": 1, "name": "x", "version": "1", "capabilities": ["tcp"]}
    hello = parse_hello(good)
    assert (hello.protocol, hello.name, hello.capabilities) == (1, "x", frozenset({"tcp"}))
    for broken in ({"protocol": "1"}, {"name": ""}, {"version": 1}, {"capabilities": "tcp"},
                   {"type": "return"}):
        message = {"type": "hello", "protocol": 1, "name": "x", "version": "1", "capabilities": [], **broken}
        with pytest.raises(ProtocolError):
            parse_hello(message)


def test_a_hello_without_a_field_says_which_is_missing():
    # "capabilities must be a list of strings, not None" read as if the driver had sent null.
    for field in ("protocol", "name", "version", "capabilities"):
        message = {"type": "hello", "protocol": 1, "name": "x", "version": "1", "capabilities": []}
        del message[field]
        with pytest.raises(ProtocolError) as caught:
            parse_hello(message)
        # No "hello: " before it: both places that show it say "hello" already ("no valid hello: ...",
        # check-driver's "FAIL  hello: ..."), and they read "hello: hello: ...".
        assert str(caught.value) == (f"no {field!r} field (protocol, name, version, capabilities are "
                                     "all required, drivers/PROTOCOL.md section 3)")


def test_an_empty_json_object_where_a_list_is_due_is_named_as_an_empty_lua_table():
    # lua-cjson writes every empty Lua table as {}: a driver returning nothing (close) sends "values": {}.
    note = "an empty list is [], and {} is what a Lua JSON library writes for an empty table"
    with pytest.raises(ProtocolError) as caught:
        decode_values({})
    assert str(caught.value).startswith(f"values must be a list, not '{{}}'; {note}")
    with pytest.raises(ProtocolError) as caught:
        parse_hello({"type": "hello", "protocol": 1, "name": "x", "version": "1", "capabilities": {}})
    assert note in str(caught.value) and "cjson.encode_empty_table_as_object(false)" in str(caught.value)
    with pytest.raises(ProtocolError) as caught:
        decode_value({"table": {"array": {}, "hash": []}})
    assert note in str(caught.value)
    with pytest.raises(ProtocolError) as caught:
        decode_values({"1": None})
    assert note not in str(caught.value), "only an empty object is that mistake"


def test_repeat_report_and_ids():
    report = parse_repeat_report({"repeat": {"done": 3, "elapsed": 0.5, "bytes": 12}})
    assert (report.done, report.elapsed, report.bytes, report.cpu) == (3, 0.5, 12, None)  # cpu optional
    assert parse_repeat_report({"repeat": {"done": 3, "elapsed": 0.5, "cpu": 0.2}}).cpu == 0.2
    with pytest.raises(ProtocolError, match=r"repeat\.cpu must be seconds"):
        parse_repeat_report({"repeat": {"done": 3, "elapsed": 0.5, "cpu": -1}})
    with pytest.raises(ProtocolError, match="repeat"):
        parse_repeat_report({"values": []})
    with pytest.raises(ProtocolError, match="done"):
        parse_repeat_report({"repeat": {"done": -1, "elapsed": 0}})
    require_id({"type": "return", "id": 4}, 4, "answer")
    with pytest.raises(ProtocolError, match="id 5, expected 4"):
        require_id({"type": "return", "id": 5}, 4, "answer")
    with pytest.raises(ProtocolError, match="id 4.0, expected 4"):  # an integer, as the hello's protocol
        require_id({"type": "return", "id": 4.0}, 4, "answer")


SHA = hashlib.sha256(b"payload").hexdigest()


def test_a_digest_request_and_its_report_round_trip():
    message = call_message(12, "receive", (8192,), "method", Handle(3, "tcp-client"),
                           RepeatRequest(512, stop=2, discard="digest"))
    assert json.loads(encode_message(message))["discard"] == "digest"
    answer = decode_message(encode_message({"type": "return", "id": 12, "values": [None, "closed"],
                                            "repeat": {"done": 513, "bytes": 7, "elapsed": 0.25,
                                                       "sha256": SHA}}))
    report = parse_repeat_report(answer, digest=True)
    assert (report.done, report.bytes, report.sha256) == (513, 7, SHA)
    assert parse_repeat_report({"repeat": {"done": 1, "elapsed": 0}}).sha256 is None


@pytest.mark.parametrize(("summary", "digest", "problem"), [
    ({}, True, "repeat.sha256 is missing"),
    ({"sha256": None}, True, "repeat.sha256 is missing"),
    ({"sha256": SHA}, False, "repeat.sha256 was not asked for"),
    ({"sha256": SHA.upper()}, True, "repeat.sha256 must be 64 lowercase hex digits"),
    ({"sha256": SHA[:-1]}, True, "repeat.sha256 must be 64 lowercase hex digits"),
    ({"sha256": SHA + "0"}, True, "repeat.sha256 must be 64 lowercase hex digits"),
    ({"sha256": 12}, True, "repeat.sha256 must be 64 lowercase hex digits"),
])
def test_a_digest_is_there_exactly_when_asked_for_and_well_formed(summary, digest, problem):
    with pytest.raises(ProtocolError, match=problem):
        parse_repeat_report({"repeat": {"done": 1, "elapsed": 0.1, "bytes": 7, **summary}}, digest=digest)
