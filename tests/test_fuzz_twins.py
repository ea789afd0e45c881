"""Fuzzing the receive path of both message twins, whole messages at a time, and the safe
serializers' decoders with hostile documents.

test_message_differential.py compares the twins function by function; here complete frames
(valid, mutated, truncated, random) go through ``Message.recv`` once per twin, with HMAC keys,
expected types and MAX_MESSAGE_SIZE in play, and both twins must give the same message or the
same (exception type, message), and only a Pyro error. The checks live in tests/fuzz/wire_oracles.py,
shared with the atheris target and bench/soak.py.
"""

import json
import marshal
import os

import pytest
import serpent
from fuzz import wire_oracles as oracles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from Pyro4 import errors, message, util
from Pyro4.configuration import config

if os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") not in ("", "0"):
    pytest.skip("package was built without the compiled extensions (nocython env)", allow_module_level=True)

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_both_twins_are_compared():
    assert [twin.__name__ for twin in oracles.twins()] == ["Pyro4._message", "Pyro4._message_py"]


# --- message frames ------------------------------------------------------------------------------

uint16 = st.integers(0, 0xFFFF)
keys = st.sampled_from(["CORR", "XTRA", "STRM", "BLBI", "abcd", "\x7f\x00zz"])
annotations = st.dictionaries(keys, st.binary(max_size=70), max_size=4)
hmac_keys = st.sampled_from([None, b"secret", "s\u00e9cret", b"other"])
required_types = st.sampled_from(
    [None, [message.MSG_CONNECT], [message.MSG_INVOKE, message.MSG_PING], [message.MSG_RESULT]]
)
max_sizes = st.sampled_from([0, 0, 30, 200, 100000])


@st.composite
def valid_frames(draw):
    """(frame bytes, the hmac key it was signed with) for a well-formed message."""
    key = draw(hmac_keys)
    msg_type = draw(st.one_of(st.integers(1, 6), uint16))
    return oracles.frame_bytes(
        msg_type, draw(uint16), draw(uint16), draw(uint16), draw(st.binary(max_size=300)), draw(annotations), key
    ), key


@st.composite
def mutated(draw, frames):
    frame = bytearray(draw(frames)[0])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "append"]))
        position = draw(st.integers(0, max(0, len(frame) - 1)))
        if kind == "flip" and frame:
            frame[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del frame[position:]
        elif kind == "insert":
            frame[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            frame += draw(st.binary(min_size=1, max_size=40))
    return bytes(frame)


def header_prefixed(rest):
    return b"PYRO\x00\x30" + rest


@EXAMPLES
@given(
    st.one_of(st.binary(max_size=120), st.binary(max_size=60).map(header_prefixed)),
    required_types,
    hmac_keys,
    max_sizes,
)
def test_recv_random_bytes(frame, types, key, max_size):
    config.MAX_MESSAGE_SIZE = max_size
    oracles.check_recv_twins_agree(frame, types, key)


@EXAMPLES
@given(mutated(valid_frames()), required_types, hmac_keys, max_sizes)
def test_recv_mutated_frames(frame, types, key, max_size):
    config.MAX_MESSAGE_SIZE = max_size
    oracles.check_recv_twins_agree(frame, types, key)


@EXAMPLES
@given(valid_frames(), st.integers(0, 400))
def test_recv_truncated_frames_are_disconnects(signed, cut):
    frame, key = signed
    cut = min(cut, len(frame) - 1)
    outcome = oracles.check_recv_twins_agree(frame[:cut], None, key)
    assert outcome[:3] == ("error", errors.ConnectionClosedError, "receiving: not enough data")


@EXAMPLES
@given(valid_frames(), st.binary(max_size=30))
def test_recv_valid_frames_then_trailing_bytes(signed, trailing):
    frame, key = signed
    outcome = oracles.check_recv_twins_agree(frame + trailing, None, key)
    assert outcome[0] == "ok"
    assert outcome[-1] == len(frame)  # a message never reads into the next one


@EXAMPLES
@given(valid_frames(), hmac_keys)
def test_recv_hmac_outcomes(signed, receiver_key):
    frame, sender_key = signed
    outcome = oracles.check_recv_twins_agree(frame, None, receiver_key)
    if outcome[0] == "error":
        assert outcome[1] is errors.SecurityError
        assert outcome[2] in ("message hmac mismatch", "hmac key config not symmetric")
    else:
        assert _key_bytes(sender_key) == _key_bytes(receiver_key)


def _key_bytes(key):
    return key.encode("utf-8") if isinstance(key, str) else key


@EXAMPLES
@given(
    st.one_of(st.integers(1, 6), uint16, st.integers(-2, 2**17)),
    uint16,
    uint16,
    st.one_of(uint16, st.integers(-1, 2**17)),
    st.binary(max_size=100),
    st.dictionaries(st.one_of(keys, st.text(max_size=5)), st.binary(max_size=40), max_size=3),
    hmac_keys,
)
def test_encode_twins_agree_and_cross_decode(msg_type, flags, seq, serializer_id, data, chunks, key):
    outcomes = [
        oracles.encode_outcome(twin, msg_type, flags, seq, serializer_id, data, chunks, key) for twin in oracles.twins()
    ]
    assert outcomes[0] == outcomes[1]
    if outcomes[0][0] == "ok":
        received = oracles.check_recv_twins_agree(outcomes[0][1], None, key)
        assert received[0] == "ok" and received[1:4] == (msg_type, flags, seq) and received[8] == data


# each twin on its own, through the conftest fixture (which fails loudly if the compiled one is missing)

ONE_TWIN = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@ONE_TWIN
@given(frame=st.one_of(mutated(valid_frames()), st.binary(max_size=80)), key=hmac_keys)
def test_each_twin_raises_only_pyro_errors(message_twin, frame, key):
    outcome = oracles.recv_outcome(message_twin, frame, None, key)
    assert outcome[0] == "ok" or issubclass(outcome[1], oracles.RECV_ERRORS), outcome


@ONE_TWIN
@given(signed=valid_frames())
def test_each_twin_reads_what_the_other_wrote(message_twin, signed):
    frame, key = signed
    writer = [twin for twin in oracles.twins() if twin is not message_twin][0]
    header = writer.parse_header(frame[:24], 48)
    rewritten = writer.encode_message(
        48,
        header[0],
        header[1],
        header[2],
        header[4],
        header[3],
        writer.parse_annotations(frame[24 : 24 + header[5]]),
        frame[24 + header[5] :],
    )
    assert rewritten == frame
    outcome = oracles.recv_outcome(message_twin, rewritten, None, key)
    assert outcome[0] == "ok" and outcome[8] == frame[24 + header[5] :]


# --- safe serializers' decoders --------------------------------------------------------------------


class Canary(object):
    """A class a hostile payload names; decoding must never create one."""

    created = 0

    def __new__(cls, *args, **kwargs):
        Canary.created += 1
        return super(Canary, cls).__new__(cls)

    def __setstate__(self, state):
        Canary.created += 1


HOSTILE_CLASSES = [
    "os.system",
    "subprocess.Popen",
    "builtins.eval",
    "builtins.type",
    "builtins.object",
    "__main__.Thing",
    "__builtins__.exec",
    "test_fuzz_twins.Canary",
    "Canary",
    "Pyro4.core.URI",
    "Pyro4.core.Proxy",
    "Pyro4.core.Daemon",
    "Pyro4.core.SerializedBlob",
    "Pyro4.util.SerpentSerializer",
    "Pyro4.errors.NamingError",
    "Pyro4.errors.__class__",
    "Pyro4.futures._ExceptionWrapper",
    "Pyro4.naming.NameServer",
    "builtins.ValueError",
    "builtins.SystemExit",
    "sqlite3.Error",
    "sqlite3.Connection",
    "float",
    "collections.OrderedDict",
    "exceptions.KeyboardInterrupt",
    "",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.text(max_size=12)
)


@st.composite
def class_dicts(draw, children):
    document = {"__class__": draw(st.sampled_from(HOSTILE_CLASSES))}
    for field in draw(
        st.sets(
            st.sampled_from(["__exception__", "args", "attributes", "state", "value", "exception", "items"]), max_size=4
        )
    ):
        document[field] = draw(children)
    return document


documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
        class_dicts(children),
    ),
    max_leaves=12,
)


