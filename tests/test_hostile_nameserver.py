"""Hostile clients against a live name server (memory and sql storage) on 127.0.0.1.

After every test the registrations are exactly what the test expects (nothing lost, nothing
added, the name server's own entry intact) and clients of every accepted serializer can still
list and look up. Malformed but well-typed calls are in test_naming_daemon.py; these are the
attacks: bad frames, unreachable attributes, class tags, text no client could read back.
"""

import json
import random
import socket

import pytest
import serpent
from fuzz import wire_oracles as oracles
from server_helpers import decode, serving

import Pyro4
from Pyro4 import constants, errors, message, naming, socketutil, util
from Pyro4.configuration import config

pytestmark = pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")

DEFAULT_SERIALIZERS = ("serpent", "json", "marshal")


@pytest.fixture(scope="module", params=["memory", "sql"])
def live_ns(request, tmp_path_factory):
    storage = None if request.param == "memory" else "sql:%s" % (tmp_path_factory.mktemp("ns") / "names.sqlite")
    daemon = naming.NameServerDaemon(host="127.0.0.1", port=0, storage=storage)
    with serving(daemon):
        yield daemon


@pytest.fixture
def ns_daemon(live_ns):
    """The live name server with one known entry; afterwards its contents must be exactly that."""
    nameserver = live_ns.nameserver
    nameserver.remove(prefix="test.")
    nameserver.register("test.known", "PYRO:known@127.0.0.1:1111", metadata={"tag1"})
    expected = {name: (uri, sorted(tags)) for name, (uri, tags) in nameserver.list(return_metadata=True).items()}
    yield live_ns
    for serializer in DEFAULT_SERIALIZERS:
        with Pyro4.Proxy(live_ns.uriFor(nameserver)) as ns:
            ns._pyroSerializer = serializer
            listing = {name: (uri, sorted(tags)) for name, (uri, tags) in ns.list(return_metadata=True).items()}
            assert listing == expected, serializer  # (json turns the tuples into lists)
            assert ns.lookup(constants.NAMESERVER_NAME) == live_ns.uriFor(nameserver)


@pytest.fixture
def ns(ns_daemon):
    with Pyro4.Proxy(ns_daemon.uriFor(ns_daemon.nameserver)) as proxy:
        yield proxy


class RawClient(object):
    """A handshaken raw connection to the name server object."""

    def __init__(self, daemon):
        self.sock = socket.create_connection(daemon.sock.getsockname()[:2], timeout=5)
        self.conn = socketutil.SocketConnection(self.sock)
        handshake = util.get_serializer("serpent").dumps({"handshake": "hello"})
        self.sock.sendall(oracles.frame_bytes(message.MSG_CONNECT, 0, 0, 1, handshake, {}))
        assert message.Message.recv(self.conn, [message.MSG_CONNECTOK]).type == message.MSG_CONNECTOK

    def call(self, payload, serializer_id=1, seq=1):
        self.sock.sendall(oracles.frame_bytes(message.MSG_INVOKE, 0, seq, serializer_id, payload, {}))
        return message.Message.recv(self.conn, [message.MSG_RESULT])

    def close(self):
        self.sock.close()


@pytest.fixture
def raw(ns_daemon):
    client = RawClient(ns_daemon)
    yield client
    client.close()


def serpent_call(method, vargs, kwargs=None):
    return serpent.dumps((constants.NAMESERVER_NAME, method, vargs, kwargs or {}), module_in_classname=True)


def json_call(method, vargs_text):
    return (
        '{"object": "%s", "method": "%s", "params": %s, "kwargs": {}}' % (constants.NAMESERVER_NAME, method, vargs_text)
    ).encode("utf-8")


def raised(reply):
    assert reply.flags & message.FLAGS_EXCEPTION
    return decode(reply)


# --- text that no client could read back ---------------------------------------------------------


@pytest.mark.parametrize(
    "args,what",
    [
        (("bad\ud800name", "PYRO:x@127.0.0.1:1"), "name"),
        (("test.bad", "PYRO:x\udcff@127.0.0.1:1"), "uri"),
        (("test.bad", "PYRO:x@127.0.0.1:1", False, ["ok", "\udfffbad"]), "metadata"),
    ],
)
def test_unencodable_text_is_refused_serpent(ns, args, what):
    with pytest.raises(errors.NamingError) as excinfo:
        ns.register(*args)
    assert str(excinfo.value) == "%s contains characters that can't be encoded as UTF-8" % what


