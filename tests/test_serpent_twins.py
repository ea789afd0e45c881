"""The serpent codec twins against the serpent library: same values, same errors, same bytes.

Both twins parse and write the plain builtin values on their own and hand everything else to the
library. Besides comparing results, some tests check that a twin's own parser and writer really ran (a
twin that always fell back would pass the rest).
"""
import collections
import datetime
import decimal
import math
import re
import sys
import types
import uuid

import pytest
import serpent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import Pyro4._speedups

HEADER = b"# serpent utf-8 python3.2\n"
HYPOTHESIS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def compiled():
    from conftest import EXTENSIONS_EXPECTED, _import_twin

    if not EXTENSIONS_EXPECTED:
        pytest.skip("package was built without the compiled extensions (nocython env): no compiled twin")
    return _import_twin("serpent", "cython")


# ---- comparing outcomes ----------------------------------------------------------------------


def fingerprint(value):
    """Type and content, exact enough to tell 1 / 1.0 / True and 0.0 / -0.0 apart, and NaN == NaN."""
    kind = type(value)
    if kind in (float, complex):
        return kind.__name__, repr(value)
    if kind in (list, tuple):
        return kind.__name__, tuple(fingerprint(item) for item in value)
    if kind is dict:
        return "dict", tuple((fingerprint(key), fingerprint(item)) for key, item in value.items())
    if kind in (set, frozenset):
        return kind.__name__, tuple(sorted(repr(fingerprint(item)) for item in value))
    return kind.__name__, repr(value)


def outcome(function, *args, **kwargs):
    try:
        result = function(*args, **kwargs)
    except Exception as exc:
        # serpent's "malformed node" messages name the AST object by its address
        return "error", type(exc), re.sub(r"0x[0-9a-fA-F]+", "0x?", str(exc))
    return "value", fingerprint(result)


def assert_dumps_like_serpent(twin, value):
    expected = outcome(serpent.dumps, value, module_in_classname=True)
    assert outcome(twin.dumps, value, True) == expected
    return expected


def assert_loads_like_serpent(twin, data):
    expected = outcome(serpent.loads, data)
    assert outcome(twin.loads, data) == expected
    return expected


# ---- value strategies ------------------------------------------------------------------------

any_text = st.text(st.characters(blacklist_categories=()), max_size=12)
finite_floats = st.floats(allow_nan=False)
finite_complex = st.complex_numbers(allow_nan=False)
plain_scalars = (st.none() | st.booleans() | st.integers() | finite_floats | finite_complex | any_text
                 | st.binary(max_size=20) | st.binary(max_size=8).map(bytearray))
plain_keys = st.recursive(st.booleans() | st.integers() | finite_floats | finite_complex | any_text,
                          lambda keys: st.tuples(keys, st.none() | keys), max_leaves=4)


def _plain_containers(children):
    return (st.lists(children, max_size=4) | st.lists(children, max_size=4).map(tuple)
            | st.dictionaries(plain_keys, children, max_size=4) | st.sets(plain_keys, max_size=4)
            | st.frozensets(plain_keys, max_size=4))


plain_values = st.recursive(plain_scalars, _plain_containers, max_leaves=20)


class Unregistered:
    def __init__(self, value):
        self.value = value


class TextSubclass(str):
    pass


class IntSubclass(int):
    pass


unhandled_scalars = st.sampled_from([
    float("nan"), complex(float("nan"), 1.0), decimal.Decimal("1.5"), datetime.datetime(2020, 1, 2, 3, 4, 5),
    datetime.date(2020, 1, 2), uuid.UUID(int=7), TextSubclass("sub"), IntSubclass(5), Unregistered(3),
    memoryview(b"view"), range(3), collections.OrderedDict(a=1), Ellipsis,
])
any_keys = plain_keys | st.none() | st.binary(max_size=4) | st.frozensets(st.integers(), max_size=2)


def _any_containers(children):
    return _plain_containers(children) | st.dictionaries(any_keys, children, max_size=3) | st.sets(any_keys, max_size=3)


any_values = st.recursive(plain_scalars | unhandled_scalars, _any_containers, max_leaves=20)


# ---- differential tests over generated values ---------------------------------------------------


@HYPOTHESIS
@given(value=any_values)
def test_dumps_and_loads_like_serpent(serpent_twin, value):
    expected = assert_dumps_like_serpent(serpent_twin, value)
    if expected[0] == "value":
        data = serpent.dumps(value, module_in_classname=True)
        assert_loads_like_serpent(serpent_twin, data)


