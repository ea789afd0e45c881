"""Hostile input against a live daemon on 127.0.0.1, on both server types.

Every case gets the reply WIRE.md 4.13 specifies (or a connection closed without one), nothing
unexposed is reached or run, and afterwards a good client is still served: the ``daemon`` fixture
checks that after every test. The byte-exact replays of the captured ``badinput_*`` vectors are in
test_wire_exchanges.py; this file covers the variations and the attacks those captures don't.
"""

import marshal
import pickle
import random
import socket
import struct
import sys
import uuid

import pytest
import serpent
from fuzz import wire_oracles as oracles
from fuzz.wire_oracles import frame_bytes
from server_helpers import SERVERTYPES, decode, serving

import Pyro4
from Pyro4 import _message_py, core, errors, message, socketutil, util
from Pyro4.configuration import config

KEY = b"daemon-secret"
SIDE_EFFECTS = []  # filled by anything a hostile client must never get to run


class Canary(object):
    """Named by hostile class tags; a decoder must never create one."""

    created = 0

    def __new__(cls, *args, **kwargs):
        Canary.created += 1
        return super(Canary, cls).__new__(cls)


def pickle_canary():
    SIDE_EFFECTS.append("unpickled")


class PickleBomb(object):
    def __reduce__(self):
        return pickle_canary, ()


class Helper(object):
    def run(self):
        SIDE_EFFECTS.append("helper.run")


@Pyro4.expose
class Target(object):
    def __init__(self):
        self._secret = "secret"
        self.helper = Helper()

    def echo(self, x):
        return x

    def kinds(self, *args, **kwargs):
        values = list(args) + [kwargs[k] for k in sorted(kwargs)]
        return [type(value).__module__ + "." + type(value).__name__ for value in values]

    def unconnected(self, proxy):
        return proxy._pyroConnection is None

    def seen_annotations(self):
        return sorted(core.current_context.annotations)

    def blob(self, b):
        return b.info

    def _private(self):
        SIDE_EFFECTS.append("_private")

    def __mangled(self):
        SIDE_EFFECTS.append("__mangled")

    def __dunder__(self):
        return "public dunder"

    @property
    def _hidden(self):
        SIDE_EFFECTS.append("_hidden")
        return "hidden"

    @property
    def visible(self):
        return "visible"


@pytest.fixture(scope="module", params=SERVERTYPES)
def live_daemon(request):
    """One live daemon per server type for the whole module (starting one per test costs more than most tests)."""
    config.SERVERTYPE = request.param
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(Target(), "target")
    with serving(daemon):
        yield daemon
    config.reset(False)


@pytest.fixture
def daemon(live_daemon):
    """The live daemon, fresh state; after the test a good client must still be served."""
    del SIDE_EFFECTS[:]
    Canary.created = 0
    live_daemon._pyroHmacKey = None
    live_daemon.objectsById["target"] = target = Target()
    yield live_daemon
    with Pyro4.Proxy(live_daemon.uriFor("target")) as good:
        good._pyroHmacKey = live_daemon._pyroHmacKey
        assert good.echo("still serving") == "still serving"
    assert SIDE_EFFECTS == [] and Canary.created == 0
    assert type(target) is Target and target._secret == "secret"
    live_daemon._pyroHmacKey = None


def connect_frame(serializer_id=1, seq=0, annotations=None, key=None, payload=None, msg_type=message.MSG_CONNECT):
    if payload is None:
        payload = util.get_serializer_by_id(serializer_id).dumps({"handshake": "hello"})
    return frame_bytes(msg_type, 0, seq, serializer_id, payload, annotations or {}, key)


def invoke_frame(
    method="echo",
    vargs=("x",),
    kwargs=None,
    serializer="serpent",
    seq=1,
    flags=0,
    annotations=None,
    key=None,
    object_id="target",
):
    ser = util.get_serializer(serializer)
    payload = ser.dumpsCall(object_id, method, vargs, kwargs or {})
    return frame_bytes(message.MSG_INVOKE, flags, seq, ser.serializer_id, payload, annotations or {}, key)