@pytest.mark.parametrize(
    "vargs_text", ['["bad\\ud800", "PYRO:x@127.0.0.1:1"]', '["test.bad", "PYRO:x@127.0.0.1:1", false, ["\\udc80"]]']
)
def test_unencodable_text_is_refused_json(raw, vargs_text):
    error = raised(raw.call(json_call("register", vargs_text), serializer_id=2))
    assert isinstance(error, errors.NamingError) and "can't be encoded as UTF-8" in str(error)


def test_unencodable_tags_refused_by_set_metadata(ns):
    with pytest.raises(errors.NamingError):
        ns.set_metadata("test.known", ["\ud800"])
    ns.set_metadata("test.known", {"tag1"})


def test_uri_state_that_does_not_parse_back_is_refused(ns):
    for state in (
        ("PYRO", "x", None, "a b\n", -5),
        ("PYRO", "", None, "127.0.0.1", 1),
        ("NOPE", "x", None, "127.0.0.1", 1),
    ):
        document = {"__class__": "Pyro4.core.URI", "state": state}
        with pytest.raises(errors.PyroError, match="invalid uri"):
            ns._pyroInvoke("register", ("test.weird", document), {})


# --- unreachable attributes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "lock",
        "_list_prefix",
        "_filtered",
        "__init__",
        "__dict__",
        "storage.clear",
        "lock.acquire",
        "_remove_listed",
        "__class__",
    ],
)
def test_internals_unreachable(ns, name):
    with pytest.raises(AttributeError):
        ns._pyroInvoke(name, (), {})
    for remote in ("__getattr__", "__setattr__"):
        with pytest.raises(AttributeError):
            ns._pyroInvoke(remote, (name, None) if remote == "__setattr__" else (name,), None)


@pytest.mark.parametrize(
    "call",
    [
        ("remove", (constants.NAMESERVER_NAME,), {}),
        ("remove", (), {"prefix": "Pyro"}),
        ("remove", (), {"regex": ".*"}),
        ("remove", (), {"prefix": ""}),
    ],
)
def test_own_entry_survives_removal(ns_daemon, ns, call):
    removed = ns._pyroInvoke(*call)
    if removed:  # a removal of everything takes the test entry too: put it back for the check
        ns.register("test.known", "PYRO:known@127.0.0.1:1111", metadata={"tag1"})
    assert ns.lookup(constants.NAMESERVER_NAME) == ns_daemon.uriFor(ns_daemon.nameserver)


def test_storage_unreachable(ns_daemon, ns):
    # the sql storage answers the exposure probe with NotImplementedError, as 4.82's does
    refusal = (
        (AttributeError, NotImplementedError)
        if ns_daemon.nameserver.storage.__class__.__name__ == "SqlStorage"
        else AttributeError
    )
    for method, vargs in (
        ("storage", ()),
        ("storage.clear", ()),
        ("__getattr__", ("storage",)),
        ("__setattr__", ("storage", None)),
    ):
        with pytest.raises(refusal):
            ns._pyroInvoke(method, vargs, {} if vargs == () else None)


# --- class tags and odd arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "uri_document,error_type",
    [
        ({"__class__": "os.system", "state": "x"}, errors.SerializeError),
        ({"__class__": "Pyro4.naming.NameServer"}, errors.SerializeError),
        ({"__class__": "__main__.Evil"}, errors.SecurityError),
        ({"__class__": "Pyro4.core.URI", "state": 42}, errors.SerializeError),
        ({"__class__": "Pyro4.core.URI"}, errors.SerializeError),
    ],
)
def test_class_tags_in_register(ns_daemon, uri_document, error_type):
    client = RawClient(ns_daemon)
    try:
        assert isinstance(raised(client.call(serpent_call("register", ("test.tagged", uri_document)))), error_type)
    finally:
        client.close()