@HYPOTHESIS
@given(value=plain_values)
def test_writer_does_plain_values_itself(serpent_twin, value):
    data = serpent.dumps(value, module_in_classname=True)
    assert serpent_twin._encode_plain(value) == data
    assert serpent_twin.dumps(value, False) == data


@HYPOTHESIS
@given(value=plain_values)
def test_parser_does_plain_values_itself(serpent_twin, value):
    data = serpent.dumps(value, module_in_classname=True)
    expected = outcome(serpent.loads, data)
    if expected[0] == "value":
        assert outcome(serpent_twin._parse_plain, data) == expected


@HYPOTHESIS
@given(value=plain_values)
def test_encode_with_one_decode_with_the_other(compiled, value):
    from Pyro4 import _serpent_py

    for writer, reader in ((compiled, _serpent_py), (_serpent_py, compiled)):
        data = writer.dumps(value, True)
        assert outcome(reader.loads, data) == outcome(serpent.loads, data)


TOKENS = ["(", ")", "[", "]", "{", "}", ",", ":", " ", "-", "+", "0", "7", "00", "012", "123456789012345678901",
          "1.5", "-2.5e-10", "1e30000", "1e", "1.", ".5", "2j", "1.0j", "j", "e", "'a'", '"b"', "'it\\'s'", "'\\n'",
          "'\\x4'", "'\\x41'", "'\\u00e9'", "'\\U0010ffff'", "'\\U00110000'", "'\\d'", "'\\0'", "'\\N{DASH}'", "\\",
          "'", '"', "None", "True", "False", "Nonex", "x", "b'x'", "\n", "\t", "\x00", "\u00e9", "#",
          "_", "0x1", "1_0", "'''", "'\u00e9\u20ac'", "\r"]


@st.composite
def token_soup(draw):
    text = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=25)))
    return HEADER + text.encode("utf-8")


@st.composite
def mutated_documents(draw):
    data = bytearray(serpent.dumps(draw(plain_values), module_in_classname=True))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["truncate", "delete", "insert", "replace"]))
        if action == "truncate":
            del data[position:]
        elif action == "delete":
            del data[position:position + 1]
        else:
            byte = draw(st.sampled_from(b"()[]{},: -+.'\"\\\n0123456789ejNTFx\x00\xc3\xa9\xff"))
            data[position:position + (action == "replace")] = bytes([byte])
    return bytes(data)


@HYPOTHESIS
@given(data=token_soup() | mutated_documents() | st.binary(max_size=40).map(lambda tail: HEADER + tail))
def test_loads_like_serpent_on_any_input(serpent_twin, data):
    assert_loads_like_serpent(serpent_twin, data)


@HYPOTHESIS
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20), quote=st.sampled_from("'\""))
def test_raw_characters_in_string_literals(serpent_twin, text, quote):
    # serpent escapes what repr() escapes, but a peer may send any UTF-8 text between quotes
    assert_loads_like_serpent(serpent_twin, HEADER + (quote + text + quote).encode("utf-8"))


# ---- hand-written edge cases ------------------------------------------------------------------

EDGE_VALUES = [
    None, True, False, 0, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 1000, -(10 ** 4000),
    0.0, -0.0, 0.1, 1e16, 1e22, 1e-320, 1.7976931348623157e308, float("inf"), float("-inf"), float("nan"),
    1j, -1j, complex(-0.0, 0.0), complex(0.0, -0.0), complex(float("inf"), float("-inf")), complex(1, float("nan")),
    "", "'", '"', "'\"", "it's", 'say "hi"', "\\", "\\'", "a\nb\rc\td\x00e\x1f\x7f", "\u00e9\u20ac\U0001f600",
    "\ud800", "\udfff\ud800", "\u2028\x85\xa0\u00ad\ufeff", "\\x41", "x" * 100000, "'" * 1000 + "\\",
    b"", b"\x00", b"\xff" * 7, bytearray(), bytearray(b"ab"), memoryview(b"view"),
    (), (1,), ((),), [], [[]], {}, {"b": 1, "a": 2}, {2: "x", 1: "y", "k": 3}, {(1, None): 1.5, 1j: b"x"},
    dict([(1, "int"), (True, "bool")]), set(), frozenset(), {3, 1, 2}, frozenset({"b", "a"}), set([1, 1.0, True]),
    {None: 1}, {frozenset(): 1}, {b"key": 1}, {"nan": float("nan")}, [float("nan")],
    [1, "mixed", (2.5, [3j, {"d": {4}}]), None], ((), "small", (42, "a short string", [1, 2, 3]), {}),
]


