"""Differential tests: the compiled and the pure message twin on the same input, malformed input
included, give the same value or the same (exception type, message); what one encodes the other
decodes."""
import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from Pyro4 import _message_py as pure

if os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") not in ("", "0"):
    pytest.skip("package was built without the compiled extensions (nocython env)", allow_module_level=True)
from Pyro4 import _message as compiled  # noqa: E402 - no fallback: a missing compiled twin must fail loudly

TWINS = [compiled, pure]
EXAMPLES = settings(max_examples=200, deadline=None)

uint16 = st.integers(0, 0xFFFF)
any_int = st.one_of(uint16, st.integers(-(2 ** 70), 2 ** 70), st.sampled_from([-1, 0x10000, 0x7FFFFFFF, 2 ** 31]))
field_value = st.one_of(any_int, st.booleans(), st.floats(allow_nan=False), st.none(), st.text(max_size=3))
annotation_key = st.one_of(st.text(max_size=6), st.sampled_from(["CORR", "HMAC", "XTRA", "k\u00e9yy", "\u0101bcd"]),
                           st.binary(max_size=5), st.integers())
annotation_value = st.one_of(st.binary(max_size=40), st.binary(max_size=40).map(bytearray),
                             st.binary(max_size=40).map(memoryview), st.text(max_size=3), st.none())
valid_annotations = st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), min_size=4, max_size=4),
                                    st.binary(max_size=300), max_size=5)


def outcome(function, *args):
    """What a call did: ("ok", result) or ("error", exception type, message)."""
    try:
        return ("ok", function(*args))
    except Exception as exc:  # the point is to compare any failure
        return ("error", type(exc), str(exc))


def same_on_both(name, *args):
    results = [outcome(getattr(twin, name), *args) for twin in TWINS]
    assert results[0] == results[1], (name, args)
    return results[0]


def valid_header(fields):
    msg_type, flags, seq, data_size, serializer_id, ann_size = fields
    return pure.encode_header(48, msg_type, flags, seq, data_size, serializer_id, ann_size)


header_fields = st.tuples(uint16, uint16, uint16, st.integers(0, 0x7FFFFFFF), uint16, uint16)


@EXAMPLES
@given(st.binary(min_size=0, max_size=30), st.sampled_from([48, 47, 0, 65535]))
def test_parse_random_headers(data, version):
    same_on_both("parse_header", data, version)


@EXAMPLES
@given(header_fields, st.integers(0, 23), st.integers(0, 255), st.sampled_from([48, 47]))
def test_parse_mutated_headers(fields, position, byte, version):
    header = bytearray(valid_header(fields))
    header[position] = byte
    result = same_on_both("parse_header", bytes(header), version)
    if header[4:6] == b"\x00\x30" and header[:4] == b"PYRO" and version == 48 and result[0] == "ok":
        assert result[1][0] == struct.unpack("!H", header[6:8])[0]


@EXAMPLES
@given(header_fields)
def test_parse_valid_headers_roundtrip(fields):
    assert same_on_both("parse_header", valid_header(fields), 48) == ("ok", fields)


@EXAMPLES
@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.binary(max_size=30).map(bytearray),
                 st.binary(max_size=30).map(memoryview), st.lists(st.integers(0, 255), max_size=24)))
def test_parse_header_odd_types(value):
    same_on_both("parse_header", value, 48)


@EXAMPLES
@given(field_value, field_value, field_value, field_value, field_value, field_value, field_value)
def test_encode_header_any_fields(version, msg_type, flags, seq, data_size, serializer_id, ann_size):
    same_on_both("encode_header", version, msg_type, flags, seq, data_size, serializer_id, ann_size)


@EXAMPLES
@given(any_int, any_int, any_int, any_int, any_int, any_int, any_int)
def test_encode_header_ints(version, msg_type, flags, seq, data_size, serializer_id, ann_size):
    same_on_both("encode_header", version, msg_type, flags, seq, data_size, serializer_id, ann_size)


@EXAMPLES
@given(st.lists(any_int, min_size=7, max_size=7))
def test_checksum(fields):
    same_on_both("checksum", *fields)


@EXAMPLES
@given(st.dictionaries(annotation_key, annotation_value, max_size=4))
def test_encode_any_annotations(annotations):
    same_on_both("encode_annotations", annotations)
    if all(isinstance(value, (bytes, bytearray)) for value in annotations.values()):
        same_on_both("annotations_size", annotations)


@EXAMPLES
@given(valid_annotations)
def test_annotations_roundtrip_across_twins(annotations):
    for encoder in TWINS:
        block = encoder.encode_annotations(annotations)
        assert encoder.annotations_size(annotations) == len(block)
        for decoder in TWINS:
            assert decoder.parse_annotations(block) == annotations


