"""message_hmac in both message twins: known answers (RFC 2202 and the hmac module), the padding
boundaries of SHA-1, key and value types, the key cache, and the compiled twin against the pure one."""
import array
import hashlib
import hmac
import json
import os
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import Pyro4.message
from Pyro4 import _message_py as pure

VECTOR_DIR = os.environ.get("PYRO4_SPEC_VECTORS", "/work/shared/spec/vectors")
EXAMPLES = settings(max_examples=200, deadline=None)
MIB = 1024 * 1024

# RFC 2202 section 3: (key, data, HMAC-SHA1)
RFC2202 = [
    (b"\x0b" * 20, b"Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
    (b"Jefe", b"what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    (b"\xaa" * 20, b"\xdd" * 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    (bytes(range(1, 26)), b"\xcd" * 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
    (b"\x0c" * 20, b"Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
    (b"\xaa" * 80, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    (b"\xaa" * 80, b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
]
KEY_SIZES = [0, 1, 63, 64, 65, 200]


def reference(key, data, annotations=None):
    """What the hmac module computes over the same bytes, joined."""
    key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    values = [bytes(value) for name, value in sorted((annotations or {}).items()) if name != "HMAC"]
    return hmac.new(key, bytes(data) + b"".join(values), hashlib.sha1).digest()


def some_bytes(size, seed):
    """size bytes that look random, the same on every run and Python version."""
    return hashlib.shake_128(b"seed %d" % seed).digest(size)


def outcome(function, *args):
    """What a call did: ("ok", result) or ("error", exception type, message)."""
    try:
        return ("ok", function(*args))
    except Exception as exc:  # the point is to compare any failure
        return ("error", type(exc), str(exc))


if os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") in ("", "0"):
    from Pyro4 import _message as _compiled  # no fallback: a missing compiled twin must fail loudly

    TWINS = [_compiled, pure]
else:  # the nocython env: the pure twin alone, still against hashlib and the hmac module
    TWINS = [pure]


def both_twins(*args):
    """The outcome of message_hmac on both twins (where built), which must be the same."""
    results = [outcome(twin.message_hmac, *args) for twin in TWINS]
    assert all(result == results[0] for result in results), args
    return results[0]


def hashlib_verdict(value):
    """What hashlib says about hashing value: ("ok",) or the error as in outcome()."""
    result = outcome(hashlib.sha1().update, value)
    return result[:1] if result[0] == "ok" else result


# ---- known answers ------------------------------------------------------------------------------

@pytest.mark.parametrize("key, data, digest", RFC2202)
def test_rfc2202(message_twin, key, data, digest):
    assert message_twin.message_hmac(key, data, None).hex() == digest
    assert hmac.new(key, data, hashlib.sha1).hexdigest() == digest


@pytest.mark.parametrize("key_size", KEY_SIZES)
def test_empty_data(message_twin, key_size):
    key = some_bytes(key_size, key_size)
    assert message_twin.message_hmac(key, b"", None) == hmac.new(key, b"", hashlib.sha1).digest()
    assert message_twin.message_hmac(key, b"", {}) == hmac.new(key, b"", hashlib.sha1).digest()


@pytest.mark.parametrize("key_size", KEY_SIZES)
def test_data_lengths_around_the_padding(message_twin, key_size):
    # 55/56 bytes decide whether the length fits the last block, 64 is a whole block
    key = some_bytes(key_size, key_size + 1)
    for size in range(201):
        data = some_bytes(size, size)
        assert message_twin.message_hmac(key, data, None) == hmac.new(key, data, hashlib.sha1).digest(), size


@pytest.mark.parametrize("value_size", [1, 8, 55, 56, 63, 64, 65, 130])
def test_parts_across_block_boundaries(message_twin, value_size):
    # data and values end anywhere inside a block, so the parts are streamed across blocks
    annotations = {"XTRA": some_bytes(value_size, 1), "CORR": some_bytes(16, 2)}
    for size in range(130):
        data = some_bytes(size, size)
        assert message_twin.message_hmac(b"key", data, annotations) == reference(b"key", data, annotations)


def test_data_of_10_mib(message_twin):
    data = some_bytes(10 * MIB, 10)
    expected = hmac.new(b"secret", data, hashlib.sha1).digest()
    assert message_twin.message_hmac(b"secret", data, None) == expected
    assert message_twin.message_hmac(b"secret", bytearray(data), None) == expected
    assert message_twin.message_hmac(b"secret", memoryview(data), {"CORR": data[:16]}) == \
        reference(b"secret", data, {"CORR": data[:16]})


def test_large_parts_in_threads(message_twin):
    # large parts are hashed without the GIL: threads doing so at once must not disturb each other
    datas = [some_bytes(2 * MIB, seed) for seed in range(4)]
    results = {}

    def work(index):
        results[index] = message_twin.message_hmac(b"k%d" % index, datas[index], {"XTRA": datas[index][:60000]})

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(datas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert results == {index: reference(b"k%d" % index, data, {"XTRA": data[:60000]})
                       for index, data in enumerate(datas)}


# ---- what is hashed: annotations ----------------------------------------------------------------

def test_annotations_in_key_order_without_hmac(message_twin):
    annotations = {"ZZZZ": b"last", "HMAC": b"an old digest", "CORR": b"c" * 16, "AAAA": b"first"}
    expected = hmac.new(b"key", b"data" + b"first" + b"c" * 16 + b"last", hashlib.sha1).digest()
    assert message_twin.message_hmac(b"key", b"data", annotations) == expected


def test_hmac_entry_is_never_read(message_twin):
    expected = hmac.new(b"key", b"data", hashlib.sha1).digest()
    assert message_twin.message_hmac(b"key", b"data", {"HMAC": None}) == expected
    assert message_twin.message_hmac(b"key", b"data", {"HMAC": "text", "XTRA": b""}) == expected


@pytest.mark.parametrize("count", [2, 3, 8, 9, 20])
def test_many_annotations_in_key_order(message_twin, count):
    names = ["K%03d" % number for number in range(count)] + ["\u00e9t\u00e9", "z", "\U0001f511", "Z", ""]
    random.Random(count).shuffle(names)
    annotations = {name: some_bytes(number * 7, number) for number, name in enumerate(names)}
    annotations["HMAC"] = b"ignored"
    assert message_twin.message_hmac(b"key", b"data", annotations) == reference(b"key", b"data", annotations)


@pytest.mark.parametrize("large", [8191, 8192, 70000])
def test_large_annotation_value(message_twin, large):
    annotations = {"XTRA": some_bytes(large, 3), "CORR": b"c" * 16}
    assert message_twin.message_hmac(b"key", b"data", annotations) == reference(b"key", b"data", annotations)


def test_one_annotation(message_twin):
    assert message_twin.message_hmac(b"key", b"data", {"CORR": b"c" * 16}) == \
        hmac.new(b"key", b"data" + b"c" * 16, hashlib.sha1).digest()


def test_no_annotations(message_twin):
    expected = hmac.new(b"key", b"data", hashlib.sha1).digest()
    assert message_twin.message_hmac(b"key", b"data", None) == expected
    assert message_twin.message_hmac(b"key", b"data", {}) == expected


def test_bytes_like_data_and_values(message_twin):
    annotations = {"XTRA": bytearray(b"extra"), "CORR": memoryview(b"c" * 16), "BLBI": array.array("i", [1, 2])}
    expected = reference(b"key", b"payload", annotations)
    for data in (b"payload", bytearray(b"payload"), memoryview(b"xpayloadx")[1:-1]):
        assert message_twin.message_hmac(b"key", data, annotations) == expected


def test_dict_subclass_annotations(message_twin):
    class Annotations(dict):
        pass

    annotations = Annotations(XTRA=b"x")
    assert message_twin.message_hmac(b"key", b"data", annotations) == reference(b"key", b"data", annotations)


# ---- keys ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["secret", "s\u00e9cret \u043a\u043b\u044e\u0447 \U0001f511", ""])
def test_str_key_is_its_utf8_bytes(message_twin, key):
    expected = hmac.new(key.encode("utf-8"), b"data", hashlib.sha1).digest()
    assert message_twin.message_hmac(key, b"data", None) == expected
    assert message_twin.message_hmac(key.encode("utf-8"), b"data", None) == expected


@pytest.mark.parametrize("key_size", KEY_SIZES)
def test_bytearray_and_memoryview_keys(message_twin, key_size):
    key = some_bytes(key_size, 7)
    expected = hmac.new(key, b"data", hashlib.sha1).digest()
    assert message_twin.message_hmac(bytearray(key), b"data", None) == expected
    assert message_twin.message_hmac(memoryview(key), b"data", None) == expected


def test_bytes_subclass_key(message_twin):
    class Key(bytes):
        pass

    assert message_twin.message_hmac(Key(b"key"), b"data", None) == hmac.new(b"key", b"data", hashlib.sha1).digest()


def test_empty_key_is_a_key(message_twin):
    assert message_twin.message_hmac(b"", b"data", None) == hmac.new(b"", b"data", hashlib.sha1).digest()


@pytest.mark.parametrize("key", [None, 42, 1.5, ["k"], object()])
def test_bad_key_type(message_twin, key):
    with pytest.raises(TypeError) as excinfo:
        message_twin.message_hmac(key, b"data", None)
    assert str(excinfo.value) == "hmac key must be bytes, not %s" % type(key).__name__


def test_key_cache_stays_bounded(message_twin):
    keys = [b"key %d" % number for number in range(100)] + [b"long key %d " % number * 10 for number in range(5)]
    for key in keys + keys[:10]:
        assert message_twin.message_hmac(key, b"data", {"CORR": b"c"}) == reference(key, b"data", {"CORR": b"c"})
        assert len(message_twin._pad_states) <= 32


# ---- odd input: the same outcome on both twins --------------------------------------------------

@pytest.mark.parametrize("value", ["text", None, 7, memoryview(b"abcdef")[::2], array.array("d", [1.5]),
                                   memoryview(b"abcdef").cast("B", (2, 3))])
def test_odd_data_as_hashlib_says(value):
    verdict = hashlib_verdict(value)
    expected = ("ok", reference(b"key", value)) if verdict == ("ok",) else verdict
    assert both_twins(b"key", value, None) == expected


@pytest.mark.parametrize("value", ["text", None, 7, memoryview(b"abcdef")[::2]])
def test_odd_annotation_value_as_hashlib_says(value):
    assert both_twins(b"key", b"data", {"XTRA": value, "CORR": b"c"}) == hashlib_verdict(value)
    assert both_twins(b"key", b"data", {"XTRA": value}) == hashlib_verdict(value)


def test_odd_value_after_good_ones():
    result = both_twins(b"key", b"data" * 40, {"AAAA": b"a" * 70, "BBBB": "text", "CCCC": b"c"})
    assert result == hashlib_verdict("text")
    assert result[0] == "error"


def test_unsortable_annotation_keys():
    result = both_twins(b"key", b"data", {1: b"one", "CORR": b"c"})
    assert result[0] == "error" and result[1] is TypeError


def test_annotations_without_items():
    result = both_twins(b"key", b"data", [("CORR", b"c")])
    assert result[0] == "error" and result[1] is AttributeError


# ---- against Pyro4.message and the wire vectors -------------------------------------------------

@pytest.mark.parametrize("key", [b"secret", "s\u00e9cret", b"k" * 100])
def test_same_as_message_hmac(message_twin, key):
    annotations = {"XTRA": b"extra", "CORR": b"c" * 16}
    msg = Pyro4.message.Message(Pyro4.message.MSG_INVOKE, b"payload" * 20, 1, 0, 7, annotations, hmac_key=key)
    assert msg.hmac() == message_twin.message_hmac(key, b"payload" * 20, annotations)
    assert msg.annotations["HMAC"] == message_twin.message_hmac(key, msg.data, msg.annotations)


@pytest.mark.parametrize("size", [16383, 16384, 300000])
def test_message_hmac_of_small_and_large_payloads(size):
    # the compiled twin hands payloads from 16 KiB (its HASHLIB_FROM) to hashlib: the digest must not change there
    data = some_bytes(size, size)
    msg = Pyro4.message.Message(Pyro4.message.MSG_RESULT, data, 4, 0, 1, {"CORR": b"c" * 16}, hmac_key=b"key")
    assert msg.annotations["HMAC"] == reference(b"key", data, {"CORR": b"c" * 16})


@pytest.mark.parametrize("name", ["hmac_serpent", "hmac_annotations_serpent"])
def test_wire_vectors(message_twin, name):
    with open(os.path.join(VECTOR_DIR, name + ".json")) as file:
        vector = json.load(file)
    key = vector["config"]["hmac_key"]
    for message in vector["messages"]:
        annotations = {item["key"]: bytes.fromhex(item["value_hex"]) for item in message["annotations"]}
        digest = message_twin.message_hmac(key, bytes.fromhex(message["data_hex"]), annotations)
        assert digest == annotations["HMAC"]


# ---- hypothesis: both twins and the hmac module -------------------------------------------------

def byte_strings(min_size=0, max_size=None):
    # not st.binary: hypothesis keys its example cache by the drawn choices, and a b"" drawn where
    # another example drew 0 compares bytes with int there, a BytesWarning error under python -bb
    return st.lists(st.integers(0, 255), min_size=min_size, max_size=max_size).map(bytes)


keys = st.one_of(byte_strings(max_size=150), st.text(max_size=80), byte_strings(max_size=100).map(bytearray))
datas = st.one_of(byte_strings(max_size=300), byte_strings(max_size=300).map(bytearray),
                  byte_strings(max_size=300).map(memoryview))
annotation_names = st.one_of(st.sampled_from(["CORR", "HMAC", "XTRA", "BLBI"]),
                             st.text(alphabet=st.characters(max_codepoint=127), min_size=4, max_size=4),
                             st.text(max_size=5))
annotation_values = st.one_of(byte_strings(max_size=140), byte_strings(max_size=60).map(bytearray))
annotation_sets = st.dictionaries(annotation_names, annotation_values, max_size=10)


@EXAMPLES
@given(keys, datas, annotation_sets)
def test_random_messages(key, data, annotations):
    assert both_twins(key, data, annotations) == ("ok", reference(key, data, annotations))


odd_keys = st.one_of(keys, st.none(), st.integers(), st.floats(allow_nan=False))
odd_values = st.one_of(byte_strings(max_size=80), st.text(max_size=5), st.none(), st.integers(),
                       byte_strings(min_size=2, max_size=20).map(lambda data: memoryview(data)[::2]))
odd_annotations = st.one_of(st.none(), st.dictionaries(annotation_names, odd_values, max_size=4))


@EXAMPLES
@given(odd_keys, odd_values, odd_annotations)
def test_random_odd_input(key, data, annotations):
    result = both_twins(key, data, annotations)
    assert result[0] == "error" or len(result[1]) == 20
