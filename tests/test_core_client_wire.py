"""Our proxy against the captured real-4.82 daemon replies (shared/spec/vectors).

A small replay server plays the daemon side of each vector byte for byte; the proxy must make the
same requests as the real 4.82 client (compared byte-exact where the vector says the bytes are fixed,
decoded for marshal) and must interpret the replies as the real client did.
"""
import json
import marshal
import os
import socket
import struct
import threading
import uuid

import pytest

import Pyro4
from Pyro4 import core, errors, message, util

VECTORS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "shared", "spec", "vectors")
if not os.path.isdir(VECTORS):
    VECTORS = "/work/shared/spec/vectors"
FIXED_CORR = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
CALC_METADATA = {"methods": ["add", "echo", "div", "fire", "annotated", "gen", "custom", "blob", "ping", "get"],
                 "oneway": ["fire"], "attrs": ["value"]}
SERVER_WAIT = 10


def load_vector(name):
    with open(os.path.join(VECTORS, name + ".json")) as vector_file:
        return json.load(vector_file)


def message_bytes(entry):
    return bytes.fromhex(entry["header_hex"] + entry["annotations_hex"] + entry["data_hex"])


def recv_exact(sock, size):
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


def read_frame(sock):
    """One raw Pyro message from the socket, or None at end of stream."""
    header = recv_exact(sock, 24)
    if header is None:
        return None
    fields = struct.unpack("!4sHHHHiHHHH", header)
    rest = recv_exact(sock, fields[7] + fields[5]) if fields[7] + fields[5] else b""
    return None if rest is None else header + rest


def split_frame(frame):
    """(header fields tuple, [(key, value)], data) of a raw frame."""
    fields = struct.unpack("!4sHHHHiHHHH", frame[:24])
    annotations_size, data_size = fields[7], fields[5]
    block = frame[24:24 + annotations_size]
    chunks = []
    while block:
        key, length = struct.unpack("!4sH", block[:6])
        chunks.append((key.decode("ascii"), block[6:6 + length]))
        block = block[6 + length:]
    return fields, chunks, frame[24 + annotations_size:24 + annotations_size + data_size]


def connect_ok(frame, hmac_key=None, metadata=CALC_METADATA):
    """A CONNECTOK answering the given CONNECT frame, in its serializer."""
    fields, _, _ = split_frame(frame)
    flags, seq, ser_id = fields[3], fields[4], fields[6]
    serializer = util.get_serializer_by_id(ser_id)
    if flags & message.FLAGS_META_ON_CONNECT:
        payload, _ = serializer.serializeData({"handshake": "hello", "meta": metadata})
    else:
        payload, _ = serializer.serializeData("hello")
    reply = message.Message(message.MSG_CONNECTOK, payload, ser_id, flags & message.FLAGS_META_ON_CONNECT, seq,
                            hmac_key=hmac_key)
    return reply.to_bytes()


class ReplayServer(object):
    """Accepts one connection and plays the server side of a vector (synthesizing the handshake if the
    vector starts after it). Records every frame the client sent."""

    def __init__(self, vector, hmac_key=None):
        self.vector = vector
        self.hmac_key = hmac_key
        self.received = []
        self.extra = []
        self.error = None
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(SERVER_WAIT)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    def uri(self, object_id):
        return "PYRO:%s@127.0.0.1:%d" % (object_id, self.port)

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except socket.timeout:
            return
        with conn:
            conn.settimeout(SERVER_WAIT)
            try:
                self._play(conn)
                while True:   # anything further the client sends is unexpected
                    frame = read_frame(conn)
                    if frame is None:
                        break
                    self.extra.append(frame)
            except (OSError, ValueError) as x:
                self.error = x

    def _play(self, conn):
        messages = self.vector["messages"]
        if messages and messages[0]["type_name"] != "CONNECT" and messages[0]["direction"] == "client->server":
            frame = read_frame(conn)
            if frame is None:
                return
            conn.sendall(connect_ok(frame, self.hmac_key))
        for entry in messages:
            if entry["direction"] == "client->server":
                frame = read_frame(conn)
                if frame is None:
                    return
                self.received.append(frame)
            else:
                conn.sendall(message_bytes(entry))

    def close(self):
        self.thread.join(SERVER_WAIT)
        self.listener.close()


@pytest.fixture
def replay():
    servers = []

    def start(vector, hmac_key=None):
        server = ReplayServer(vector, hmac_key)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.close()


