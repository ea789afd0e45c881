"""End-to-end calls: our Proxy against our Daemon, on both server types."""

import logging
import threading
import uuid

import pytest
from server_helpers import SERVERTYPES, handshaken_connection, invoke_message, serving

import Pyro4
from Pyro4 import core, errors, message
from Pyro4.configuration import config


class Resource(object):
    def __init__(self):
        self.closed = threading.Event()

    def close(self):
        self.closed.set()


class Unserializable(Exception):
    def __init__(self):
        super(Unserializable, self).__init__("cannot go over the wire")
        self.payload = threading.Lock()


@Pyro4.expose
class Service(object):
    def __init__(self):
        self._value = 1
        self.oneway_done = threading.Event()
        self.oneway_thread = None
        self.context = None
        self.resource = None

    def add(self, a, b=0):
        return a + b

    def div(self, a, b):
        return a / b

    def gen(self, n):
        for i in range(n):
            yield i

    def failing_gen(self):
        yield 1
        raise ValueError("generator failed")

    @Pyro4.oneway
    def oneway_call(self):
        self.oneway_thread = threading.current_thread().name
        self.context = core.current_context.to_global()
        self.oneway_done.set()

    def whoami(self):
        ctx = core.current_context
        return {
            "addr": list(ctx.client_sock_addr),
            "seq": ctx.seq,
            "corr": str(ctx.correlation_id),
            "annotations": sorted(ctx.annotations),
            "ser": ctx.serializer_id,
        }

    def annotated(self):
        core.current_context.response_annotations = {"XRSP": b"reply"}
        return "ok"

    def blob(self, b):
        return [b.info, b.deserialized()]

    def track(self):
        self.resource = Resource()
        core.current_context.track_resource(self.resource)

    def bad_exception(self):
        raise Unserializable()

    @Pyro4.callback
    def callback_fails(self):
        raise ValueError("callback failed")

    def make_item(self):
        item = Item()
        self._pyroDaemon.register(item)
        return item

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, v):
        self._value = v


class Partly(object):
    @Pyro4.expose
    def exposed(self):
        return "yes"

    def unexposed_helper(self):
        return "no"


@Pyro4.expose
class Item(object):
    def name(self):
        return "item"


@pytest.fixture(params=SERVERTYPES)
def served(request):
    config.SERVERTYPE = request.param
    config.POLLTIMEOUT = 0.2
    daemon = Pyro4.Daemon(host="127.0.0.1")
    service = Service()
    uri = daemon.register(service, "service")
    daemon.register(Partly(), "partly")
    with serving(daemon):
        yield daemon, service, uri