def serpent_call(*call):
    """A serpent INVOKE payload written by the serpent library itself (no Pyro class_to_dict)."""
    return serpent.dumps(tuple(call), module_in_classname=True)


def raw_invoke(payload, serializer_id=1, seq=1, flags=0, annotations=None, key=None):
    return frame_bytes(message.MSG_INVOKE, flags, seq, serializer_id, payload, annotations or {}, key)


def with_header_field(frame, offset, fmt, value, fix_checksum=True):
    """The frame with one header field replaced (checksum recomputed unless told not to)."""
    frame = bytearray(frame)
    struct.pack_into(fmt, frame, offset, value)
    if fix_checksum:
        fields = struct.unpack("!4sHHHHiHHHH", bytes(frame[:24]))
        checksum = fields[2] + fields[1] + fields[5] + fields[7] + fields[6] + fields[3] + fields[4] + 0x34E9
        struct.pack_into("!H", frame, 22, checksum & 0xFFFF)
    return bytes(frame)


class Client(object):
    """A raw socket client of the daemon."""

    def __init__(self, daemon, handshake=False, key=None):
        self.sock = socket.create_connection(daemon.sock.getsockname()[:2], timeout=5)
        self.conn = socketutil.SocketConnection(self.sock)
        self.key = key
        if handshake:
            self.sock.sendall(connect_frame(key=key))
            assert self.reply().type == message.MSG_CONNECTOK

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        return message.Message.recv(self.conn, None, hmac_key=self.key)

    def closed_without_reply(self):
        return self.rest() == b""

    def rest(self):
        return oracles.read_until_closed(self.sock)

    def close(self):
        self.sock.close()


@pytest.fixture
def client(daemon):
    clients = []

    def make(handshake=False, key=None):
        clients.append(Client(daemon, handshake, key))
        return clients[-1]

    yield make
    for c in clients:
        c.close()


def assert_connectfail(client, reason, serializer_id=3, seq=0):
    reply = client.reply()
    assert (reply.type, reply.serializer_id, reply.seq) == (message.MSG_CONNECTFAIL, serializer_id, seq)
    assert decode(reply) == reason
    assert client.closed_without_reply()


def assert_still_open(client, seq=100):
    """The server kept the connection: a good call on it is answered."""
    client.send(invoke_frame("echo", ("open",), seq=seq, key=client.key))
    reply = client.reply()
    assert reply.seq == seq and decode(reply) == "open"


def exception_reply(client):
    reply = client.reply()
    assert reply.type == message.MSG_RESULT and reply.flags & message.FLAGS_EXCEPTION
    return decode(reply)


# --- the first message -------------------------------------------------------------------------

FIRST_MESSAGE_CASES = {
    "bad tag": (with_header_field(connect_frame(), 0, "4s", b"PYRX"), "invalid data or unsupported protocol version"),
    "old version": (with_header_field(connect_frame(), 4, "!H", 47), "invalid data or unsupported protocol version"),
    "future version": (with_header_field(connect_frame(), 4, "!H", 49), "invalid data or unsupported protocol version"),
    "bad checksum": (with_header_field(connect_frame(), 22, "!H", 1, False), "header checksum mismatch"),
    "negative size": (with_header_field(connect_frame(), 12, "!i", -5), "invalid data size in header: -5"),
    "not pyro": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "invalid data or unsupported protocol version"),
    # a chunk that claims 100 value bytes in a 10-byte block
    "corrupt annotations": (_message_py.encode_header(48, 1, 0, 0, 0, 1, 10) + b"CORR\x00\x64abcd", None),
    "hmac without key": (connect_frame(key=b"client-key"), "hmac key config not symmetric"),
}


@pytest.mark.parametrize("case", sorted(FIRST_MESSAGE_CASES))
def test_first_message_refused(client, case):
    frame, reason = FIRST_MESSAGE_CASES[case]
    c = client()
    c.send(frame)
    if reason is None:  # a frame whose checksum is valid but whose annotation block is not
        reply = c.reply()
        assert reply.type == message.MSG_CONNECTFAIL
        assert decode(reply).startswith("corrupt annotations block at offset 0")
        assert c.closed_without_reply()
    else:
        assert_connectfail(c, reason)