def assert_client_messages(vector, server):
    """Our requests equal the vector's, apart from what the vector marks as varying."""
    expected = [(i, entry) for i, entry in enumerate(vector["messages"]) if entry["direction"] == "client->server"]
    assert len(server.received) == len(expected), "number of requests differs"
    assert server.extra == []
    for (index, entry), frame in zip(expected, server.received):
        variable = vector["variable"][index]
        fields, chunks, data = split_frame(frame)
        expected_fields, expected_chunks, expected_data = split_frame(message_bytes(entry))
        varying_keys = {item["key"] for item in variable["annotations"]}
        assert [(k, len(v)) for k, v in chunks] == [(k, len(v)) for k, v in expected_chunks]
        for (key, value), (_, expected_value) in zip(chunks, expected_chunks):
            if key not in varying_keys:
                assert value == expected_value, key
        if entry["serializer"] == "marshal":
            assert fields[:5] + fields[6:8] == expected_fields[:5] + expected_fields[6:8]
            assert marshal.loads(data) == marshal.loads(expected_data)
        elif variable["data"]:
            assert fields[:5] + fields[6:8] == expected_fields[:5] + expected_fields[6:8]
        else:
            assert frame[:24].hex() == entry["header_hex"]
            assert data == expected_data


def make_proxy(server, object_id, vector):
    config = vector["config"]
    Pyro4.config.SERIALIZER = config["serializer"]
    Pyro4.config.METADATA = config["metadata"]
    Pyro4.config.COMPRESSION = config["compression"]
    proxy = core.Proxy(server.uri(object_id))
    if config["hmac_key"]:
        proxy._pyroHmacKey = config["hmac_key"]
    if config["client_correlation_id"]:
        core.current_context.correlation_id = uuid.UUID(config["client_correlation_id"])
    return proxy


@pytest.fixture(autouse=True)
def clean_context():
    core.current_context.correlation_id = None
    core.current_context.annotations = {}
    yield
    core.current_context.correlation_id = None
    core.current_context.annotations = {}


def run_vector(replay, name, object_id, scenario, hmac_key=None):
    vector = load_vector(name)
    key = vector["config"]["hmac_key"]
    server = replay(vector, key.encode() if key else hmac_key)
    proxy = make_proxy(server, object_id, vector)
    try:
        outcome = scenario(proxy)
    finally:
        proxy._pyroRelease()
        server.close()
    assert server.error is None
    assert_client_messages(vector, server)
    return proxy, outcome