def test_simple_calls_and_exceptions(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        assert p.add(1, 2) == 3
        assert p.add(1, b=5) == 6
        with pytest.raises(ZeroDivisionError) as excinfo:
            p.div(1, 0)
        assert "".join(excinfo.value._pyroTraceback).startswith("Traceback")
        assert p.add(2, 2) == 4  # the connection survives a remote exception
        assert p._pyroSeq == 4
    with Pyro4.Proxy("PYRO:partly@" + daemon.locationStr) as p:
        assert p.exposed() == "yes"
        with pytest.raises(AttributeError, match="has no exposed attribute or method 'unexposed_helper'"):
            p.unexposed_helper()


def test_unexposed_and_private_refused_by_daemon(served):
    daemon, service, uri = served
    config.METADATA = False
    with Pyro4.Proxy("PYRO:partly@" + daemon.locationStr) as p:
        with pytest.raises(AttributeError, match="attempt to access unexposed attribute 'unexposed_helper'"):
            p.unexposed_helper()
    with Pyro4.Proxy(uri) as p:
        with pytest.raises(AttributeError, match="attempt to access private attribute '_value'"):
            p._value()
        with pytest.raises(errors.DaemonError, match="unknown object"):
            Pyro4.Proxy("PYRO:nonexisting@" + daemon.locationStr).ping()


def test_attributes(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        assert p.value == 1
        p.value = 42
        assert p.value == 42
        assert service.value == 42


def test_oneway_threaded_and_not(served):
    daemon, service, uri = served
    core.current_context.correlation_id = uuid.uuid4()
    try:
        with Pyro4.Proxy(uri) as p:
            assert p.oneway_call() is None
            assert service.oneway_done.wait(5)
            assert service.oneway_thread == "oneway-call"
            assert service.context["correlation_id"] == core.current_context.correlation_id
            service.oneway_done.clear()
            config.ONEWAY_THREADED = False  # read per request
            p.oneway_call()
            assert service.oneway_done.wait(5)
            assert service.oneway_thread != "oneway-call"
            assert p.add(1, 1) == 2
    finally:
        core.current_context.correlation_id = None


def test_batch(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        batch = Pyro4.batch(p)
        batch.add(1, 2)
        batch.div(1, 0)
        batch.add(3, 4)
        results = batch()
        assert next(results) == 3
        with pytest.raises(ZeroDivisionError):
            next(results)
        batch.oneway_call()
        assert batch(oneway=True) is None
        assert service.oneway_done.wait(5)


def test_streaming(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        assert list(p.gen(4)) == [0, 1, 2, 3]
        assert not daemon.streaming_responses
        stream = p.gen(10)
        assert next(stream) == 0
        assert len(daemon.streaming_responses) == 1
        stream.close()
        for _ in range(500):
            if not daemon.streaming_responses:
                break
            threading.Event().wait(0.01)
        assert not daemon.streaming_responses
        failing = p.failing_gen()
        assert next(failing) == 1
        with pytest.raises(ValueError, match="generator failed"):
            next(failing)


def test_streaming_off(served):
    daemon, service, uri = served
    config.ITER_STREAMING = False
    with Pyro4.Proxy(uri) as p:
        with pytest.raises(errors.ProtocolError, match="server is not configured to allow streaming"):
            p.gen(3)


def test_stream_linger_reconnect(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        stream = p.gen(3)
        assert next(stream) == 0
        p._pyroRelease()
        p._pyroReconnect()
        assert next(stream) == 1
        assert list(stream) == [2]


def test_context_annotations_and_corr(served):
    daemon, service, uri = served
    corr = uuid.uuid4()
    core.current_context.correlation_id = corr
    try:
        with Pyro4.Proxy(uri) as p:
            core.current_context.annotations = {"XTRA": b"x"}
            info = p.whoami()
            assert info["corr"] == str(corr)
            assert info["annotations"] == ["CORR", "XTRA"]
            assert tuple(info["addr"]) == p._pyroConnection.sock.getsockname()[:2]
            assert info["seq"] == p._pyroSeq
            assert info["ser"] == 1
            assert p.annotated() == "ok"
            assert core.current_context.response_annotations["XRSP"] == b"reply"
            assert core.current_context.response_annotations["CORR"] == corr.bytes
    finally:
        core.current_context.correlation_id = None


def test_serialized_blob(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        assert p.blob(core.SerializedBlob("blobname", [1, 2, 3])) == ["blobname", [1, 2, 3]]


def test_autoproxy(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        item = p.make_item()
        assert isinstance(item, Pyro4.Proxy)
        with item:
            assert item.name() == "item"


def test_exception_that_cannot_be_serialized(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        with pytest.raises(
            errors.PyroError,
            match="Error serializing exception: .*Original exception: .*Unserializable.*: cannot go over the wire",
        ):
            p.bad_exception()


def test_callback_exception_closes_connection(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        with pytest.raises(ValueError, match="callback failed"):
            p.callback_fails()
        # the daemon closed the connection after the reply; the proxy notices on its next call
        with pytest.raises(errors.ConnectionClosedError):
            p.add(1, 1)
        assert p.add(1, 1) == 2


def test_tracked_resource_closed_with_connection(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        p.track()
        assert not service.resource.closed.is_set()
    assert service.resource.closed.wait(5)


def test_ping_on_connection(served):
    daemon, service, uri = served
    with Pyro4.Proxy(uri) as p:
        p._pyroBind()
        message.Message.ping(p._pyroConnection)
        assert p.add(1, 2) == 3


def test_unaccepted_serializer_raises_from_handlerequest(served):
    daemon, service, uri = served
    conn = handshaken_connection(daemon)
    try:
        conn.send(invoke_message("service", "add", (1, 2), serializer="pickle").to_bytes())
        reply = message.Message.recv(conn, [message.MSG_RESULT])
        assert reply.flags & message.FLAGS_EXCEPTION
        assert reply.serializer_id == 4
    finally:
        conn.close()

    class Conn(object):
        def __init__(self, data):
            self.data = data
            self.sent = []

        def recv(self, size):
            chunk, self.data = self.data[:size], self.data[size:]
            return chunk

        def send(self, data):
            self.sent.append(data)

    fake = Conn(invoke_message("service", "add", (1, 2), serializer="pickle").to_bytes())
    with pytest.raises(errors.ProtocolError, match="serializer that is not accepted"):
        daemon.handleRequest(fake)
    assert len(fake.sent) == 1
    empty = Conn(message.Message(message.MSG_INVOKE, b"", 3, 0, 1).to_bytes())
    daemon.handleRequest(empty)  # returns normally: an error reply was sent
    assert len(empty.sent) == 1


def test_daemon_object_remote(served):
    daemon, service, uri = served
    with Pyro4.Proxy("PYRO:Pyro.Daemon@" + daemon.locationStr) as dp:
        assert set(dp.registered()) == {"Pyro.Daemon", "service", "partly"}
        assert dp.ping() is None
        assert dp.info().startswith("Pyro.Daemon bound on " + daemon.locationStr)
        assert dp.get_metadata("service")["attrs"] == {"value"}


def test_logwire(served, caplog):
    daemon, service, uri = served
    config.LOGWIRE = True
    caplog.set_level(logging.DEBUG, logger="Pyro4")
    with Pyro4.Proxy(uri) as p:
        assert p.add(1, 2) == 3
        with pytest.raises(ZeroDivisionError):
            p.div(1, 0)
        p.oneway_call()
        assert service.oneway_done.wait(5)
        assert list(p.gen(2)) == [0, 1]
    texts = [r.getMessage() for r in caplog.records if r.name == "Pyro4.core"]
    assert any(t.startswith("daemon handshake received: msgtype=1 ") for t in texts)
    assert any(t.startswith("daemon wiredata received: msgtype=4 ") for t in texts)
    assert any(t.startswith("daemon wiredata sending: msgtype=5 ") for t in texts)


def test_response_annotations_dict_not_mutated(served):
    daemon, service, uri = served
    shared = {"XRSP": b"shared"}

    class Annotating(object):
        @Pyro4.expose
        def call(self):
            core.current_context.response_annotations = shared
            return 1

    daemon.register(Annotating(), "annotating")
    with Pyro4.Proxy("PYRO:annotating@" + daemon.locationStr) as p:
        assert p.call() == 1
        assert core.current_context.response_annotations["XRSP"] == b"shared"
    assert shared == {"XRSP": b"shared"}


def test_stream_lifetime_expires_by_housekeeping(served):
    daemon, service, uri = served
    config.ITER_STREAM_LIFETIME = 0.05
    config.POLLTIMEOUT = 0.05
    with Pyro4.Proxy(uri) as p:
        stream = p.gen(10)
        assert next(stream) == 0
        for _ in range(1000):
            daemon._housekeeping()  # the loops call it too; calling it here keeps the test quick
            if not daemon.streaming_responses:
                break
            threading.Event().wait(0.01)
        with pytest.raises(errors.PyroError, match="item stream terminated"):
            next(stream)