@pytest.mark.parametrize(
    "vargs,kwargs",
    [
        ((["a", "b"], "PYRO:x@127.0.0.1:1"), {}),
        (("test.x", "PYRO:x@127.0.0.1:1"), {"metadata": [["unhashable"]]}),
        (("test.x", "PYRO:x@127.0.0.1:1"), {"metadata": [{"data": "AAE=", "encoding": "base64"}]}),
        (("test.x",), {"uri": None}),
        (("test.x", "PYRO:x@127.0.0.1:1"), {"nosuchargument": 1}),
        ((), {}),
    ],
)
def test_odd_register_calls_store_nothing(ns, vargs, kwargs):
    with pytest.raises((TypeError, errors.PyroError)):
        ns._pyroInvoke("register", vargs, kwargs)


@pytest.mark.parametrize(
    "name", ["a\x00b", "new\nline", "x" * 200000, "'); DROP TABLE pyro_names; --", "test.%_wild", "\u0101\U0001f600"]
)
def test_odd_but_valid_names_round_trip(ns, name):
    ns.register(name, "PYRO:odd@127.0.0.1:2", metadata=["t\x00ag"])
    try:
        assert ns.lookup(name, return_metadata=True) == (Pyro4.URI("PYRO:odd@127.0.0.1:2"), ["t\x00ag"])
        assert name in ns.list()
    finally:
        assert ns.remove(name) == 1


@pytest.mark.parametrize("regex", ["(", "[", "(?P<x", "*", "\\"])
def test_bad_regexes(ns, regex):
    with pytest.raises(errors.NamingError, match="invalid regex"):
        ns.list(regex=regex)
    with pytest.raises(errors.NamingError, match="invalid regex"):
        ns.remove(regex=regex)


# --- bad frames ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["first", "later"])
def test_live_random_mutations(ns_daemon, stage):
    rng = random.Random(90 + len(stage))
    config.ONEWAY_THREADED = False  # a mutation may set the oneway flag: its call must be over when we clean up
    handshake = util.get_serializer("serpent").dumps({"handshake": "hello"})
    base = (
        oracles.frame_bytes(message.MSG_CONNECT, 0, 0, 1, handshake, {})
        if stage == "first"
        else oracles.frame_bytes(message.MSG_INVOKE, 0, 1, 1, serpent_call("register", ("test.m", "PYRO:m@h:1")), {})
    )
    for _ in range(30):
        client = RawClient(ns_daemon) if stage == "later" else None
        sock = client.sock if client else socket.create_connection(ns_daemon.sock.getsockname()[:2], timeout=5)
        try:
            sock.sendall(oracles.mutate(base, rng))
            sock.shutdown(socket.SHUT_WR)
            oracles.parse_replies(oracles.read_until_closed(sock))
        finally:
            sock.close()
        _forget_all_but(ns_daemon.nameserver, ("test.known", constants.NAMESERVER_NAME))


def _forget_all_but(nameserver, keep):
    # a mutation may leave a register call intact, perhaps with another name: that's a fine register
    nameserver.storage.remove_items([name for name in nameserver.list() if name not in keep])


@pytest.mark.parametrize(
    "payload,serializer_id",
    [
        (b'{"object": "Pyro.NameServer"}', 2),
        (b"[1, 2, 3, 4]", 2),
        (b"\xff" * 10, 3),
        (json.dumps([1] * 4).encode(), 2),
        (b"\x00", 1),
        (b"", 1),
        (b"", 3),
    ],
)
def test_junk_json_and_marshal_calls(raw, payload, serializer_id):
    assert isinstance(raised(raw.call(payload, serializer_id)), oracles.DECODE_ERRORS)


def test_ns_keeps_serving_while_a_client_stalls(ns_daemon, ns):
    config.COMMTIMEOUT = 0  # the stalled client would hold its worker forever: others still get served
    with socket.create_connection(ns_daemon.sock.getsockname()[:2], timeout=5) as stalled:
        stalled.sendall(b"PYRO\x00\x30\x00")
        for number in range(20):
            ns.register("test.during%d" % number, "PYRO:x@127.0.0.1:%d" % (number + 1))
        assert len(ns.list(prefix="test.during")) == 20
        assert ns.remove(prefix="test.during") == 20