@EXAMPLES
@given(st.binary(max_size=60))
def test_parse_random_annotation_blocks(block):
    same_on_both("parse_annotations", block)


@EXAMPLES
@given(valid_annotations, st.integers(0, 400), st.integers(0, 255))
def test_parse_mutated_annotation_blocks(annotations, position, byte):
    block = bytearray(pure.encode_annotations(annotations))
    if block:
        block[position % len(block)] = byte
    same_on_both("parse_annotations", bytes(block))
    same_on_both("parse_annotations", bytes(block[:position % (len(block) + 1)]))


@EXAMPLES
@given(header_fields, valid_annotations, st.binary(max_size=500), st.integers(0, 0x7FFFFFFF))
def test_encode_message_roundtrip_across_twins(fields, annotations, data, data_size):
    msg_type, flags, seq, _, serializer_id, _ = fields
    result = same_on_both("encode_message", 48, msg_type, flags, seq, serializer_id, data_size, annotations, data)
    if result[0] == "error":
        assert result[1] is struct.error  # only an annotation block beyond 65535 bytes can fail here
        return
    frame = result[1]
    for decoder in TWINS:
        header = decoder.parse_header(frame[:24], 48)
        assert header[:3] == (msg_type, flags, seq) and header[3:5] == (data_size, serializer_id)
        assert decoder.parse_annotations(frame[24:24 + header[5]]) == annotations
        assert frame[24 + header[5]:] == data


@EXAMPLES
@given(field_value, field_value, field_value, field_value, field_value, field_value,
       st.dictionaries(annotation_key, annotation_value, max_size=3),
       st.one_of(st.binary(max_size=20), st.text(max_size=3), st.none(), st.binary(max_size=20).map(bytearray)))
def test_encode_message_any_input(version, msg_type, flags, seq, serializer_id, data_size, annotations, data):
    same_on_both("encode_message", version, msg_type, flags, seq, serializer_id, data_size, annotations, data)


def test_encode_message_is_header_plus_block_plus_data():
    annotations = {"CORR": b"0123456789abcdef", "XTRA": bytearray(b"x")}
    for twin in TWINS:
        block = twin.encode_annotations(annotations)
        header = twin.encode_header(48, 4, 0, 7, 3, 1, len(block))
        assert twin.encode_message(48, 4, 0, 7, 1, 3, annotations, b"abc") == header + block + b"abc"


def test_reserved_keys_decode_equal():
    for twin in TWINS:
        parsed = twin.parse_annotations(b"CORR\x00\x00HMAC\x00\x00STRM\x00\x00BLBI\x00\x00")
        assert list(parsed) == ["CORR", "HMAC", "STRM", "BLBI"]
        assert all(type(key) is str for key in parsed)


# ---- encode_plain: the whole message, or the frame and the large payload apart ---------------------

@pytest.mark.parametrize("size", [0, 120, pure._protocol.JOIN_LIMIT - 1, pure._protocol.JOIN_LIMIT, 200000])
@pytest.mark.parametrize("annotations", [{}, {"CORR": b"c" * 16}, {"CORR": b"c" * 16, "XTRA": b"x" * 70}])
def test_encode_plain_is_encode_message_split_at_the_join_limit(size, annotations):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    whole = pure.encode_message(48, 5, 0, 9, 3, size, annotations, data)
    result = same_on_both("encode_plain", 48, 5, data, 3, 0, 9, annotations, 0)
    if size < pure._protocol.JOIN_LIMIT:
        assert result == ("ok", (whole, None))
    else:
        frame, payload = result[1]
        assert payload is data and frame + payload == whole


@pytest.mark.parametrize("max_size", [-1, 0, 1, 149, 150, 151, 10 ** 9])
def test_encode_plain_max_size(max_size):
    # 128 bytes of payload and one 22-byte chunk: 150 in all
    result = same_on_both("encode_plain", 48, 4, b"p" * 128, 1, 0, 1, {"CORR": b"c" * 16}, max_size)
    assert result[0] == ("error" if 0 < max_size < 150 else "ok")


@EXAMPLES
@given(data=st.binary(max_size=100), annotations=st.dictionaries(annotation_key, annotation_value, max_size=3),
       fields=st.tuples(any_int, any_int, any_int, any_int), max_size=st.one_of(any_int, st.none()))
def test_encode_plain_any_input(data, annotations, fields, max_size):
    msg_type, serializer_id, flags, seq = fields
    same_on_both("encode_plain", 48, msg_type, data, serializer_id, flags, seq, annotations, max_size)