@pytest.mark.parametrize("ser", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_connect(replay, ser):
    proxy, outcome = run_vector(replay, "connect_" + ser, "example.tiny", lambda p: p._pyroBind())
    assert outcome is True
    assert proxy._pyroMethods == {"ping", "fire"}
    assert proxy._pyroOneway == {"fire"}
    assert proxy._pyroAttrs == {"value"}


def test_connect_with_correlation_id(replay):
    proxy, outcome = run_vector(replay, "connect_serpent_corr", "example.tiny", lambda p: p._pyroBind())
    assert outcome is True and proxy._pyroMethods == {"ping", "fire"}


@pytest.mark.parametrize("ser", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_invoke_and_result(replay, ser):
    # the invoke vector only holds the request; answer it with the result vector's reply
    vector = load_vector("invoke_" + ser)
    vector["messages"].append(load_vector("result_" + ser)["messages"][0])
    vector["variable"].append(load_vector("result_" + ser)["variable"][0])
    server = replay(vector)
    proxy = make_proxy(server, "example.calc", vector)
    try:
        assert proxy.add(1, 2) == 3
        assert proxy._pyroSeq == 1
        assert set(core.current_context.response_annotations) == {"CORR"}
    finally:
        proxy._pyroRelease()
        server.close()
    assert_client_messages(vector, server)


@pytest.mark.parametrize("ser", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_invoke_kwargs(replay, ser):
    value = {"name": "h\u00e9llo", "items": [1, 2.5, None, True], "tup": (1, "two")}
    _, outcome = run_vector(replay, "invoke_kwargs_" + ser, "example.calc", lambda p: p.echo(x=value))
    assert outcome["name"] == "h\u00e9llo" and list(outcome["tup"]) == [1, "two"]


def test_custom_annotations(replay):
    seen = []

    def scenario(proxy):
        proxy.__dict__["_pyroResponseAnnotations"] = lambda annotations, msgtype: seen.append((dict(annotations), msgtype))
        core.current_context.annotations = {"XTRA": b"custom-bytes"}
        return proxy.annotated("a")
    _, outcome = run_vector(replay, "annotations_custom_serpent", "example.calc", scenario)
    assert outcome == "a"
    assert core.current_context.response_annotations["XRSP"] == b"reply-bytes"
    assert core.current_context.response_annotations["CORR"] == FIXED_CORR.bytes
    assert core.current_context.annotations == {}   # context annotations apply to one call only
    assert seen == [({"XRSP": b"reply-bytes", "CORR": FIXED_CORR.bytes}, message.MSG_RESULT)]


def test_hmac(replay):
    proxy, outcome = run_vector(replay, "hmac_serpent", "example.tiny", lambda p: p.ping())
    assert outcome == "pong"


def test_hmac_with_annotations(replay):
    def scenario(proxy):
        core.current_context.annotations = {"XTRA": b"custom-bytes"}
        return proxy.annotated("a")
    _, outcome = run_vector(replay, "hmac_annotations_serpent", "example.calc", scenario)
    assert outcome == "a"


def test_oneway(replay):
    def scenario(proxy):
        assert proxy.fire("x") is None
        return proxy.add(2, 3)
    _, outcome = run_vector(replay, "oneway_serpent", "example.calc", scenario)
    assert outcome == 5


@pytest.mark.parametrize("ser", ["serpent", "json", "msgpack", "pickle"])
def test_batch(replay, ser):
    def scenario(proxy):
        batch = core.batch(proxy)
        batch.add(1, 2)
        batch.echo("x")
        batch.div(1, 0)
        batch.add(3, 4)
        results = batch()
        collected = [next(results), next(results)]
        with pytest.raises(ZeroDivisionError):
            next(results)
        with pytest.raises(StopIteration):
            next(results)
        return collected
    _, outcome = run_vector(replay, "batch_" + ser, "example.calc", scenario)
    assert outcome == [3, "x"]


def test_batch_oneway(replay):
    def scenario(proxy):
        batch = core.batch(proxy)
        batch.add(1, 2)
        batch.echo("y")
        return batch(oneway=True)
    _, outcome = run_vector(replay, "batch_oneway_serpent", "example.calc", scenario)
    assert outcome is None


def test_blob(replay):
    scenario = lambda p: p.blob(core.SerializedBlob("blobinfo", ("a", 1)))   # noqa: E731
    _, outcome = run_vector(replay, "blob_serpent", "example.calc", scenario)
    assert outcome == ["blobinfo", ("a", 1)]


def test_compression(replay):
    _, outcome = run_vector(replay, "compression_serpent", "example.calc", lambda p: p.echo("x" * 300))
    assert outcome == "x" * 300


def test_stream(replay):
    def scenario(proxy):
        iterator = proxy.gen(3)
        assert isinstance(iterator, core._StreamResultIterator)
        assert iterator.streamId == "a5cacda0-ca51-424d-8edc-071a195c6817"
        items = list(iterator)
        assert list(iterator) == []
        return items
    _, outcome = run_vector(replay, "stream_serpent", "example.calc", scenario)
    assert outcome == [0, 1, 2]


def test_stream_close(replay):
    def scenario(proxy):
        iterator = proxy.gen(5)
        first = next(iterator)
        iterator.close()
        iterator.close()
        with pytest.raises(StopIteration):
            next(iterator)
        return first
    _, outcome = run_vector(replay, "stream_close_serpent", "example.calc", scenario)
    assert outcome == 0


def test_seq_wrap(replay):
    def scenario(proxy):
        proxy._pyroBind()
        proxy._pyroSeq = 65535
        return proxy.add(1, 1), proxy.add(2, 2), proxy._pyroSeq
    _, outcome = run_vector(replay, "seq_wrap_serpent", "example.calc", scenario)
    assert outcome == (2, 4, 1)


@pytest.mark.parametrize("ser", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_remote_exception(replay, ser):
    def scenario(proxy):
        with pytest.raises(ZeroDivisionError) as excinfo:
            proxy.div(1, 0)
        assert proxy._pyroConnection is not None   # a remote exception keeps the connection
        return excinfo.value
    _, error = run_vector(replay, "exception_" + ser, "example.calc", scenario)
    assert "".join(error._pyroTraceback).endswith("ZeroDivisionError: division by zero\n")
    assert "Remote traceback" in "".join(util.getPyroTraceback(type(error), error, error.__traceback__))


@pytest.mark.parametrize("ser", ["serpent", "json"])
def test_remote_custom_exception_unsupported(replay, ser):
    def scenario(proxy):
        with pytest.raises(errors.SerializeError) as excinfo:
            proxy.custom()
        assert proxy._pyroConnection is None   # a communication error drops the connection
        return str(excinfo.value)
    _, text = run_vector(replay, "exception_custom_" + ser, "example.calc", scenario)
    assert text == "unsupported serialized class: vecobjs.CustomError"


def test_attribute_errors_without_metadata(replay):
    def scenario(proxy):
        with pytest.raises(AttributeError) as first:
            proxy._private()
        with pytest.raises(AttributeError) as second:
            proxy.nosuchmethod()
        return str(first.value), str(second.value)
    _, outcome = run_vector(replay, "exception_attribute_serpent", "example.calc", scenario)
    assert outcome == ("attempt to access private attribute '_private'",
                       "'Calc' object has no attribute 'nosuchmethod'")


def test_unknown_object(replay):
    def scenario(proxy):
        with pytest.raises(errors.DaemonError) as excinfo:
            proxy.anything(1)
        return str(excinfo.value)
    _, outcome = run_vector(replay, "exception_unknown_object_serpent", "no.such.object", scenario)
    assert outcome == "unknown object"


def test_serializer_switch_rejected(replay):
    def scenario(proxy):
        proxy._pyroSerializer = "serpent"
        proxy._pyroBind()
        proxy._pyroSerializer = "pickle"
        with pytest.raises(errors.SerializeError) as excinfo:
            proxy.add(1, 2)
        assert proxy._pyroConnection is None
        return str(excinfo.value)
    _, outcome = run_vector(replay, "exception_serializer_rejected", "example.calc", scenario)
    assert outcome == "message used serializer that is not accepted: 4"


@pytest.mark.parametrize("ser", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_metadata_fetched_explicitly(replay, ser):
    def scenario(proxy):
        proxy._pyroBind()
        assert proxy._pyroMethods == set()
        proxy._pyroGetMetadata()
    proxy, _ = run_vector(replay, "metadata_" + ser, "example.tiny", scenario)
    assert proxy._pyroMethods == {"ping", "fire"} and proxy._pyroOneway == {"fire"}
    assert proxy._pyroAttrs == {"value"}


@pytest.mark.parametrize("ser", ["serpent", "json", "msgpack", "pickle"])
def test_attributes(replay, ser):
    def scenario(proxy):
        first = proxy.value
        proxy.value = 5 if ser == "serpent" else 9
        if ser == "serpent":
            return first, proxy.value
        return first, None
    _, outcome = run_vector(replay, "attributes_" + ser, "example.calc", scenario)
    assert outcome == (7, 5) if ser == "serpent" else outcome[0] in (5, 9)


def test_daemon_object(replay):
    def scenario(proxy):
        return proxy.ping(), proxy.registered(), proxy.info(), proxy.get_metadata("example.item")
    proxy, outcome = run_vector(replay, "daemon_object_serpent", "Pyro.Daemon", scenario)
    assert proxy._pyroMethods == {"close_stream", "registered", "get_next_stream_item", "ping", "get_metadata",
                                  "info"}
    assert outcome[0] is None and "Pyro.Daemon" in outcome[1]
    assert outcome[3] == {"methods": {"name"}, "oneway": (), "attrs": ()}


@pytest.mark.parametrize("ser", ["serpent", "json", "msgpack", "pickle"])
def test_autoproxy_result(replay, ser):
    _, outcome = run_vector(replay, "autoproxy_" + ser, "example.factory_" + ser, lambda p: p.get())
    assert isinstance(outcome, core.Proxy)
    assert outcome._pyroUri.object == "example.item_" + ser
    assert outcome._pyroMethods == {"name"}
    assert outcome._pyroConnection is None


@pytest.mark.parametrize("name, expected", [
    ("connectfail_serializer_pickle", "rejected: message used serializer that is not accepted: 4"),
    ("connectfail_serializer_json", "rejected: message used serializer that is not accepted: 2"),
    ("connectfail_unknown_object", "rejected: unknown object"),
])
def test_connect_rejected(replay, name, expected):
    vector = load_vector(name)
    server = replay(vector)
    proxy = make_proxy(server, "example.tiny", vector)
    with pytest.raises(errors.CommunicationError) as excinfo:
        proxy._pyroBind()
    server.close()
    assert type(excinfo.value) is errors.CommunicationError
    assert str(excinfo.value) == "connection to ('127.0.0.1', %d) %s" % (server.port, expected)
    assert proxy._pyroConnection is None


@pytest.mark.parametrize("name, proxy_key, expected", [
    ("connectfail_hmac_mismatch", b"wrong-key", "message hmac mismatch"),
    ("connectfail_hmac_missing", None, "hmac key config not symmetric"),
])
def test_connect_hmac_problems(replay, name, proxy_key, expected):
    vector = load_vector(name)
    server = replay(vector)
    proxy = make_proxy(server, "example.tiny", vector)
    proxy._pyroHmacKey = proxy_key
    with pytest.raises(errors.CommunicationError) as excinfo:
        proxy._pyroBind()
    server.close()
    assert type(excinfo.value) is errors.CommunicationError
    assert str(excinfo.value) == "cannot connect to ('127.0.0.1', %d): %s" % (server.port, expected)
    assert isinstance(excinfo.value.__cause__, errors.SecurityError)
