"""The proxy's invoke algorithm (API.md §8.4) on an in-memory connection with scripted replies."""
import logging
import marshal
import uuid

import pytest

import Pyro4
from Pyro4 import core, errors, message, util
from Pyro4.core import Proxy


class FakeConnection(object):
    """Stands in for a SocketConnection: records what is sent, replays prepared reply bytes."""

    def __init__(self, replies=b"", objectId="obj", send_error=None):
        self.objectId = objectId
        self.keep_open = False
        self.sent = []
        self.buffer = replies
        self.closed = False
        self.send_error = send_error

    def send(self, data):
        if self.send_error:
            raise self.send_error
        self.sent.append(data)

    def recv(self, size):
        if len(self.buffer) < size:
            raise errors.ConnectionClosedError("receiving: not enough data")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def close(self):
        self.closed = True

    def family(self):
        return "IPv4"


def result_bytes(value, seq=1, serializer="serpent", flags=0, annotations=None):
    ser = util.get_serializer(serializer)
    data, _ = ser.serializeData(value)
    return message.Message(message.MSG_RESULT, data, ser.serializer_id, flags, seq,
                           annotations=annotations).to_bytes()


def connected_proxy(replies=b"", **kwargs):
    proxy = Proxy("PYRO:obj@127.0.0.1:1")
    connection = FakeConnection(replies, **kwargs)
    proxy._pyroConnection = connection
    return proxy, connection


def sent_message(data):
    msg = message.Message.from_header(data[:24])
    ser = util.get_serializer_by_id(msg.serializer_id)
    payload = data[24 + msg.annotations_size:]
    return msg, ser.deserializeCall(payload, compressed=msg.flags & message.FLAGS_COMPRESSED)


def test_plain_call():
    proxy, connection = connected_proxy(result_bytes(42))
    assert proxy._pyroInvoke("method", (1, 2), {"k": 3}) == 42
    msg, call = sent_message(connection.sent[0])
    assert (msg.type, msg.seq, msg.flags, msg.serializer_id) == (message.MSG_INVOKE, 1, 0, 1)
    assert call == ("obj", "method", (1, 2), {"k": 3})
    assert not connection.closed


def test_object_id_argument():
    proxy, connection = connected_proxy(result_bytes(None))
    proxy._pyroInvoke("ping", (), {}, objectId="Pyro.Daemon")
    assert sent_message(connection.sent[0])[1][0] == "Pyro.Daemon"


def test_reply_sequence_out_of_sync():
    proxy, connection = connected_proxy(result_bytes(42, seq=5))
    with pytest.raises(errors.ProtocolError) as excinfo:
        proxy._pyroInvoke("method", (), {})
    assert str(excinfo.value) == "invoke: reply sequence out of sync, got 5 expected 1"
    assert connection.closed and proxy._pyroConnection is None


def test_reply_serializer_mismatch():
    proxy, connection = connected_proxy(result_bytes(42, serializer="json"))
    with pytest.raises(errors.SerializeError) as excinfo:
        proxy._pyroInvoke("method", (), {})
    assert str(excinfo.value) == "invalid serializer in response: 2"
    assert connection.closed and proxy._pyroConnection is None


def test_wrong_reply_type():
    reply = message.Message(message.MSG_CONNECTOK, b"x", 1, 0, 1).to_bytes()
    proxy, connection = connected_proxy(reply)
    with pytest.raises(errors.ProtocolError) as excinfo:
        proxy._pyroInvoke("method", (), {})
    assert str(excinfo.value) == "invalid msg type 2 received"
    assert proxy._pyroConnection is None


def test_connection_lost_releases():
    proxy, connection = connected_proxy(b"")
    with pytest.raises(errors.ConnectionClosedError):
        proxy._pyroInvoke("method", (), {})
    assert connection.closed and proxy._pyroConnection is None


