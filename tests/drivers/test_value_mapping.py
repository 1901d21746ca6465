"""The Python driver maps values exactly as the in-process adapter does (``pyvalues``).

Both directions are compared on generated values: a harness value reaches a
Python candidate as the same Python object either way, and a candidate's
result comes back to the harness as the same Lua value either way.
"""

from __future__ import annotations

import contextlib
import math

from hypothesis import given
from hypothesis import strategies as st

from drivers.python.driver import Values
from harness.adapters.driver_wire import decode_value, encode_value
from harness.adapters.pyvalues import HandleTable, from_python, to_python
from harness.values import LuaTable

scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.binary(max_size=40) | st.floats(
    allow_nan=False, allow_infinity=False)
keys = st.binary(max_size=8) | st.integers(-5, 20) | st.booleans()


def lua_tables(children):
    def build(array, pairs):
        table = LuaTable(array=[item for item in array if item is not None])
        for key, value in pairs:
            # false beside 0 (true beside 1): no harness table holds both
            with contextlib.suppress(ValueError):
                table[key] = value
        return table

    return st.builds(build, st.lists(children, max_size=4), st.lists(st.tuples(keys, children), max_size=4))


lua_values = st.recursive(scalars, lua_tables, max_leaves=12)

python_scalars = (st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.binary(max_size=40)
                  | st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=20)
                  | st.floats(allow_nan=False, allow_infinity=False))
python_keys = st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=6) | st.integers(-3, 8)
python_results = st.recursive(
    python_scalars,
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(python_keys, children, max_size=4),
    max_leaves=12,
)


def no_callback(name):
    raise AssertionError("no functions are generated")


def same(left, right) -> bool:
    """Equality that also tells 1 from True and 1.0 from 1 where Python's == would not."""
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    return left == right


@given(lua_values)
def test_harness_values_reach_the_candidate_as_the_same_python_objects(value):
    in_process = to_python(value, HandleTable(), no_callback)
    through_driver = Values(no_callback).to_python(encode_value(value))
    assert same(in_process, through_driver), (in_process, through_driver)


@given(python_results)
def test_candidate_results_come_back_as_the_same_lua_values(result):
    in_process = from_python(result, HandleTable())
    through_driver = decode_value(Values(no_callback).from_python(result))
    assert in_process == through_driver, (in_process, through_driver)