@pytest.mark.parametrize("value", EDGE_VALUES, ids=lambda value: repr(value)[:30])
def test_edge_values(serpent_twin, value):
    expected = assert_dumps_like_serpent(serpent_twin, value)
    if expected[0] == "value":
        assert_loads_like_serpent(serpent_twin, serpent.dumps(value, module_in_classname=True))


def test_int_digit_limit_gives_serpents_error(serpent_twin):
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("Python before 3.11 has no limit on int digits")
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        huge = 10 ** (limit + 10)
        text = HEADER + str(huge).encode()
    finally:
        sys.set_int_max_str_digits(limit)
    assert assert_dumps_like_serpent(serpent_twin, huge)[0] == "error"
    assert assert_loads_like_serpent(serpent_twin, text)[0] == "error"


# bodies after the header: serpent's own forms, Python literal syntax serpent never writes, and garbage
EDGE_BODIES = [
    b" 1", b"1 ", b"1\n", b"\n1", b"(1)", b"((1,2))", b"(1+2j)", b"(1)+2j", b"1+2", b"2j+1", b"1+2j+3j", b"-1-0.0j",
    b"-(1)", b"- 1", b"--1", b"+1", b"True+1j", b"[1,]", b"(1,)", b"{1,}", b"{1:2,}", b"[,]", b"(,)", b"{,}",
    b"{1:2,3}", b"{1,2:3}", b"{[1]:2}", b"{[1]}", b"{1:2,1:3}", b"{1,1.0,True}", b"00", b"01", b"0.5e", b"1e5",
    b"1E5", b"1J", b"1_0", b"0x10", b"...", b"Ellipsis", b"'a' 'b'", b"'''a'''", b"''", b"b'x'", b"r'\\d'",
    b"'\\d'", b"'\\\n'", b"'\\0'", b"'\\x'", b"'\\x4g'", b"'\\U00110000'", b"'\\ud83d\\ude00'", b"'\\N{EM DASH}'",
    b"'a\nb'", b"'a\tb'", b"'\x00'", b"\x00", b"'\xff'", b"'\xed\xa0\x80'", b"'\xc3\xa9'", b"'abc", b"'abc\\'",
    b"[1, 2 , 3]", b"[1,\n2]", b"[1] [2]", b"1 # note", b"{'data': 'YWJj', 'encoding': 'base64'}", b"1e30000",
    b"-1e30000", b"(1e30000-1e30000j)", b"Nonex", b"True.x", b"None,", b"",
]
EDGE_DOCUMENTS = [
    b"", b"1", HEADER[:-1], b"# serpent utf-8 python2.6\n'x'", HEADER.replace(b"3.2", b"3.3") + b"1",
    b"\xef\xbb\xbf" + HEADER + b"1",
] + [HEADER + body for body in EDGE_BODIES]


@pytest.mark.parametrize("data", EDGE_DOCUMENTS, ids=lambda data: repr(data[len(HEADER):])[:30])
def test_edge_documents(serpent_twin, data):
    assert_loads_like_serpent(serpent_twin, data)


def test_truncated_documents(serpent_twin):
    value = {"k": [1, -2.5, (3j, "it's \u00e9"), {4, 5}], "b": b"\x00\x01", "t": (None, True, False)}
    data = serpent.dumps(value, module_in_classname=True)
    for end in range(len(data) + 1):
        assert_loads_like_serpent(serpent_twin, data[:end])


def test_buffer_inputs(serpent_twin):
    data = serpent.dumps([1, "two", (3.0,)], module_in_classname=True)
    padded = data + b" " * (-len(data) % 4)  # a length divisible by 4, so that it can be viewed as C ints
    for candidate in (data, bytearray(data), memoryview(data), memoryview(b"xx" + data)[2:],
                      memoryview(padded).cast("i"), memoryview(data + data)[::2], data.decode("utf-8"), 42, None):
        assert_loads_like_serpent(serpent_twin, candidate)