@pytest.mark.parametrize("msg_type", [0, 2, 3, 4, 5, 6, 7, 65535])
def test_first_message_of_wrong_type(client, msg_type):
    c = client()
    c.send(connect_frame(msg_type=msg_type, seq=9))
    assert_connectfail(c, "invalid msg type %d received" % msg_type)


@pytest.mark.parametrize("serializer_id", [0, 4, 5, 6, 7, 8, 42, 99, 65535])
def test_first_message_with_unaccepted_serializer(client, serializer_id):
    c = client()
    c.send(with_header_field(connect_frame(seq=7), 16, "!H", serializer_id))
    assert_connectfail(c, "message used serializer that is not accepted: %d" % serializer_id, seq=7)


@pytest.mark.parametrize(
    "payload,reason_start",
    [
        (b"# serpent utf-8 python3.2\n(((", None),
        (serpent.dumps(42), "'int' object is not subscriptable"),
        (serpent.dumps({"nohandshake": 1}), "'handshake'"),
        (serpent.dumps({"handshake": "hello", "object": "nosuchobject"}), "unknown object"),
        (serpent.dumps({"handshake": "hello", "object": ["target"]}), "unhashable type: 'list'"),
        (serpent.dumps({"__class__": "os.system", "handshake": "x"}), "unsupported serialized class: os.system"),
        (serpent.dumps({"__class__": "__main__.Evil"}), "refused to deserialize types with double underscores"),
    ],
)
def test_bad_handshake_payload(client, payload, reason_start):
    if reason_start is None:  # a syntax error, whose text depends on the Python version
        with pytest.raises(SyntaxError) as excinfo:
            util.get_serializer("serpent").loads(payload)
        reason_start = str(excinfo.value)
    c = client()
    flags = message.FLAGS_META_ON_CONNECT if b"object" in payload else 0
    c.send(frame_bytes(message.MSG_CONNECT, flags, 3, 1, payload, {}))
    reply = c.reply()
    assert (reply.type, reply.serializer_id, reply.seq) == (message.MSG_CONNECTFAIL, 1, 3)
    assert decode(reply).startswith(reason_start)
    assert c.closed_without_reply()


def test_bad_correlation_id_on_connect(client):
    c = client()
    c.send(connect_frame(annotations={"CORR": b"short"}))
    assert_connectfail(c, "bytes is not a 16-char string")  # set before the serializer is taken (as 4.82)


# --- messages after the handshake ----------------------------------------------------------------

LATER_DROPPED = {
    "bad tag": with_header_field(invoke_frame(), 0, "4s", b"XYRO"),
    "bad version": with_header_field(invoke_frame(), 4, "!H", 47),
    "bad checksum": with_header_field(invoke_frame(), 22, "!H", 0, False),
    "negative size": with_header_field(invoke_frame(), 12, "!i", -1),
    "second connect": connect_frame(),
    "type 0": with_header_field(invoke_frame(), 6, "!H", 0),
    "type connectok": with_header_field(invoke_frame(), 6, "!H", 2),
    "type result": with_header_field(invoke_frame(), 6, "!H", 5),
    "type 99": with_header_field(invoke_frame(), 6, "!H", 99),
    "serializer 0": with_header_field(invoke_frame(), 16, "!H", 0),
    "serializer 99": with_header_field(invoke_frame(), 16, "!H", 99),
    "corrupt annotations": _message_py.encode_header(48, 4, 0, 1, 0, 1, 7) + b"CORR\x00\x09x",
    "hmac without key": invoke_frame(key=b"client-key"),
    # its error reply would need a serializer, and 42 (the ping payload id) is none
    "ping with bad corr": frame_bytes(message.MSG_PING, 0, 0, 42, b"ping", {"CORR": b"x"}),
}


@pytest.mark.parametrize("case", sorted(LATER_DROPPED))
def test_later_message_dropped(client, case):
    c = client(handshake=True)
    c.send(LATER_DROPPED[case])
    assert c.closed_without_reply()