def test_keyboard_interrupt_releases():
    proxy, connection = connected_proxy(send_error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        proxy._pyroInvoke("method", (), {})
    assert connection.closed and proxy._pyroConnection is None


def test_remote_exception_does_not_release():
    error = ValueError("remote")
    error._pyroTraceback = ["line\n"]
    proxy, connection = connected_proxy(result_bytes(error, flags=message.FLAGS_EXCEPTION))
    with pytest.raises(ValueError) as excinfo:
        proxy._pyroInvoke("method", (), {})
    assert excinfo.value._pyroTraceback == ["line\n"]
    assert not connection.closed and proxy._pyroConnection is connection


def test_exception_flag_without_exception():
    proxy, _ = connected_proxy(result_bytes("not an exception", flags=message.FLAGS_EXCEPTION))
    with pytest.raises(errors.ProtocolError):
        proxy._pyroInvoke("method", (), {})


def test_stream_reply_without_stream_id():
    payload = errors.ProtocolError("result of call is an iterator")
    flags = message.FLAGS_EXCEPTION | message.FLAGS_ITEMSTREAMRESULT
    proxy, _ = connected_proxy(result_bytes(payload, flags=flags))
    with pytest.raises(errors.ProtocolError) as excinfo:
        proxy._pyroInvoke("method", (), {})
    assert str(excinfo.value) == ("result of call is an iterator, but the server is not configured to allow "
                                  "streaming")


def test_stream_reply():
    payload = errors.ProtocolError("result of call is an iterator")
    flags = message.FLAGS_EXCEPTION | message.FLAGS_ITEMSTREAMRESULT
    proxy, _ = connected_proxy(result_bytes(payload, flags=flags, annotations={"STRM": b"stream-id"}))
    iterator = proxy._pyroInvoke("method", (), {})
    assert isinstance(iterator, core._StreamResultIterator)
    assert iterator.streamId == "stream-id" and iterator.proxy is proxy and iterator.pyroseq == 1
    iterator.proxy = None   # nothing to close on the fake connection


def test_oneway_does_not_wait():
    proxy, connection = connected_proxy(b"")
    proxy._pyroOneway = {"fire"}
    assert proxy._pyroInvoke("fire", (), {}) is None
    msg, _ = sent_message(connection.sent[0])
    assert msg.flags == message.FLAGS_ONEWAY
    assert proxy._pyroInvoke("other", (), {}, flags=message.FLAGS_ONEWAY) is None
    assert proxy._pyroSeq == 2


def test_batch_flags():
    proxy, connection = connected_proxy(result_bytes([1, 2], flags=message.FLAGS_BATCH))
    assert proxy._pyroInvokeBatch([("a", (), {}), ("b", (), {})]) == [1, 2]
    msg, call = sent_message(connection.sent[0])
    assert msg.flags == message.FLAGS_BATCH
    assert call == ("obj", "<batch>", [("a", (), {}), ("b", (), {})], None)
    assert proxy._pyroInvokeBatch([("a", (), {})], oneway=True) is None
    assert sent_message(connection.sent[1])[0].flags == message.FLAGS_BATCH | message.FLAGS_ONEWAY


def test_compression():
    Pyro4.config.COMPRESSION = True
    proxy, connection = connected_proxy(result_bytes(1))
    proxy._pyroInvoke("method", ("x" * 1000,), {})
    msg, call = sent_message(connection.sent[0])
    assert msg.flags == message.FLAGS_COMPRESSED
    assert call[2] == ("x" * 1000,)


def test_message_too_large_propagates_without_release():
    Pyro4.config.MAX_MESSAGE_SIZE = 100
    proxy, connection = connected_proxy(b"")
    with pytest.raises(errors.MessageTooLargeError):
        proxy._pyroInvoke("method", ("x" * 1000,), {})
    assert proxy._pyroConnection is connection and not connection.closed
    assert connection.sent == []


def test_annotations_order_and_single_use():
    class HookProxy(Proxy):
        def _pyroAnnotations(self):
            return {"HOOK": b"h"}
    proxy = HookProxy("PYRO:obj@127.0.0.1:1")
    connection = FakeConnection(result_bytes(1) + result_bytes(2, seq=2))
    proxy._pyroConnection = connection
    corr = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    annotations = {"USER": b"u"}
    core.current_context.annotations = annotations
    core.current_context.correlation_id = corr
    try:
        proxy._pyroInvoke("m", (), {})
        assert core.current_context.annotations == {} and core.current_context.annotations is not annotations
        core.current_context.correlation_id = None
        proxy._pyroInvoke("m", (), {})
    finally:
        core.current_context.correlation_id = None
    first = message.Message.from_header(connection.sent[0][:24])
    block = connection.sent[0][24:24 + first.annotations_size]
    assert block == b"USER\x00\x01u" + b"CORR\x00\x10" + corr.bytes + b"HOOK\x00\x01h"
    second = message.Message.from_header(connection.sent[1][:24])
    assert connection.sent[1][24:24 + second.annotations_size] == b"HOOK\x00\x01h"


def test_response_annotations():
    seen = []

    class HookProxy(Proxy):
        def _pyroResponseAnnotations(self, annotations, msgtype):
            seen.append((annotations, msgtype))
    proxy = HookProxy("PYRO:obj@127.0.0.1:1")
    proxy._pyroConnection = FakeConnection(result_bytes(1, annotations={"XRSP": b"r"}) + result_bytes(2, seq=2))
    core.current_context.response_annotations = {"OLD!": b""}
    proxy._pyroInvoke("m", (), {})
    assert core.current_context.response_annotations == {"XRSP": b"r"}
    assert seen == [({"XRSP": b"r"}, message.MSG_RESULT)]
    proxy._pyroInvoke("m", (), {})
    assert core.current_context.response_annotations == {}
    assert len(seen) == 1


def test_hmac_signed_request_and_checked_reply():
    proxy, connection = connected_proxy()
    proxy._pyroHmacKey = b"key"
    reply = message.Message(message.MSG_RESULT, util.get_serializer("serpent").serializeData(5)[0], 1, 0, 1,
                            hmac_key=b"key").to_bytes()
    connection.buffer = reply
    assert proxy._pyroInvoke("m", (), {}) == 5
    sent = message.Message.from_header(connection.sent[0][:24])
    assert sent.annotations_size == 26    # the HMAC chunk
    connection.buffer = result_bytes(5, seq=2)
    with pytest.raises(errors.SecurityError) as excinfo:
        proxy._pyroInvoke("m", (), {})
    assert str(excinfo.value) == "hmac key config not symmetric"


def test_raw_wire_response_decompressed():
    ser = util.get_serializer("serpent")
    data, compressed = ser.serializeData("y" * 1000, compress=True)
    assert compressed
    reply = message.Message(message.MSG_RESULT, data, 1, message.FLAGS_COMPRESSED, 1).to_bytes()
    proxy, _ = connected_proxy(reply)
    proxy._pyroRawWireResponse = True
    msg = proxy._pyroInvoke("m", (), {})
    assert isinstance(msg, message.Message)
    assert not msg.flags & message.FLAGS_COMPRESSED
    assert ser.deserializeData(msg.data) == "y" * 1000


def test_logwire(caplog):
    Pyro4.config.LOGWIRE = True
    logging.getLogger("Pyro4.core").setLevel(logging.DEBUG)
    try:
        proxy, _ = connected_proxy(result_bytes(7))
        with caplog.at_level(logging.DEBUG, logger="Pyro4.core"):
            assert proxy._pyroInvoke("m", (), {}) == 7
    finally:
        logging.getLogger("Pyro4.core").setLevel(logging.NOTSET)
    assert "proxy wiredata sending: msgtype=4 flags=0x0 ser=1 seq=1 corr=?" in caplog.text
    assert "proxy wiredata received: msgtype=5" in caplog.text


def test_serialized_blob_call():
    proxy, connection = connected_proxy(result_bytes("ok"))
    assert proxy._pyroInvoke("blob", (core.SerializedBlob("info", ("a", 1)),), {}) == "ok"
    msg = message.Message.from_header(connection.sent[0][:24])
    assert msg.flags == message.FLAGS_KEEPSERIALIZED
    block = connection.sent[0][24:24 + msg.annotations_size]
    assert block[:4] == b"BLBI"
    assert marshal.loads(block[6:]) == ("info", "obj", "blob")
    assert sent_message(connection.sent[0])[1] == ("obj", "blob", ("a", 1), {})


def test_serialized_blob_forwarding_keeps_payload():
    ser = util.get_serializer("serpent")
    data, compressed = ser.serializeCall("other", "m", ("z" * 1000,), {}, compress=True)
    received = message.Message(message.MSG_INVOKE, data, 1, message.FLAGS_COMPRESSED | message.FLAGS_KEEPSERIALIZED, 9)
    proxy, connection = connected_proxy(result_bytes("ok"))
    proxy._pyroInvoke("forward", (core.SerializedBlob("info", received, is_blob=True),), {})
    msg = message.Message.from_header(connection.sent[0][:24])
    assert msg.flags == message.FLAGS_KEEPSERIALIZED | message.FLAGS_COMPRESSED
    assert connection.sent[0][24 + msg.annotations_size:] == data


def test_stream_iterator_close_same_and_other_connection():
    proxy, connection = connected_proxy(b"")
    iterator = core._StreamResultIterator("sid", proxy)
    iterator.close()
    msg, call = sent_message(connection.sent[0])
    assert msg.flags == message.FLAGS_ONEWAY
    assert call == ("Pyro.Daemon", "close_stream", ["sid"], {})
    assert iterator.proxy is None
    iterator.close()
    assert len(connection.sent) == 1


def test_stream_iterator_stop():
    stop = StopIteration()
    proxy, connection = connected_proxy(result_bytes(1) + result_bytes(stop, seq=2, flags=message.FLAGS_EXCEPTION))
    iterator = core._StreamResultIterator("sid", proxy)
    assert next(iterator) == 1
    assert sent_message(connection.sent[0])[1] == ("Pyro.Daemon", "get_next_stream_item", ["sid"], {})
    with pytest.raises(StopIteration):
        next(iterator)
    assert iterator.proxy is None
    with pytest.raises(StopIteration):
        next(iterator)
    assert len(connection.sent) == 2
