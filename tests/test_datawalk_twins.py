"""The datawalk twins (class recreation walk, marshal sequence-header scan): the same results from both."""
import marshal
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from Pyro4 import _datawalk_py

# the scan's definition, written independently of both twins
_REFERENCE = re.compile(rb"[(\xa8\[\xdb]..(?:.[\x01-\x7f]|[^\x00]\x00)", re.DOTALL)


def _convert(data):
    return ("rebuilt", data["__class__"], len(data))


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    st.binary(max_size=5), st.complex_numbers(allow_nan=False))
_class_dicts = st.fixed_dictionaries({"__class__": st.text(max_size=5)}, optional={"x": st.integers()})
_values = st.recursive(
    st.one_of(_leaves, _class_dicts),
    lambda children: st.one_of(st.lists(children, max_size=4), st.tuples(children, children),
                               st.dictionaries(st.text(max_size=3), children, max_size=4),
                               st.frozensets(st.integers(), max_size=3), st.sets(st.text(max_size=3), max_size=3),
                               st.sets(st.tuples(st.integers(), st.text(max_size=2)), max_size=3)),
    max_leaves=20)


def _shape(value):
    """Value and exact type of every node, so list/tuple/set differences show."""
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_shape(item) for item in value]
    if isinstance(value, dict):
        return "dict", sorted((repr(key), _shape(item)) for key, item in value.items())
    if isinstance(value, (set, frozenset)):
        return type(value).__name__, sorted(repr(_shape(item)) for item in value)
    return type(value).__name__, repr(value)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_values)
def test_recreate_classes_same_in_both_twins(datawalk_twin, value):
    result = datawalk_twin.recreate_classes(value, _convert)
    assert _shape(result) == _shape(_datawalk_py.recreate_classes(value, _convert))


def test_recreate_classes_replaces_class_dicts_everywhere(datawalk_twin):
    value = [1, {"a": {"__class__": "x.Y", "v": 1}}, ({"__class__": "z"},), {"k": [{"__class__": "w"}]}]
    result = datawalk_twin.recreate_classes(value, _convert)
    assert result == [1, {"a": ("rebuilt", "x.Y", 2)}, (("rebuilt", "z", 1),), {"k": [("rebuilt", "w", 1)]}]


def test_a_converted_dict_is_passed_raw(datawalk_twin):
    seen = []
    inner = {"__class__": "inner"}
    outer = {"__class__": "outer", "nested": inner}
    datawalk_twin.recreate_classes(outer, lambda data: seen.append(data) or "done")
    assert seen == [outer] and seen[0]["nested"] is inner


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, {1, 2}, [], {}, set()])
def test_mutable_containers_come_back_as_new_objects(datawalk_twin, value):
    result = datawalk_twin.recreate_classes(value, _convert)
    assert result == value and result is not value


@pytest.mark.parametrize("value", [(1, "a"), (), 5, "text", None, b"raw", frozenset({1})])
def test_immutable_plain_values_come_back_as_they_are(datawalk_twin, value):
    assert datawalk_twin.recreate_classes(value, _convert) is value


def test_subclasses_of_containers_are_not_walked(datawalk_twin):
    class Listy(list):
        pass
    value = Listy([{"__class__": "x"}])
    assert datawalk_twin.recreate_classes(value, _convert) is value


def test_converter_errors_propagate(datawalk_twin):
    def refuse(data):
        raise ValueError("no " + data["__class__"])
    with pytest.raises(ValueError, match="no thing"):
        datawalk_twin.recreate_classes([1, [{"__class__": "thing"}]], refuse)


def test_deep_nesting_is_a_recursion_error_not_a_crash(datawalk_twin):
    value = []
    for _ in range(100000):
        value = [value]
    with pytest.raises(RecursionError):
        datawalk_twin.recreate_classes(value, _convert)
    assert datawalk_twin.recreate_classes([[[{"__class__": "c"}]]], _convert) == [[[("rebuilt", "c", 1)]]]


@settings(deadline=None, max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from([0x28, 0xA8, 0x5B, 0xDB, 0, 1, 0x7F, 0x80, 0xFF]),
                          st.integers(0, 255)), max_size=40).map(bytes))
def test_sequence_header_scan_matches_its_definition(datawalk_twin, data):
    expected = _REFERENCE.search(data) is not None
    assert datawalk_twin.has_large_sequence_header(data) is expected
    assert datawalk_twin.has_large_sequence_header(bytearray(data)) is expected
    assert datawalk_twin.has_large_sequence_header(memoryview(data)) is expected


@pytest.mark.parametrize("count, expected", [(65535, False), (65536, True), (2 ** 24, True), (2 ** 31 - 1, True),
                                             (-1, False), (0, False)])
def test_sequence_header_scan_threshold(datawalk_twin, count, expected):
    for code in b"(\xa8[\xdb":
        data = bytes([code]) + count.to_bytes(4, "little", signed=True)
        assert datawalk_twin.has_large_sequence_header(data) is expected
        assert datawalk_twin.has_large_sequence_header(data[:-1]) is False  # count cut off


def test_sequence_header_scan_of_real_payloads(datawalk_twin):
    small_call = marshal.dumps(("obj", "method", [1, "two", [3]], {}))
    assert datawalk_twin.has_large_sequence_header(small_call) is False
    big_list = marshal.dumps([0] * 70000)
    assert datawalk_twin.has_large_sequence_header(big_list) is True


def test_sequence_header_scan_refuses_non_buffers(datawalk_twin):
    with pytest.raises(TypeError):
        datawalk_twin.has_large_sequence_header("text" * 3)


def test_the_twins_are_what_speedups_selected():
    from Pyro4 import _speedups
    expected = "Pyro4._datawalk" if _speedups.ACTIVE == "cython" else "Pyro4._datawalk_py"
    assert _speedups.datawalk_impl.__name__ == expected
    assert sys.modules[expected] is _speedups.datawalk_impl