@pytest.mark.parametrize("serializer", ["pickle", "dill", "cloudpickle", "msgpack"])
def test_later_installed_but_unaccepted_serializer(client, serializer):
    ser = util.get_serializer(serializer)
    payload = (
        pickle.dumps(("target", "echo", (PickleBomb(),), {}))
        if serializer != "msgpack"
        else ser.dumpsCall("target", "echo", ("x",), {})
    )
    c = client(handshake=True)
    c.send(raw_invoke(payload, serializer_id=ser.serializer_id, seq=4))
    error = exception_reply(c)
    assert isinstance(error, errors.SerializeError)
    assert str(error) == "message used serializer that is not accepted: %d" % ser.serializer_id
    assert c.closed_without_reply()
    assert SIDE_EFFECTS == []  # the pickle was never loaded


def test_compressed_flag_on_garbage(client):
    c = client(handshake=True)
    c.send(raw_invoke(b"not a zlib stream", flags=message.FLAGS_COMPRESSED))
    error = exception_reply(c)
    assert isinstance(error, errors.SerializeError) and str(error).startswith("invalid compressed data")
    assert c.closed_without_reply()


@pytest.mark.parametrize("method", ["_private", "__mangled", "helper.run", "nosuch", "__init__"])
def test_oneway_call_to_a_refused_name_runs_nothing_and_answers_nothing(client, method):
    c = client(handshake=True)
    c.send(invoke_frame(method, (), seq=1, flags=message.FLAGS_ONEWAY))
    assert_still_open(c, seq=2)  # the first reply on the connection is the one for seq 2


def test_bad_correlation_id_later_is_an_error_reply(client):
    c = client(handshake=True)
    c.send(invoke_frame(annotations={"CORR": b"\x00" * 17}))
    assert str(exception_reply(c)) == "bytes is not a 16-char string"
    assert_still_open(c)


# --- truncated and oversize frames -------------------------------------------------------------


@pytest.mark.parametrize("stage", ["first", "later"])
@pytest.mark.parametrize("cut", [1, 4, 12, 23, 24, 26, 40, -1])
def test_truncated_frame_is_a_disconnect(client, stage, cut):
    c = client(handshake=stage == "later")
    frame = (
        connect_frame(annotations={"XTRA": b"x" * 10})
        if stage == "first"
        else invoke_frame(annotations={"XTRA": b"x" * 10})
    )
    c.send(frame[:cut])
    c.sock.shutdown(socket.SHUT_WR)
    assert c.closed_without_reply()


@pytest.mark.parametrize("stage", ["first", "later"])
def test_huge_claimed_size_then_disconnect(client, stage):
    c = client(handshake=stage == "later")
    frame = with_header_field(connect_frame() if stage == "first" else invoke_frame(), 12, "!i", 0x7FFFFFFF)
    c.send(frame + b"x" * 100000)
    c.sock.shutdown(socket.SHUT_WR)
    assert c.closed_without_reply()


@pytest.mark.parametrize("stage", ["first", "later"])
def test_over_max_message_size_is_dropped_unread(client, stage):
    c = client(handshake=stage == "later")
    config.MAX_MESSAGE_SIZE = 1000
    c.send(with_header_field(connect_frame() if stage == "first" else invoke_frame(), 12, "!i", 5000))
    assert c.closed_without_reply()  # the server closes first: the client never half-closed
    config.MAX_MESSAGE_SIZE = 0


def test_largest_annotation_block_is_served(client):
    # one chunk of 65529 value bytes: the whole block is 65535 bytes, the uint16 maximum
    chunk = {"XBIG": b"a" * 65529}
    c = client()
    c.send(connect_frame(annotations=chunk))
    assert c.reply().type == message.MSG_CONNECTOK
    many = {"X%03d" % i: bytes([i % 256]) * 249 for i in range(255)}
    many["LAST"] = b"z" * (65535 - 255 * 255 - 6)
    assert message.Message(message.MSG_INVOKE, b"", 1, 0, 1, annotations=many).annotations_size == 65535
    c.send(invoke_frame("seen_annotations", (), annotations=many))
    assert decode(c.reply()) == sorted(many)


