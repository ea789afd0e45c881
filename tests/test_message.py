"""Pyro4.message: the Message class (API §5, WIRE §2) on top of both twins."""
import hashlib
import hmac
import socket
import struct
import threading
import zlib

import pytest

import Pyro4
import Pyro4._speedups
import Pyro4.constants
import Pyro4.errors
import Pyro4.message
import Pyro4.socketutil
from Pyro4.message import Message

SPEC_EXAMPLE = (b"PYRO\x00\x30\x00\x04\x00\x00\x00\x07\x00\x00\x00\x03\x00\x01\x00\x16\x00\x00\x35\x3e"
                b"CORR\x00\x10" b"0123456789abcdef" b"abc")


class MemoryConnection(object):
    """The duck-typed connection of the Pyro tests: only send, recv and keep_open."""

    def __init__(self, data=b""):
        self.received = data
        self.sent = []
        self.keep_open = False
        self.closed = False

    def send(self, data):
        self.sent.append(bytes(data))

    def recv(self, size):
        chunk, self.received = self.received[:size], self.received[size:]
        if len(chunk) != size:
            raise Pyro4.errors.ConnectionClosedError("receiving: not enough data")
        return chunk

    def close(self):
        self.closed = True


@pytest.fixture
def msgmod(message_twin, monkeypatch):
    """Pyro4.message running on the twin under test (the module binds one twin at import)."""
    monkeypatch.setattr(Pyro4.message, "_impl", message_twin)
    return Pyro4.message


@pytest.fixture
def protocol_version():
    """Restores Pyro4.constants.PROTOCOL_VERSION after a test that changes it."""
    original = Pyro4.constants.PROTOCOL_VERSION
    yield
    Pyro4.constants.PROTOCOL_VERSION = original


def _roundtrip(msg, **recv_kwargs):
    return Message.recv(MemoryConnection(msg.to_bytes()), **recv_kwargs)


# ---- module surface ------------------------------------------------------------------------------

def test_public_names():
    assert Pyro4.message.__all__ == ["Message", "secure_compare"]
    assert Message.__module__ == "Pyro4.message"
    assert Message.__qualname__ == "Message"
    assert Pyro4.message.secure_compare is hmac.compare_digest


def test_constants():
    m = Pyro4.message
    assert (m.MSG_CONNECT, m.MSG_CONNECTOK, m.MSG_CONNECTFAIL, m.MSG_INVOKE, m.MSG_RESULT, m.MSG_PING) == (
        1, 2, 3, 4, 5, 6)
    assert (m.FLAGS_EXCEPTION, m.FLAGS_COMPRESSED, m.FLAGS_ONEWAY, m.FLAGS_BATCH, m.FLAGS_META_ON_CONNECT,
            m.FLAGS_ITEMSTREAMRESULT, m.FLAGS_KEEPSERIALIZED) == (1, 2, 4, 8, 16, 32, 64)
    assert Message.header_format == "!4sHHHHiHHHH"
    assert Message.header_size == 24 == struct.calcsize(Message.header_format)
    assert Message.checksum_magic == 0x34E9


def test_slots_all_writable():
    assert Message.__slots__ == ["type", "flags", "seq", "data", "data_size", "serializer_id", "annotations",
                                 "annotations_size", "hmac_key"]
    msg = Message(Pyro4.message.MSG_INVOKE, b"data", 1, 0, 1)
    for name in Message.__slots__:
        setattr(msg, name, getattr(msg, name))
    with pytest.raises(AttributeError):
        msg.something_else = 1


def test_module_binds_the_selected_twin():
    assert Pyro4.message._impl is Pyro4._speedups.message_impl


# ---- constructor -----------------------------------------------------------------------------------

def test_constructor_fields(msgmod):
    annotations = {"XTRA": b"extra"}
    msg = Message(msgmod.MSG_RESULT, b"payload", 2, msgmod.FLAGS_BATCH, 300, annotations)
    assert (msg.type, msg.flags, msg.seq, msg.serializer_id) == (5, 8, 300, 2)
    assert msg.data == b"payload" and msg.data_size == 7
    assert msg.annotations == {"XTRA": b"extra"}
    assert msg.annotations is not annotations  # a copy
    assert msg.annotations_size == 6 + 5
    assert msg.hmac_key is None


@pytest.mark.parametrize("msg_type", [0, 7, 99, 255, 65535])
def test_message_type_not_validated(msgmod, msg_type):
    msg = Message(msg_type, b"x", 1, 0, 0)
    assert _roundtrip(msg).type == msg_type