@pytest.mark.parametrize("opener, closer", [("[", "]"), ("(", ",)"), ("{1:", "}"), ("[(", ",)]")])
def test_deep_documents_do_not_crash(serpent_twin, opener, closer):
    for depth in (60, 64, 65, 66, 90, 100, 201, 100000):
        assert_loads_like_serpent(serpent_twin, HEADER + (opener * depth + "1" + closer * depth).encode())


def test_deep_values_do_not_crash(serpent_twin):
    for depth in (63, 64, 65, 66, 200, 201, 100000):
        nested = []
        for _ in range(depth):
            nested = [nested]
        assert_dumps_like_serpent(serpent_twin, nested)


def test_cycles_give_serpents_error(serpent_twin):
    cyclic = [1]
    cyclic.append(cyclic)
    looped = {"self": None}
    looped["self"] = looped
    assert assert_dumps_like_serpent(serpent_twin, cyclic)[0] == "error"
    assert assert_dumps_like_serpent(serpent_twin, looped)[0] == "error"


def test_shared_references_are_written_each_time(serpent_twin):
    shared = [1, {"a": 2}]
    assert_dumps_like_serpent(serpent_twin, [shared, shared, (shared,)])


def test_large_bytes_round_trip(serpent_twin):
    payload = bytes(range(256)) * 40960 + b"\x01\x02"  # 10 MiB and a partial base64 group
    data = serpent_twin.dumps(payload, True)
    assert data == serpent.dumps(payload, module_in_classname=True)
    decoded = serpent_twin.loads(data)
    assert decoded == serpent.loads(data)
    assert serpent.tobytes(decoded) == payload


def test_module_in_classname_goes_to_serpent_for_classes(serpent_twin):
    value = [Unregistered(1), decimal.Decimal("2")]
    assert serpent_twin.dumps(value, True) == serpent.dumps(value, module_in_classname=True)
    assert serpent_twin.dumps(value, False) == serpent.dumps(value, module_in_classname=False)
    assert serpent_twin.dumps(value) == serpent.dumps(value)


# ---- the writer's safety switches ---------------------------------------------------------------


@pytest.fixture
def counted_serpent_dumps(monkeypatch):
    calls = []
    real = serpent.dumps

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(serpent, "dumps", counting)
    return calls


def test_plain_values_are_written_without_serpent(serpent_twin, counted_serpent_dumps):
    value = ((), "small", (42, "a short string", [1, 2, 3]), {})
    assert serpent_twin.dumps(value, True) == HEADER + b"((),'small',(42,'a short string',[1,2,3]),{})"
    assert counted_serpent_dumps == []


@pytest.mark.parametrize("claimed", [int, str, dict, object])
def test_converter_for_a_builtin_type_sends_everything_to_serpent(serpent_twin, counted_serpent_dumps, claimed):
    serpent.register_class(claimed, lambda obj, serializer, stream, level: stream.append("claimed"))
    try:
        value = [1, "two", {"three": 3}]
        assert serpent_twin.dumps(value, True) == serpent.dumps(value, module_in_classname=True)
        assert len(counted_serpent_dumps) == 2
    finally:
        serpent.unregister_class(claimed)


@pytest.fixture
def restore_self_check(serpent_twin):
    yield
    serpent_twin.check_encoder()


def test_self_check_turns_the_writer_off_when_serpent_writes_differently(serpent_twin, monkeypatch,
                                                                         restore_self_check):
    real = serpent.dumps

    def spaced(obj, indent=False, module_in_classname=False, bytes_repr=False):
        return real(obj, indent, module_in_classname, bytes_repr).replace(b",", b", ")

    monkeypatch.setattr(serpent, "dumps", spaced)
    assert serpent_twin.check_encoder() is False
    value = (1, [2, 3], {"a": 4})
    assert serpent_twin.dumps(value, True) == HEADER + b"(1, [2, 3], {'a':4})"
    monkeypatch.undo()
    assert serpent_twin.check_encoder() is True
    assert serpent_twin.dumps(value, True) == HEADER + b"(1,[2,3],{'a':4})"


def test_self_check_turns_the_writer_off_without_serpents_registry(serpent_twin, monkeypatch, restore_self_check):
    # a serpent whose converters the writer can't see: only its dumps and loads are there
    monkeypatch.setattr(serpent_twin, "serpent", types.SimpleNamespace(dumps=serpent.dumps, loads=serpent.loads))
    assert serpent_twin.check_encoder() is False
    assert serpent_twin.dumps([1], True) == HEADER + b"[1]"