# --- HMAC ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_key,reason", [(b"wrong", "message hmac mismatch"), (None, "hmac key config not symmetric")]
)
def test_hmac_refused_at_connect(daemon, client, client_key, reason):
    daemon._pyroHmacKey = KEY
    c = client()
    c.send(connect_frame(key=client_key))
    c.key = KEY  # the CONNECTFAIL is signed with the daemon's own key
    assert_connectfail(c, reason)


@pytest.mark.parametrize("case", ["wrong key", "no hmac", "tampered payload", "tampered annotation"])
def test_hmac_problem_later_closes_without_reply(daemon, client, case):
    daemon._pyroHmacKey = KEY
    c = client(handshake=True, key=KEY)
    frame = invoke_frame(
        key=b"wrong" if case == "wrong key" else (None if case == "no hmac" else KEY), annotations={"XTRA": b"abc"}
    )
    if case == "tampered payload":
        frame = frame.replace(b"'x'", b"'y'")
    elif case == "tampered annotation":
        frame = frame.replace(b"XTRA\x00\x03abc", b"XTRA\x00\x03abd")
    c.send(frame)
    assert c.closed_without_reply()


# --- names a remote caller may not use ---------------------------------------------------------

PRIVATE = "attempt to access private attribute '%s'"
UNEXPOSED = "attempt to access unexposed attribute '%s'"
NO_ATTRIBUTE = "'Target' object has no attribute '%s'"

METHOD_NAMES = {
    "_private": PRIVATE,
    "__mangled": PRIVATE,
    "_Target__mangled": PRIVATE,
    "__init__": PRIVATE,
    "__class__": PRIVATE,
    "__reduce_ex__": PRIVATE,
    "__getattribute__": PRIVATE,
    "__delattr__": PRIVATE,
    "__call__": PRIVATE,
    "_": PRIVATE,
    "__": PRIVATE,
    "___": PRIVATE,
    "_pyroId": PRIVATE,
    "_secret": PRIVATE,
    "_hidden": PRIVATE,
    "_private.__call__": PRIVATE,
    "__dict__": UNEXPOSED,
    "helper": UNEXPOSED,
    "__module__": PRIVATE,
    "__weakref__": PRIVATE,
    "helper.run": NO_ATTRIBUTE,
    "__class__.__init__": NO_ATTRIBUTE,
    "echo.__globals__": NO_ATTRIBUTE,
    "echo.__call__": NO_ATTRIBUTE,
    "": NO_ATTRIBUTE,
    "nosuchmethod": NO_ATTRIBUTE,
}


@pytest.fixture
def target_proxy(daemon):
    with Pyro4.Proxy(daemon.uriFor("target")) as proxy:
        proxy._pyroBind()
        yield proxy


@pytest.mark.parametrize("name", sorted(METHOD_NAMES))
def test_method_names_refused(target_proxy, name):
    with pytest.raises(AttributeError) as excinfo:
        target_proxy._pyroInvoke(name, (), {})
    assert str(excinfo.value) == METHOD_NAMES[name] % name
    assert target_proxy.echo(1) == 1  # an error reply: the connection stays usable


def test_public_dunder_method_is_callable(target_proxy):
    assert target_proxy._pyroInvoke("__dunder__", (), {}) == "public dunder"


@pytest.mark.parametrize("name", [42, None, ["echo"], {"a": 1}, 1.5])
def test_non_string_method_names(client, name):
    c = client(handshake=True)
    c.send(raw_invoke(serpent_call("target", name, (), {})))
    error = exception_reply(c)
    assert isinstance(error, AttributeError) and str(error).startswith("attribute name must be a string")
    assert_still_open(c)


@pytest.mark.parametrize(
    "name",
    [
        "_hidden",
        "_secret",
        "__dict__",
        "__class__",
        "helper",
        "echo",
        "nosuch",
        "visible.x",
        "_pyroDaemon",
        "__module__",
    ],
)
def test_remote_getattr_refused(target_proxy, name):
    with pytest.raises(AttributeError):
        target_proxy._pyroInvoke("__getattr__", (name,), None)
    assert target_proxy._pyroInvoke("__getattr__", ("visible",), None) == "visible"