def raw_encodings(document):
    """The document encoded by each library directly, bypassing Pyro's own class_to_dict."""
    call = ["obj", "method", [document], {"k": document}]
    encoded = {
        "serpent": [serpent.dumps(document, module_in_classname=True), serpent.dumps(tuple(call))],
        "json": [
            json.dumps(document).encode("utf-8"),
            json.dumps({"object": "obj", "method": "m", "params": [document], "kwargs": {}}).encode(),
        ],
    }
    try:
        encoded["marshal"] = [marshal.dumps(document), marshal.dumps(tuple(call))]
    except ValueError:
        pass  # marshal cannot hold every float/int combination hypothesis makes
    if "msgpack" in oracles.available_safe_serializers():
        import msgpack

        encoded["msgpack"] = [msgpack.packb(document, use_bin_type=True), msgpack.packb(call, use_bin_type=True)]
    return encoded


@EXAMPLES
@given(documents)
def test_hostile_documents_build_nothing_arbitrary(document):
    Canary.created = 0
    for name, payloads in raw_encodings(document).items():
        for payload in payloads:
            oracles.decode_outcomes(name, payload)
            oracles.decode_outcomes(name, oracles.compressed(payload))
    assert Canary.created == 0


@EXAMPLES
@given(documents, st.integers(0, 10**6), st.binary(min_size=1, max_size=4))
def test_mutated_documents_fail_cleanly(document, position, replacement):
    for name, payloads in raw_encodings(document).items():
        for payload in payloads:
            cut = position % (len(payload) + 1)
            oracles.decode_outcomes(name, payload[:cut] + replacement + payload[cut + 1 :])
            oracles.decode_outcomes(name, payload[:cut])


@EXAMPLES
@given(st.sampled_from(oracles.available_safe_serializers()), st.binary(max_size=200))
def test_random_payloads_fail_cleanly(name, payload):
    oracles.decode_outcomes(name, payload)
    oracles.decode_outcomes(name, oracles.compressed(payload))


@pytest.mark.parametrize("name", oracles.available_safe_serializers())
@pytest.mark.parametrize("depth", [50, 5000])
def test_deep_nesting_fails_cleanly(name, depth):
    value = []
    for _ in range(min(depth, 50)):
        value = [value]
    payloads = {
        "serpent": b"# serpent utf-8 python3.2\n" + b"[" * depth + b"]" * depth,
        "json": b"[" * depth + b"]" * depth,
        "msgpack": b"\x91" * depth + b"\x90",
        "marshal": b"[\x01\x00\x00\x00" * depth + b"N",
    }
    results = oracles.decode_outcomes(name, payloads[name])
    assert len(results) == 4
    assert util.get_serializer(name).loads(util.get_serializer(name).dumps(value)) == value