def test_self_check_sample_is_written_by_the_writer(serpent_twin):
    sample = serpent_twin._self_check_sample()
    assert serpent_twin._encode_plain(sample) == serpent.dumps(sample)
    assert serpent_twin.check_encoder() is True


def test_both_twins_check_themselves_on_one_sample(compiled):
    from Pyro4 import _serpent_common, _serpent_py

    assert compiled._self_check_sample is _serpent_common.self_check_sample
    assert _serpent_py._self_check_sample is _serpent_common.self_check_sample


# longer than the generated values: the pure writer formats long runs of scalars in bulk
LONG_CONTAINERS = [
    list(range(-50, 50)), tuple("abcdefghijklmnopqrstuvwxyz"), set(range(40)), frozenset(range(100, 120)),
    [None, True, False, "it's", 'say "hi"', "\xe9\n", 2 ** 70] * 5, list(range(20)) + [1.5], [0] * 20 + [b"b"],
    list(range(20)) + [float("inf")], tuple(range(20)) + ((),), {str(i): i for i in range(30)}, [[1]] * 20,
]


@pytest.mark.parametrize("value", LONG_CONTAINERS, ids=lambda value: repr(value)[:30])
def test_writer_does_long_containers_itself(serpent_twin, value):
    assert serpent_twin._encode_plain(value) == serpent.dumps(value)
    assert serpent_twin._encode_plain([value, (value,)]) == serpent.dumps([value, (value,)])


@pytest.mark.parametrize("value", [
    [1, decimal.Decimal(1)], [0] * 20 + [decimal.Decimal(1)], set(range(20)) | {frozenset()}, {None: 1},
    {frozenset(): 1}, {1, frozenset()}, float("nan"), [0.5, float("nan")], complex(1.0, float("nan")),
    (TextSubclass("sub"),), [IntSubclass(1)], {"k": memoryview(b"m")}, [True] * 20 + [IntSubclass(1)],
], ids=lambda value: repr(value)[:30])
def test_writer_leaves_unknown_values_alone(serpent_twin, value):
    assert serpent_twin._encode_plain(value) is None


def test_writer_leaves_deep_and_cyclic_values_alone(serpent_twin):
    nested = [1]
    for _ in range(63):
        nested = [nested]
    assert serpent_twin._encode_plain(nested) == serpent.dumps(nested)
    assert serpent_twin._encode_plain([nested]) is None
    key = ()
    for _ in range(63):
        key = (key,)
    assert serpent_twin._encode_plain(key) == serpent.dumps(key)
    assert serpent_twin._encode_plain({key: 1}) is None  # a key is nested in its dict too
    cyclic = [1]
    cyclic.append(cyclic)
    assert serpent_twin._encode_plain(cyclic) is None


# Python literals serpent never writes, and near misses of what it does write
UNPARSED_BODIES = [b"b'x'", b" 1", b"1 ", b"[1,\n2]", b"(1,2)[0]", b"1+2", b"--1", b"'\\d'", b"01", b"'''a'''",
                   b"'a' 'b'", b"Nonex", b"1_0", b"[" * 65 + b"]" * 65, b""]


@pytest.mark.parametrize("body", UNPARSED_BODIES, ids=lambda body: repr(body)[:30])
def test_parser_leaves_unknown_input_alone(serpent_twin, body):
    with pytest.raises(serpent_twin._Unsupported):
        serpent_twin._parse_plain(HEADER + body)


def test_parser_reads_serpents_particular_forms(serpent_twin):
    assert math.isinf(serpent_twin._parse_plain(HEADER + b"1e30000"))
    assert serpent_twin._parse_plain(HEADER + b"[(1.5-2j),-2j,(-0+1e-05j)]") == [1.5 - 2j, -2j, 1e-05j]
    escaped = "{'a': 'it\\'s \\u20ac\u00e9\\n', 2: {1,}}".encode("utf-8")
    assert serpent_twin._parse_plain(HEADER + escaped) == {"a": "it's \u20ac\u00e9\n", 2: {1}}
    assert serpent_twin._parse_plain(HEADER + b"[" * 64 + b"]" * 64) == serpent.loads(HEADER + b"[" * 64 + b"]" * 64)


def test_speedups_selects_the_serpent_twin_with_the_others():
    expected = "Pyro4._serpent" if Pyro4._speedups.ACTIVE == "cython" else "Pyro4._serpent_py"
    assert Pyro4._speedups.serpent_impl.__name__ == expected