@pytest.mark.parametrize("name", ["_hidden", "_secret", "__dict__", "__class__", "helper", "visible", "echo"])
def test_remote_setattr_refused(daemon, target_proxy, name):
    target = daemon.objectsById["target"]
    with pytest.raises(AttributeError):
        target_proxy._pyroInvoke("__setattr__", (name, {"_secret": "pwned"}), None)
    assert type(target) is Target and target._secret == "secret" and isinstance(target.helper, Helper)


@pytest.mark.parametrize("vargs", [(), [], None, 42, ("a", "b", "c")])
def test_remote_attribute_calls_with_bad_arguments(client, vargs):
    for method in ("__getattr__", "__setattr__"):
        c = client(handshake=True)
        c.send(raw_invoke(serpent_call("target", method, vargs, None)))
        assert isinstance(exception_reply(c), (AttributeError, IndexError, TypeError))
        assert_still_open(c)


def test_batch_with_a_private_name_is_refused_whole(target_proxy):
    calls = [("echo", (1,), {}), ("_private", (), {}), ("echo", (2,), {})]
    with pytest.raises(AttributeError, match="private attribute '_private'"):
        target_proxy._pyroInvoke("<batch>", calls, None, message.FLAGS_BATCH)


@pytest.mark.parametrize("calls", [42, [42], [("echo",)], [(1, (), {})]])
def test_batch_of_garbage(client, calls):
    c = client(handshake=True)
    c.send(raw_invoke(serpent_call("target", "<batch>", calls, None), flags=message.FLAGS_BATCH))
    assert isinstance(exception_reply(c), (TypeError, ValueError, AttributeError))
    assert_still_open(c)


@pytest.mark.parametrize("call", [("echo", 5, {}), ("echo", (), 5), ("echo", (1, 2), {}), ("echo", (), {"y": 1})])
def test_batch_entry_with_bad_arguments_ends_the_batch(client, call):
    c = client(handshake=True)
    c.send(
        raw_invoke(
            serpent_call("target", "<batch>", [("echo", (1,), {}), call, ("echo", (3,), {})], None),
            flags=message.FLAGS_BATCH,
        )
    )
    reply = c.reply()
    assert reply.flags == message.FLAGS_BATCH
    first, wrapped = decode(reply)
    assert first == 1 and isinstance(wrapped.exception, TypeError)
    assert_still_open(c)


@pytest.mark.parametrize("name", ["daemon", "_pyroDaemon", "__init__", "__dict__", "daemon.shutdown"])
def test_daemon_object_internals_refused(daemon, name):
    with Pyro4.Proxy(daemon.uriFor(core.constants.DAEMON_NAME)) as proxy:
        with pytest.raises(AttributeError):
            proxy._pyroInvoke(name, (), {})
        assert "target" in proxy.registered()


# --- class tags in payloads ----------------------------------------------------------------------

UNSUPPORTED = [
    "os.system",
    "subprocess.Popen",
    "builtins.eval",
    "builtins.object",
    "test_hostile_daemon.Canary",
    "Canary",
    "Pyro4.naming.NameServer",
    "Pyro4.core.SerializedBlob",
    "collections.OrderedDict",
    "sqlite3.Connection",
    "Pyro4.errors.Nonexistent",
]
DUNDER = ["__main__.Evil", "builtins.__import__", "os.__dict__", "Pyro4.core.__class__"]


def class_tag_payload(serializer, document):
    if serializer == "serpent":
        return serpent_call("target", "kinds", ("ok", [document]), {})
    if serializer == "json":
        return util.json.dumps(
            {"object": "target", "method": "kinds", "params": ["ok", [document]], "kwargs": {}}
        ).encode()
    return marshal.dumps(("target", "kinds", ("ok", [document]), {}))


@pytest.mark.parametrize("serializer", ["serpent", "json", "marshal"])
@pytest.mark.parametrize("tag", UNSUPPORTED + DUNDER)
def test_class_tags_build_nothing(client, serializer, tag):
    c = client(handshake=True)
    document = {"__class__": tag, "__exception__": True, "args": ["rm -rf /"], "attributes": {}, "state": ("x",)}
    c.send(raw_invoke(class_tag_payload(serializer, document), util.get_serializer(serializer).serializer_id))
    error = exception_reply(c)
    if tag in DUNDER:
        assert isinstance(error, errors.SecurityError)
        assert str(error) == "refused to deserialize types with double underscores in their name: " + tag
    else:
        assert isinstance(error, errors.SerializeError) and str(error) == "unsupported serialized class: " + tag
    assert c.closed_without_reply()  # a SerializeError/SecurityError reply ends the connection