def test_constructor_max_message_size(msgmod):
    Pyro4.config.MAX_MESSAGE_SIZE = 20
    Message(msgmod.MSG_INVOKE, b"x" * 14, 1, 0, 0, {"ABCD": b""})  # 14 + 6 == 20: allowed
    with pytest.raises(Pyro4.errors.MessageTooLargeError) as excinfo:
        Message(msgmod.MSG_INVOKE, b"x" * 15, 1, 0, 0, {"ABCD": b""})
    assert str(excinfo.value) == "max message size exceeded (21 where max=20)"
    Pyro4.config.MAX_MESSAGE_SIZE = 0
    Message(msgmod.MSG_INVOKE, b"x" * 100000, 1, 0, 0)


def test_constructor_hmac_annotation(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"data", 1, 0, 0, {"XTRA": b"x"}, hmac_key=b"secret")
    assert list(msg.annotations) == ["XTRA", "HMAC"]
    expected = hmac.new(b"secret", b"data" + b"x", hashlib.sha1).digest()
    assert msg.annotations["HMAC"] == expected
    assert msg.annotations_size == 6 + 1 + 6 + 20


# ---- to_bytes / send ---------------------------------------------------------------------------------

def test_to_bytes_spec_example(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7, {"CORR": b"0123456789abcdef"})
    assert msg.to_bytes() == SPEC_EXAMPLE


def test_to_bytes_without_annotations(msgmod):
    data = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7).to_bytes()
    assert len(data) == 24 + 3
    assert data[18:20] == b"\x00\x00"


def test_to_bytes_uses_current_data_size(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7)
    msg.data_size = 10
    data = msg.to_bytes()
    assert data[12:16] == b"\x00\x00\x00\x0a"
    assert data[24:] == b"abc"


@pytest.mark.parametrize("size", [-1, 0x7FFFFFFF + 1, 2 ** 40])
def test_to_bytes_invalid_size(msgmod, size):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7)
    msg.data_size = size
    with pytest.raises(ValueError) as excinfo:
        msg.to_bytes()
    assert str(excinfo.value) == "invalid message size (outside range 0..2Gb)"


def test_to_bytes_maximum_size_accepted(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7)
    msg.data_size = 0x7FFFFFFF
    assert msg.to_bytes()[12:16] == b"\x7f\xff\xff\xff"


@pytest.mark.parametrize("key", ["", "abc", "abcde", "HMAC2"])
def test_to_bytes_annotation_key_length(msgmod, key):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7, {key: b"value"})
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        msg.to_bytes()
    assert str(excinfo.value) == "annotation key must be of length 4"


def test_to_bytes_annotation_key_not_ascii(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7, {"k\u00e9yy": b"value"})
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        msg.to_bytes()
    assert "ASCII" in str(excinfo.value)


def test_to_bytes_compressed_flag_same_length(msgmod):
    data = b"a very compressible payload " * 40
    plain = Message(msgmod.MSG_INVOKE, data, 1, 0, 1)
    compressed = Message(msgmod.MSG_INVOKE, data, 1, msgmod.FLAGS_COMPRESSED, 1)
    assert len(plain.to_bytes()) == len(compressed.to_bytes())
    assert compressed.to_bytes()[24:] == data  # to_bytes never compresses


def test_to_bytes_bytearray_and_memoryview_payload(msgmod):
    expected = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7, {"CORR": b"0123456789abcdef"}).to_bytes()
    for data in (bytearray(b"abc"), memoryview(b"abc")):
        assert Message(msgmod.MSG_INVOKE, data, 1, 0, 7, {"CORR": b"0123456789abcdef"}).to_bytes() == expected


def test_to_bytes_annotation_block_limit(msgmod):
    # vector-checked in 4.82: one chunk with a 65529-byte value fills the uint16 size field exactly
    msg = Message(msgmod.MSG_INVOKE, b"", 1, 0, 1, {"BIGV": b"v" * 65529})
    assert msg.to_bytes()[18:20] == b"\xff\xff"
    msg = Message(msgmod.MSG_INVOKE, b"", 1, 0, 1, {"BIGV": b"v" * 65530})
    with pytest.raises(struct.error) as excinfo:
        msg.to_bytes()
    assert "65536" in str(excinfo.value)


def test_send_three_parts(msgmod):
    conn = MemoryConnection()
    Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7, {"CORR": b"0123456789abcdef"}).send(conn)
    assert conn.sent == [SPEC_EXAMPLE[:24], SPEC_EXAMPLE[24:46], b"abc"]
    conn = MemoryConnection()
    Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7).send(conn)
    assert b"".join(conn.sent) == Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7).to_bytes()


