"""Receiving a whole small message in one step: the twins' take_message, SocketConnection's
_recv_small_message, and Message.recv using them. The one-step path must be invisible: for any input
(malformed included) both twins agree, and Message.recv gives the same message or the same error, and
leaves the same bytes unread, as the step-by-step reads."""
import importlib
import os
import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_socketutil_twins import _send_in_thread

import Pyro4
import Pyro4.constants
import Pyro4.errors
from Pyro4 import _message_py, _socketutil_py, message, socketutil
from Pyro4.message import Message

if os.environ.get("PYRO4_EXPECT_NO_EXTENSIONS", "") in ("", "0"):
    from Pyro4 import _message as _message_compiled

    TWINS = [_message_compiled, _message_py]
else:  # the nocython env: the pure twin alone, still against the step-by-step reads
    TWINS = [_message_py]

EXAMPLES = settings(max_examples=300, deadline=None)
VERSION = Pyro4.constants.PROTOCOL_VERSION


def frame(msg_type=5, data=b"result", seq=7, annotations=None, flags=0, serializer_id=3, hmac_key=None):
    return Message(msg_type, data, serializer_id, flags, seq, annotations, hmac_key).to_bytes()


def outcome(function, *args):
    try:
        return ("ok", function(*args))
    except Exception as exc:  # any failure is compared
        return ("error", type(exc), str(exc))


def take_on_both(*args):
    results = [outcome(twin.take_message, *args) for twin in TWINS]
    assert all(result == results[0] for result in results), args
    return results[0]


# ---- take_message: both twins, any input ------------------------------------------------------------

def test_take_whole_message_with_rest():
    data = frame(annotations={"CORR": b"c" * 16, "XTRA": b""}) + b"next"
    result = take_on_both(data, VERSION, 0, (5,))
    assert result == ("ok", (b"next", 5, 0, 7, 6, 3, 28, {"CORR": b"c" * 16, "XTRA": b""}, b"result"))


def test_take_agrees_with_the_step_functions():
    data = frame(msg_type=4, data=b"x" * 300, seq=65535, annotations={"CORR": b"0" * 16}, flags=64)
    for twin in TWINS:
        parts = twin.take_message(data, VERSION, 0, None)
        header = twin.parse_header(data[:24], VERSION)
        annotations, payload = twin.split_body(data[24:], header[5])
        assert parts == (b"",) + header + (annotations, payload)
        assert all(type(item) is bytes for item in (parts[0], parts[8], parts[7]["CORR"]))


@pytest.mark.parametrize("cut", [0, 1, 23, 24, 30, 45])
def test_take_partial_message_is_none(cut):
    assert take_on_both(frame(annotations={"CORR": b"c" * 16})[:cut], VERSION, 0, None) == ("ok", None)


@pytest.mark.parametrize("max_size, taken", [(0, True), (-1, True), (6, True), (5, False), (1.0e9, False),
                                             (True, False), (None, False), ("10", False)])
def test_take_max_size(max_size, taken):
    result = take_on_both(frame(), VERSION, max_size, None)
    assert (result[0] == "ok") and ((result[1] is not None) == taken)


class Unequal(object):
    def __eq__(self, other):
        raise RuntimeError("cannot compare")

    __hash__ = object.__hash__


@pytest.mark.parametrize("required, taken", [(None, True), ((5,), True), ([4, 5], True), ({5}, True),
                                             (frozenset([5]), True), ((), True), ([], True), ((4,), False),
                                             ([6], False), ("5", False), (range(10), False), (5, False),
                                             ((Unequal(),), False), ({5: 1}, False)])
def test_take_required_types(required, taken):
    result = take_on_both(frame(), VERSION, 0, required)
    assert (result[0] == "ok") and ((result[1] is not None) == taken)


@pytest.mark.parametrize("version, taken", [(VERSION, True), (47, False), (VERSION + 0.0, True), ("48", False),
                                            (None, False), (2 ** 80, False)])
def test_take_version(version, taken):
    result = take_on_both(frame(), version, 0, None)
    assert (result[0] == "ok") and ((result[1] is not None) == taken)


@pytest.mark.parametrize("buffer", [bytearray(frame()), memoryview(frame()), frame().decode("latin-1"), None, 42])
def test_take_anything_but_bytes_is_none(buffer):
    assert take_on_both(buffer, VERSION, 0, None) == ("ok", None)