@pytest.mark.parametrize(
    "document,expected",
    [
        ({"__class__": "Pyro4.core.Daemon", "state": ()}, "Pyro4.core.Daemon"),
        ({"__class__": "Pyro4.core.URI", "state": ("PYRO", "x", None, "127.0.0.1", 9)}, "Pyro4.core.URI"),
        (
            {"__class__": "builtins.ValueError", "__exception__": True, "args": ["v"], "attributes": {"a": 1}},
            "builtins.ValueError",
        ),
        ({"__class__": "float", "value": "nan"}, "builtins.float"),
    ],
)
def test_documented_class_tags_are_rebuilt(client, document, expected):
    c = client(handshake=True)
    c.send(raw_invoke(serpent_call("target", "kinds", (document,), {})))
    assert decode(c.reply()) == [expected]


def test_received_proxy_is_never_connected(target_proxy):
    with socket.create_server(("127.0.0.1", 0)) as bait:
        state = ("PYRO:bait@127.0.0.1:%d" % bait.getsockname()[1], (), ("run",), (), 0.0, None, "hello", 0, None)
        document = {"__class__": "Pyro4.core.Proxy", "state": state}
        assert target_proxy._pyroInvoke("unconnected", (document,), {}) is True


@pytest.mark.parametrize(
    "payload",
    [
        # too deep for the parser: a SyntaxError, on 3.8 a MemoryError
        b"# serpent utf-8 python3.2\n('target','echo',(" + b"[" * 2000 + b"]" * 2000 + b",),{})",
        b"# serpent utf-8 python3.2\n('target','echo',(__import__('os').system('true'),),{})",
        b"# serpent utf-8 python3.2\n('target','echo',(lambda: 1,),{})",
        b"\x00" * 30,
        "# serpent utf-8 python3.2\n('target','echo',('\udcff',),{})".encode("utf-8", "surrogatepass"),
    ]
    + (
        [b"# serpent utf-8 python3.2\n('target','echo',(" + b"9" * 5000 + b",),{})"]
        if hasattr(sys, "set_int_max_str_digits")
        else []
    ),
)  # the int digit limit (3.11, and security releases)
def test_serpent_payloads_that_do_not_parse(client, payload):
    c = client(handshake=True)
    c.send(raw_invoke(payload))
    reply = c.reply()
    assert reply.flags & message.FLAGS_EXCEPTION
    # read as plain data: a UnicodeDecodeError can't be rebuilt from its args by a client (nor in 4.82)
    error_class = serpent.loads(reply.data)["__class__"]
    assert error_class in (
        "builtins.SyntaxError",
        "builtins.ValueError",
        "builtins.UnicodeDecodeError",
        "builtins.MemoryError",
    )
    assert_still_open(c)  # a payload that fails to decode gets an error reply; the connection stays


# --- SerializedBlob calls (KEEPSERIALIZED, BLBI annotation) -----------------------------------------


@pytest.mark.parametrize(
    "blbi,error_type",
    [
        (None, KeyError),
        (b"\xff\x00garbage", ValueError),
        (marshal.dumps(("info", "target")), ValueError),
        (marshal.dumps(("info", "target", "_private")), AttributeError),
        (marshal.dumps(("info", "nosuchobject", "blob")), errors.DaemonError),
        (marshal.dumps(("info", "target", 42)), AttributeError),
    ],
)
def test_bad_blob_info(client, blbi, error_type):
    c = client(handshake=True)
    annotations = {"BLBI": blbi} if blbi is not None else {}
    c.send(
        raw_invoke(
            serpent_call("target", "blob", ("a",), {}), flags=message.FLAGS_KEEPSERIALIZED, annotations=annotations
        )
    )
    assert isinstance(exception_reply(c), error_type)
    assert_still_open(c)