def test_protocol_version_read_live(msgmod, protocol_version):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 0, 7)
    Pyro4.constants.PROTOCOL_VERSION = 47
    data = msg.to_bytes()
    assert data[4:6] == b"\x00\x2f"
    assert Message.from_header(data[:24]).seq == 7  # same (changed) version: accepted
    Pyro4.constants.PROTOCOL_VERSION = 48
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.from_header(data[:24])
    assert str(excinfo.value) == "invalid data or unsupported protocol version"
    assert Message.from_header(msg.to_bytes()[:24]).seq == 7


# ---- from_header ---------------------------------------------------------------------------------

def test_from_header_fields(msgmod):
    msg = Message.from_header(SPEC_EXAMPLE[:24])
    assert (msg.type, msg.flags, msg.seq, msg.serializer_id) == (4, 0, 7, 1)
    assert (msg.data_size, msg.annotations_size) == (3, 22)
    assert msg.data == b"" and msg.annotations == {} and msg.hmac_key is None
    assert type(msg) is Message


@pytest.mark.parametrize("header", [None, b"", "", "FOOBAR", b"FOOBAR", SPEC_EXAMPLE[:23], SPEC_EXAMPLE[:25],
                                    "x" * 24, 12345])
def test_from_header_size_mismatch(msgmod, header):
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.from_header(header)
    assert str(excinfo.value) == "header data size mismatch"


@pytest.mark.parametrize("header", [b"PYRX" + SPEC_EXAMPLE[4:24], SPEC_EXAMPLE[:4] + b"\x00\x2f" + SPEC_EXAMPLE[6:24],
                                    b"GET / HTTP/1.1\r\nHost: x\r"])
def test_from_header_bad_tag_or_version(msgmod, header):
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.from_header(header)
    assert str(excinfo.value) == "invalid data or unsupported protocol version"


def test_from_header_checksum(msgmod):
    header = bytearray(SPEC_EXAMPLE[:24])
    header[23] ^= 1
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.from_header(bytes(header))
    assert str(excinfo.value) == "header checksum mismatch"


def test_from_header_reserved_field_ignored(msgmod):
    header = SPEC_EXAMPLE[:20] + b"\xab\xcd" + SPEC_EXAMPLE[22:24]
    assert Message.from_header(header).seq == 7


def test_from_header_negative_data_size(msgmod):
    header = msgmod._impl.encode_header(48, 4, 0, 7, 3, 1, 0)
    fields = list(struct.unpack("!4sHHHHiHHHH", header))
    fields[5] = -5
    fields[9] = (4 + 48 - 5 + 1 + 7 + 0x34E9) & 0xFFFF
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.from_header(struct.pack("!4sHHHHiHHHH", *fields))
    assert str(excinfo.value) == "invalid data size in header: -5"


def test_from_header_accepts_bytearray_and_memoryview(msgmod):
    for header in (bytearray(SPEC_EXAMPLE[:24]), memoryview(SPEC_EXAMPLE)[:24]):
        assert Message.from_header(header).seq == 7


# ---- recv ----------------------------------------------------------------------------------------

def test_recv_roundtrip(msgmod):
    msg = Message.recv(MemoryConnection(SPEC_EXAMPLE))
    assert (msg.type, msg.flags, msg.seq, msg.serializer_id, msg.data_size) == (4, 0, 7, 1, 3)
    assert msg.annotations == {"CORR": b"0123456789abcdef"}
    assert msg.annotations_size == 22
    assert msg.data == b"abc"
    assert type(msg.data) is bytes and type(msg.annotations["CORR"]) is bytes


def test_recv_several_annotations_in_order(msgmod):
    annotations = {"ZZZZ": b"", "AAAA": b"1", "CORR": b"c" * 16, "STRM": b"stream-id"}
    msg = _roundtrip(Message(msgmod.MSG_RESULT, b"", 1, 0, 1, annotations))
    assert list(msg.annotations.items()) == list(annotations.items())
    assert msg.data == b""


def test_recv_leaves_next_message(msgmod):
    conn = MemoryConnection(SPEC_EXAMPLE + SPEC_EXAMPLE)
    Message.recv(conn)
    assert conn.received == SPEC_EXAMPLE