def test_take_negative_size_and_bad_annotations_are_none():
    negative = struct.pack("!4sHHHHiHHHH", b"PYRO", VERSION, 5, 0, 1, -1, 3, 0, 0,
                           (5 + VERSION - 1 + 3 + 1 + 0x34E9) & 0xFFFF)
    assert take_on_both(negative + b"x" * 10, VERSION, 0, None) == ("ok", None)
    block = b"XTRA\x00\x64ab"
    header = _message_py.encode_header(VERSION, 5, 0, 1, 0, 1, len(block))
    assert take_on_both(header + block, VERSION, 0, None) == ("ok", None)
    assert take_on_both(header[:18] + b"\x00\x03" + header[20:22] + b"\x00\x00" + b"XTR", VERSION, 0, None) == (
        "ok", None)


header_fields = st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
                          st.integers(0, 0xFFFF))
annotations = st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), min_size=4, max_size=4),
                              st.binary(max_size=40), max_size=3)


@EXAMPLES
@given(st.binary(max_size=80), st.sampled_from([VERSION, 0]), st.sampled_from([0, 10, 30]),
       st.sampled_from([None, (5,), [4, 6]]))
def test_take_random_bytes(data, version, max_size, required):
    take_on_both(data, version, max_size, required)


@EXAMPLES
@given(header_fields, annotations, st.binary(max_size=60), st.binary(max_size=30), st.integers(0, 200),
       st.integers(0, 255), st.integers(0, 200))
def test_take_mutated_and_truncated_messages(fields, annotations, data, rest, position, byte, cut):
    msg_type, flags, seq, serializer_id = fields
    whole = _message_py.encode_message(VERSION, msg_type, flags, seq, serializer_id, len(data), annotations, data)
    result = take_on_both(whole + rest, VERSION, 0, None)
    assert result == ("ok", (rest, msg_type, flags, seq, len(data), serializer_id, len(whole) - 24 - len(data),
                             annotations, data))
    mutated = bytearray(whole + rest)
    mutated[position % len(mutated)] = byte
    take_on_both(bytes(mutated), VERSION, 0, None)
    take_on_both(whole[:cut % (len(whole) + 1)], VERSION, 0, None)


# ---- Message.recv over a SocketConnection: one step or step by step, the same -------------------------

@pytest.fixture(params=[twin.__name__ for twin in TWINS], ids=lambda name: name.rpartition(".")[2])
def message_module(request, monkeypatch):
    """Pyro4.message with one message twin, its connections reading through the socket twin of the same kind."""
    twin = next(twin for twin in TWINS if twin.__name__ == request.param)
    monkeypatch.setattr(message, "_impl", twin)
    socket_twin = _socketutil_py if twin is _message_py else importlib.import_module("Pyro4._socketutil")
    monkeypatch.setattr(socketutil.SocketConnection, "_recv_small_message", socket_twin.recv_small_message)
    return message


class Side(object):
    """A SocketConnection on one end of a socketpair that already holds `data` (then EOF)."""

    def __init__(self, data, keep_open=False):
        self.sock, self.peer = socket.socketpair()
        self.sock.settimeout(10)
        self.peer.settimeout(10)
        # from a thread: more than the socket buffers hold may be waiting for the reader
        self.sender = _send_in_thread(self.peer, [data], close_after=True)
        self.conn = socketutil.SocketConnection(self.sock, keep_open=keep_open)

    def unread(self):
        """The bytes nobody has taken yet: those pending in the connection, then those on the socket."""
        if self.sock.fileno() < 0:
            return None  # the connection was closed
        chunks = [self.conn._pending]
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def close(self):
        self.sender.join(10)
        self.conn.keep_open = False
        self.conn.close()
        self.sock.close()
        self.peer.close()


def receive(data, in_steps, required=None, hmac_key=None, keep_open=False, count=1):
    """(what each Message.recv gave, the unread bytes) for one connection fed with data."""
    side = Side(data, keep_open)
    try:
        results = []
        for _ in range(count):
            if in_steps:
                results.append(observe(message._recv_in_steps, Message, side.conn, required, hmac_key))
            else:
                results.append(observe(Message.recv, side.conn, required, hmac_key))
        return results, side.unread()
    finally:
        side.close()