@pytest.mark.parametrize("claimed", [2**31 - 1, 2**26])
def test_blob_info_claiming_a_huge_container_is_refused(client, claimed):
    # marshal would allocate (and for a tuple fill) claimed * 8 bytes before finding the data short
    c = client(handshake=True)
    blbi = b"(" + struct.pack("<i", claimed) + b"N"
    c.send(
        raw_invoke(
            serpent_call("target", "blob", ("a",), {}), flags=message.FLAGS_KEEPSERIALIZED, annotations={"BLBI": blbi}
        )
    )
    error = exception_reply(c)
    assert isinstance(error, errors.SerializeError)
    assert str(error).startswith("invalid marshal data: a container claims %d items" % claimed)


def test_good_blob_call_still_works(target_proxy):
    blob = core.SerializedBlob("blobinfo", {"a": 1})
    assert target_proxy.blob(blob) == "blobinfo"


# --- slow clients ----------------------------------------------------------------------------------


def trickle(sock, data, between):
    """Send data one byte at a time, running `between()` after each byte."""
    for index in range(len(data)):
        sock.sendall(data[index : index + 1])
        between()


def test_trickling_client_does_not_block_others_thread_server():
    # (the multiplex server serves one request at a time by design: see the next test)
    config.SERVERTYPE = "thread"
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(Target(), "target")
    with serving(daemon), Pyro4.Proxy(daemon.uriFor("target")) as good:
        slow = Client(daemon)
        calls = []

        def good_call():
            calls.append(good.echo(len(calls)))

        trickle(slow.sock, connect_frame(), good_call)
        assert slow.reply().type == message.MSG_CONNECTOK
        trickle(slow.sock, invoke_frame("echo", ("slow",)), good_call)
        assert decode(slow.reply()) == "slow"
        slow.close()
    assert calls == list(range(len(calls))) and len(calls) > 100


@pytest.mark.parametrize("sent", [0, 10])
def test_stalled_client_times_out_multiplex_server(sent):
    # the multiplex server handshakes a new client at once and serves one request at a time (as
    # 4.82): a client that stalls, even before its first byte, holds everyone up until COMMTIMEOUT
    config.SERVERTYPE = "multiplex"
    config.COMMTIMEOUT = 0.5  # the server's client sockets get it at accept time
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(Target(), "target")
    with serving(daemon):
        stalled = Client(daemon)
        try:
            stalled.send(connect_frame()[:sent])  # the server now waits in recv for the rest
            with Pyro4.Proxy(daemon.uriFor("target")) as good:
                good._pyroTimeout = 10
                assert good.echo("after the stall") == "after the stall"
            assert_connectfail(stalled, "receiving: timeout")
        finally:
            stalled.close()


# --- random mutations, live ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["first", "later"])
def test_live_random_mutations(daemon, stage):
    rng = random.Random(48 + len(stage))
    base = (
        connect_frame(annotations={"CORR": uuid.uuid4().bytes})
        if stage == "first"
        else invoke_frame("echo", ({"k": [1, 2.5, "x"]},), annotations={"XTRA": b"abc"})
    )
    for _ in range(40):
        c = Client(daemon, handshake=stage == "later")
        try:
            c.send(oracles.mutate(base, rng))
            c.sock.shutdown(socket.SHUT_WR)
            replies = oracles.parse_replies(c.rest())  # the server must close once our bytes run out
            assert len(replies) <= 1
        finally:
            c.close()


def test_silent_connection_does_not_block_others_thread_server():
    # a client that connects and doesn't send its CONNECT (yet); COMMTIMEOUT is 0: wait forever
    config.SERVERTYPE = "thread"
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon.register(Target(), "target")
    with serving(daemon):
        with socket.create_connection(daemon.sock.getsockname()[:2], timeout=5) as silent:
            for number in range(3):
                with Pyro4.Proxy(daemon.uriFor("target")) as good:
                    good._pyroTimeout = 5
                    assert good.echo(number) == number
            silent.sendall(connect_frame())  # still served when it finally speaks
            reply = message.Message.recv(socketutil.SocketConnection(silent, keep_open=True), None)
            assert reply.type == message.MSG_CONNECTOK