def test_recv_required_types(msgmod):
    conn = MemoryConnection(SPEC_EXAMPLE)
    assert Message.recv(conn, [msgmod.MSG_RESULT, msgmod.MSG_INVOKE]).type == msgmod.MSG_INVOKE
    conn = MemoryConnection(SPEC_EXAMPLE)
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.recv(conn, [msgmod.MSG_RESULT])
    assert str(excinfo.value) == "invalid msg type 4 received"
    assert excinfo.value.pyroMsg.type == 4
    assert excinfo.value.pyroMsg.seq == 7
    assert conn.received == SPEC_EXAMPLE[24:]  # the rest is left unread


def test_recv_max_message_size(msgmod):
    Pyro4.config.MAX_MESSAGE_SIZE = 25
    conn = MemoryConnection(SPEC_EXAMPLE)  # 22 + 3 == 25: allowed
    assert Message.recv(conn).data == b"abc"
    Pyro4.config.MAX_MESSAGE_SIZE = 24
    conn = MemoryConnection(SPEC_EXAMPLE)
    with pytest.raises(Pyro4.errors.MessageTooLargeError) as excinfo:
        Message.recv(conn)
    assert str(excinfo.value) == "max message size exceeded (25 where max=24)"
    assert excinfo.value.pyroMsg.seq == 7
    assert conn.closed


def test_recv_size_checked_before_type(msgmod):
    Pyro4.config.MAX_MESSAGE_SIZE = 10
    with pytest.raises(Pyro4.errors.MessageTooLargeError):
        Message.recv(MemoryConnection(SPEC_EXAMPLE), [msgmod.MSG_RESULT])


def test_recv_hmac_ok(msgmod):
    msg = Message(msgmod.MSG_RESULT, b"result", 1, 0, 3, {"XTRA": b"x"}, hmac_key=b"secret")
    received = _roundtrip(msg, hmac_key=b"secret")
    assert received.data == b"result"
    assert received.hmac_key == b"secret"
    assert received.annotations == msg.annotations


def test_recv_hmac_str_key(msgmod):
    msg = Message(msgmod.MSG_RESULT, b"result", 1, 0, 3, hmac_key="secret")
    assert _roundtrip(msg, hmac_key=b"secret").data == b"result"


def test_recv_hmac_mismatch(msgmod):
    msg = Message(msgmod.MSG_RESULT, b"result", 1, 0, 3, hmac_key=b"secret")
    with pytest.raises(Pyro4.errors.SecurityError) as excinfo:
        _roundtrip(msg, hmac_key=b"other")
    assert str(excinfo.value) == "message hmac mismatch"
    assert excinfo.value.pyroMsg.data == b"result"


def test_recv_hmac_tampered_annotation(msgmod):
    msg = Message(msgmod.MSG_RESULT, b"result", 1, 0, 3, {"XTRA": b"abc"}, hmac_key=b"secret")
    data = msg.to_bytes().replace(b"abc", b"abd")
    with pytest.raises(Pyro4.errors.SecurityError) as excinfo:
        Message.recv(MemoryConnection(data), hmac_key=b"secret")
    assert str(excinfo.value) == "message hmac mismatch"


@pytest.mark.parametrize("sender_key, receiver_key", [(b"secret", None), (None, b"secret"), (b"secret", b"")])
def test_recv_hmac_not_symmetric(msgmod, sender_key, receiver_key):
    msg = Message(msgmod.MSG_RESULT, b"result", 1, 0, 3, hmac_key=sender_key)
    with pytest.raises(Pyro4.errors.SecurityError) as excinfo:
        _roundtrip(msg, hmac_key=receiver_key)
    assert str(excinfo.value) == "hmac key config not symmetric"
    assert excinfo.value.pyroMsg.seq == 3


def test_recv_short_data(msgmod):
    with pytest.raises(Pyro4.errors.ConnectionClosedError):
        Message.recv(MemoryConnection(SPEC_EXAMPLE[:-1]))


def test_recv_corrupt_annotations(msgmod):
    # a valid header announcing 8 annotation bytes that hold a chunk claiming 100 value bytes
    block = b"XTRA\x00\x64ab"
    header = msgmod._impl.encode_header(48, 5, 0, 1, 0, 1, len(block))
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.recv(MemoryConnection(header + block))
    assert str(excinfo.value) == "corrupt annotations block at offset 0: value length 100 overruns the block"