def observe(function, *args):
    try:
        return ("ok", fields_of(function(*args)))
    except Exception as exc:  # any failure is compared, with the message it carries
        pyro_msg = getattr(exc, "pyroMsg", None)
        return ("error", type(exc), str(exc), getattr(exc, "partialData", None),
                None if pyro_msg is None else fields_of(pyro_msg))


def fields_of(msg):
    return {name: getattr(msg, name) for name in Message.__slots__}


def same_either_way(data, **kwargs):
    one_step = receive(data, False, **kwargs)
    assert one_step == receive(data, True, **kwargs)
    return one_step


def _bad_checksum(data):
    return data[:22] + bytes([data[22] ^ 1]) + data[23:]


CASES = {
    "plain": frame(),
    "annotated": frame(annotations={"CORR": b"c" * 16, "XTRA": b"x"}),
    "empty payload": frame(data=b""),
    "back to back": frame(seq=1) + frame(seq=2, annotations={"CORR": b"c" * 16}) + frame(seq=3),
    "wrong type": frame(msg_type=4) + frame(),
    "bad checksum": _bad_checksum(frame()) + frame(),
    "bad tag": b"PYRX" + frame()[4:],
    "other version": frame().replace(b"PYRO\x00\x30", b"PYRO\x00\x2f", 1),
    "corrupt annotations": _message_py.encode_header(VERSION, 5, 0, 1, 0, 1, 8) + b"XTRA\x00\x64ab" + frame(),
    "truncated body": frame(annotations={"CORR": b"c" * 16})[:40],
    "truncated header": frame()[:10],
    "nothing": b"",
    "large after small": frame(seq=1) + frame(data=b"L" * 300000, annotations={"CORR": b"c" * 16}) + frame(),
    "hmac": frame(hmac_key=b"key", annotations={"CORR": b"c" * 16}) + frame(hmac_key=b"key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("required", [None, (5,), [4]])
def test_recv_same_as_in_steps(message_module, case, required):
    same_either_way(CASES[case], required=required, count=3)


@pytest.mark.parametrize("case", ["hmac", "annotated", "plain"])
@pytest.mark.parametrize("hmac_key", [b"key", b"other", None])
def test_recv_hmac_same_as_in_steps(message_module, case, hmac_key):
    results, _ = same_either_way(CASES[case], hmac_key=hmac_key, count=2)
    expected = hmac_key == b"key" if case == "hmac" else hmac_key is None
    assert results[0][0] == ("ok" if expected else "error")


@pytest.mark.parametrize("max_size", [0, 6, 5, 1000, 100000])
def test_recv_max_size_same_as_in_steps(message_module, max_size):
    Pyro4.config.MAX_MESSAGE_SIZE = max_size
    results, unread = same_either_way(CASES["back to back"] + CASES["large after small"], count=3)
    if max_size == 5:
        assert results[0][1] is Pyro4.errors.MessageTooLargeError and unread is None  # closed


def test_recv_live_protocol_version(message_module, monkeypatch):
    data = frame()
    monkeypatch.setattr(Pyro4.constants, "PROTOCOL_VERSION", 47)
    results, _ = same_either_way(data)
    assert results[0][:3] == ("error", Pyro4.errors.ProtocolError, "invalid data or unsupported protocol version")
    results, _ = same_either_way(frame())  # encoded with the live version too
    assert results[0][0] == "ok"


def test_recv_keep_open_same_as_in_steps(message_module):
    results, unread = same_either_way(frame(seq=1) + frame(seq=2), keep_open=True)
    assert results[0][1]["seq"] == 1 and unread == frame(seq=2)


@pytest.mark.parametrize("case", sorted(CASES))
def test_recv_fuzzed_stream_same_as_in_steps(message_module, case):
    data = CASES[case]
    for cut in range(0, min(len(data), 120), 7):
        same_either_way(data[:cut] + frame(seq=9), count=2)


# ---- the connection side -------------------------------------------------------------------------------

class CountingSocket(object):
    """A real socket that counts its recv calls."""

    def __init__(self, sock):
        self._sock = sock
        self.recv_calls = 0

    def recv(self, *args):
        self.recv_calls += 1
        return self._sock.recv(*args)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    left.settimeout(10)
    yield left, right
    left.close()
    right.close()


def test_small_messages_take_one_recv_each(message_module, pair):
    left, right = pair
    counting = CountingSocket(left)
    conn = socketutil.SocketConnection(counting)
    for seq in range(3):
        right.sendall(frame(seq=seq, annotations={"CORR": b"c" * 16}))
        assert Message.recv(conn, [message.MSG_RESULT]).seq == seq
    assert counting.recv_calls == 3 and not conn._has_pending_data()


def test_recv_small_message_leaves_a_rejected_buffer_pending(message_module, pair):
    left, right = pair
    conn = socketutil.SocketConnection(left)
    right.sendall(frame(msg_type=4) + frame())
    assert conn._recv_small_message(message._impl.take_message, VERSION, 0, (5,)) is None
    assert conn._pending == frame(msg_type=4) + frame()
    parts = conn._recv_small_message(message._impl.take_message, VERSION, 0, None)
    assert parts[1] == 4 and conn._pending == frame()


def test_recv_small_message_does_not_read_ahead_when_it_must_not(message_module, pair):
    left, right = pair
    right.sendall(frame())
    keep_open = socketutil.SocketConnection(left, keep_open=True)
    assert keep_open._recv_small_message(message._impl.take_message, VERSION, 0, None) is None
    conn = socketutil.SocketConnection(left)
    conn._exact_reads = 1
    assert conn._recv_small_message(message._impl.take_message, VERSION, 0, None) is None
    assert not conn._has_pending_data()
    assert left.recv(100) == frame()  # all still on the socket


def test_attribute_error_inside_the_connection_is_not_swallowed(message_module, pair):
    class Broken(socketutil.SocketConnection):
        def _recv_small_message(self, *args):
            raise AttributeError("inside")

    with pytest.raises(AttributeError, match="inside"):
        Message.recv(Broken(pair[0]))


def test_timeout_same_either_way(message_module):
    errors = []
    for in_steps in (False, True):
        left, right = socket.socketpair()
        left.settimeout(0.01)
        conn = socketutil.SocketConnection(left)
        try:
            if in_steps:
                errors.append(observe(message._recv_in_steps, Message, conn, None, None))
            else:
                errors.append(observe(Message.recv, conn, None, None))
        finally:
            conn.close()
            right.close()
    assert errors[0] == errors[1] == ("error", Pyro4.errors.TimeoutError, "receiving: timeout", None, None)


def test_a_subclass_with_its_own_recv_sees_every_read(message_module, pair):
    left, right = pair
    sizes = []

    class LoggingConnection(socketutil.SocketConnection):
        def recv(self, size):
            sizes.append(size)
            return super().recv(size)

    class PlainSubclass(socketutil.SocketConnection):
        pass

    logging_conn, plain_conn = LoggingConnection(left), PlainSubclass(left)
    right.sendall(frame(annotations={"CORR": b"c" * 16}))
    assert Message.recv(logging_conn, [message.MSG_RESULT]).data == b"result"
    assert sizes == [24, 22 + len(b"result")]
    right.sendall(frame(annotations={"CORR": b"c" * 16}))
    assert Message.recv(plain_conn, [message.MSG_RESULT]).data == b"result"
    assert not plain_conn._has_pending_data()
    for conn in (logging_conn, plain_conn):
        conn.keep_open = True  # the fixture closes the sockets


def test_a_subclass_with_its_own_recv_has_no_one_step_reader():
    class LoggingConnection(socketutil.SocketConnection):
        def recv(self, size):
            return super().recv(size)

    class PlainSubclass(socketutil.SocketConnection):
        pass

    assert LoggingConnection._recv_small_message is socketutil._read_in_steps
    assert PlainSubclass._recv_small_message is socketutil.SocketConnection._recv_small_message
    assert socketutil._read_in_steps(None, None, VERSION, 0, None) is None


def test_recv_small_message_twins_take_the_same_from_pending_bytes(socketutil_twin, pair):
    left, right = pair
    conn = socketutil.SocketConnection(left)
    conn._pending = frame(seq=1) + frame(seq=2)[:20]  # one whole message, then a part of the next
    parts = socketutil_twin.recv_small_message(conn, message._impl.take_message, VERSION, 0, None)
    assert parts[3] == 1 and parts[0] == frame(seq=2)[:20] and conn._pending == parts[0]
    assert socketutil_twin.recv_small_message(conn, message._impl.take_message, VERSION, 0, None) is None
    assert conn._pending == frame(seq=2)[:20]  # an incomplete message stays pending, nothing read
    conn.keep_open = True