def test_recv_socketpair(msgmod):
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    client = Pyro4.socketutil.SocketConnection(left)
    server = Pyro4.socketutil.SocketConnection(right)
    try:
        big = bytes(range(256)) * 4000  # more than the socket buffers hold: sent from a thread
        sender = threading.Thread(target=client.send,
                                  args=(Message(msgmod.MSG_INVOKE, big, 1, 0, 42, {"CORR": b"c" * 16}).to_bytes(),))
        sender.start()
        msg = Message.recv(server, [msgmod.MSG_INVOKE])
        sender.join(10)
        assert not sender.is_alive()
        assert msg.data == big and msg.seq == 42 and msg.annotations == {"CORR": b"c" * 16}
        Message(msgmod.MSG_RESULT, b"x", 1, 0, 42, hmac_key=b"k").send(server)
        with pytest.raises(Pyro4.errors.SecurityError) as excinfo:
            Message.recv(client, [msgmod.MSG_RESULT], hmac_key=b"wrong")
        assert str(excinfo.value) == "message hmac mismatch"
        Message(msgmod.MSG_RESULT, b"x", 1, 0, 43, hmac_key=b"k").send(server)
        with pytest.raises(Pyro4.errors.SecurityError) as excinfo:
            Message.recv(client, [msgmod.MSG_RESULT])
        assert str(excinfo.value) == "hmac key config not symmetric"
        Pyro4.config.MAX_MESSAGE_SIZE = 100
        client.send(Message(msgmod.MSG_INVOKE, b"y" * 100, 1, 0, 44).to_bytes())
        Pyro4.config.MAX_MESSAGE_SIZE = 99
        with pytest.raises(Pyro4.errors.MessageTooLargeError) as excinfo:
            Message.recv(server)
        assert excinfo.value.pyroMsg.seq == 44
    finally:
        client.close()
        server.close()


def test_recv_socketpair_peer_closes(msgmod):
    left, right = socket.socketpair()
    server = Pyro4.socketutil.SocketConnection(right)
    try:
        left.sendall(SPEC_EXAMPLE[:30])
        left.close()
        with pytest.raises(Pyro4.errors.ConnectionClosedError):
            Message.recv(server)
    finally:
        left.close()
        server.close()


# ---- ping, hmac, decompress, repr, secure_compare ---------------------------------------------------

def test_ping(msgmod):
    pong = Message(msgmod.MSG_PING, b"pong", 42, 0, 0, hmac_key=b"key").to_bytes()
    conn = MemoryConnection(pong)
    assert Message.ping(conn, hmac_key=b"key") is None
    sent = Message.recv(MemoryConnection(b"".join(conn.sent)), hmac_key=b"key")
    assert (sent.type, sent.serializer_id, sent.seq, sent.data) == (6, 42, 0, b"ping")


def test_ping_wrong_reply_type(msgmod):
    conn = MemoryConnection(Message(msgmod.MSG_RESULT, b"x", 1, 0, 0).to_bytes())
    with pytest.raises(Pyro4.errors.ProtocolError) as excinfo:
        Message.ping(conn)
    assert str(excinfo.value) == "invalid msg type 5 received"


def test_hmac_vector_order():
    # values in ascending key order after the payload: CORR before XTRA (WIRE §2.10)
    msg = Message(Pyro4.message.MSG_INVOKE, b"payload", 1, 0, 1, {"XTRA": b"x", "CORR": b"c"})
    msg.hmac_key = b"k"
    assert msg.hmac() == hmac.new(b"k", b"payload" + b"c" + b"x", hashlib.sha1).digest()


def test_hmac_without_key():
    msg = Message(Pyro4.message.MSG_INVOKE, b"payload", 1, 0, 1)
    with pytest.raises(TypeError):
        msg.hmac()


def test_decompress_if_needed(msgmod):
    data = b"compress me " * 50
    msg = Message(msgmod.MSG_RESULT, zlib.compress(data), 1, msgmod.FLAGS_COMPRESSED | msgmod.FLAGS_BATCH, 1)
    assert msg.decompress_if_needed() is msg
    assert msg.data == data and msg.data_size == len(data)
    assert msg.flags == msgmod.FLAGS_BATCH
    assert msg.decompress_if_needed() is msg
    assert msg.data == data


def test_repr(msgmod):
    msg = Message(msgmod.MSG_INVOKE, b"abc", 1, 8, 7, {"CORR": b"c" * 16, "XTRA": b""})
    assert repr(msg) == "<Pyro4.message.Message at %x; type=4 flags=8 seq=7 datasize=3 #ann=2>" % id(msg)


def test_secure_compare():
    secure_compare = Pyro4.message.secure_compare
    assert secure_compare("abc", "abc")
    assert not secure_compare("abc", "abd")
    assert secure_compare(b"abc", b"abc")
    assert not secure_compare(b"abc", b"ab")
    with pytest.raises(TypeError):
        secure_compare(999, "x")
