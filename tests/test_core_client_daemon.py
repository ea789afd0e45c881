"""Client features end to end: our Proxy against our Daemon (both server types), on loopback."""
import copy
import socket
import threading
import time
import uuid

import pytest

import Pyro4
from Pyro4 import core, errors, futures, message
from Pyro4.core import Proxy, SerializedBlob

WAIT = 10


class Service(object):
    def __init__(self):
        self.data = {"a": [1, 2]}
        self.oneway_done = threading.Event()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.blob_seen = None
        self.contexts = []

    @Pyro4.expose
    def add(self, a, b):
        return a + b

    @Pyro4.expose
    def div(self, a, b):
        return a // b

    @Pyro4.expose
    def echo(self, value):
        return value

    @Pyro4.expose
    @property
    def value(self):
        return self.data

    @Pyro4.expose
    @property
    def number(self):
        return self.data.get("number", 0)

    @number.setter
    def number(self, value):
        self.data["number"] = value

    @Pyro4.oneway
    @Pyro4.expose
    def fire(self):
        self.oneway_done.set()

    @Pyro4.expose
    def blocking(self):
        self.entered.set()
        self.gate.wait(WAIT)
        return "released"

    @Pyro4.expose
    def gen(self, n):
        for i in range(n):
            yield i

    @Pyro4.expose
    def blob(self, blob):
        self.blob_seen = (blob.info, blob.deserialized())
        return blob.info

    @Pyro4.expose
    def context(self):
        ctx = Pyro4.current_context
        ctx.response_annotations["XRSP"] = b"from-server"
        self.contexts.append(ctx.correlation_id)
        return str(ctx.correlation_id), {key: bytes(value).hex() for key, value in ctx.annotations.items()}

    @Pyro4.expose
    def make_item(self):
        item = Item()
        self._pyroDaemon.register(item)
        return item


@Pyro4.expose
class Item(object):
    def name(self):
        return "item"


class Forwarder(object):
    """Forwards a received blob to the service without deserializing it."""
    def __init__(self, target_uri):
        self.target_uri = target_uri

    @Pyro4.expose
    def forward(self, blob):
        with Proxy(self.target_uri) as target:
            return target.blob(blob)


@pytest.fixture(params=["thread", "multiplex"])
def served(request):
    Pyro4.config.SERVERTYPE = request.param
    Pyro4.config.POLLTIMEOUT = 0.1
    daemon = Pyro4.Daemon(host="127.0.0.1")
    service = Service()
    uri = daemon.register(service, "service")
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        yield daemon, service, uri
    finally:
        service.gate.set()
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()


@pytest.fixture(autouse=True)
def clean_context():
    core.current_context.correlation_id = None
    core.current_context.annotations = {}
    yield
    core.current_context.correlation_id = None
    core.current_context.annotations = {}


def test_calls_and_sequence(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        assert proxy.add(1, 2) == 3
        assert proxy.echo("x") == "x"
        assert proxy.add(a=3, b=4) == 7
        assert proxy._pyroSeq == 3
        assert proxy._pyroMethods >= {"add", "div", "echo", "fire", "gen", "blob"}
        assert proxy._pyroOneway == {"fire"}
        assert proxy._pyroAttrs == {"value", "number"}
        assert repr(proxy).startswith("<Pyro4.core.Proxy at 0x")
        assert "; connected IPv4; for PYRO:service@127.0.0.1:" in repr(proxy)
    assert proxy._pyroConnection is None


def test_bind_and_release(served):
    _, _, uri = served
    proxy = Proxy(uri)
    assert proxy._pyroBind() is True
    assert proxy._pyroBind() is False
    proxy._pyroRelease()
    proxy._pyroRelease()
    assert proxy._pyroConnection is None
    assert proxy.add(1, 1) == 2   # reconnects by itself
    proxy._pyroRelease()


def test_bind_thread_safe(served):
    _, _, uri = served
    proxy = Proxy(uri)
    results = []
    start = threading.Event()

    def bind():
        start.wait(WAIT)
        results.append(proxy._pyroBind())
    threads = [threading.Thread(target=bind) for _ in range(20)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(results) == [False] * 19 + [True]
    proxy._pyroRelease()


def test_shared_proxy_between_threads(served):
    _, _, uri = served
    results = []
    with Proxy(uri) as proxy:
        def work(n):
            for i in range(10):
                results.append(proxy.add(n, i) == n + i)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        assert proxy._pyroSeq == 50
    assert results == [True] * 50


def test_remote_attributes(served):
    _, service, uri = served
    with Proxy(uri) as proxy:
        value = proxy.value
        assert value == {"a": [1, 2]}
        value["a"].append(3)   # a copy: the server's dict is unchanged
        assert service.data == {"a": [1, 2]}
        proxy.number = 42
        assert service.data["number"] == 42
        assert proxy.number == 42
        with pytest.raises(AttributeError) as excinfo:
            proxy.nonexisting
        assert str(excinfo.value) == "remote object '%s' has no exposed attribute or method 'nonexisting'" % uri
        with pytest.raises(AttributeError) as excinfo:
            proxy.nonexisting = 1
        assert str(excinfo.value) == "remote object '%s' has no exposed attribute 'nonexisting'" % uri
        assert "value" in dir(proxy) and "add" in dir(proxy)


def test_metadata_refetch_and_user_values_overwritten(served):
    _, _, uri = served
    proxy = Proxy(uri)
    proxy._pyroMethods = {"user"}
    proxy._pyroBind()
    assert "add" in proxy._pyroMethods and "user" not in proxy._pyroMethods
    proxy._pyroAttrs = None
    proxy._pyroMethods = set()
    proxy._pyroGetMetadata()
    assert proxy._pyroAttrs == {"value", "number"}
    proxy._pyroRelease()


def test_metadata_off(served):
    _, _, uri = served
    Pyro4.config.METADATA = False
    with Proxy(uri) as proxy:
        assert proxy.add(2, 2) == 4
        assert proxy._pyroMethods == set()
        with pytest.raises(AttributeError):
            proxy.nonexisting()   # the server refuses it
        assert proxy.fire() is None   # without metadata a oneway method gets a normal reply


def test_oneway(served):
    _, service, uri = served
    with Proxy(uri) as proxy:
        assert proxy.fire() is None
        assert service.oneway_done.wait(WAIT)
        assert proxy.add(1, 2) == 3


def test_remote_exception_keeps_connection(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        with pytest.raises(ZeroDivisionError) as excinfo:
            proxy.div(1, 0)
        assert excinfo.value._pyroTraceback
        connection = proxy._pyroConnection
        assert connection is not None
        assert proxy.add(1, 2) == 3
        assert proxy._pyroConnection is connection


def test_unreachable_server():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()   # nothing listens there now
    proxy = Proxy("PYRO:obj@127.0.0.1:%d" % port)
    with pytest.raises(errors.CommunicationError) as excinfo:
        proxy.method
    assert type(excinfo.value) is errors.CommunicationError
    assert str(excinfo.value).startswith("cannot connect to ('127.0.0.1', %d): " % port)
    assert excinfo.value.__cause__ is not None
    Pyro4.config.METADATA = False
    with pytest.raises(errors.CommunicationError):
        proxy.method()


def test_connect_timeout_while_waiting_for_reply():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        proxy = Proxy("PYRO:obj@127.0.0.1:%d" % listener.getsockname()[1])
        proxy._pyroTimeout = 0.2
        with pytest.raises(errors.TimeoutError) as excinfo:
            proxy._pyroBind()
        assert str(excinfo.value) == "receiving: timeout"
        assert proxy._pyroConnection is None
    finally:
        listener.close()


def test_call_timeout_releases(served):
    _, service, uri = served
    with Proxy(uri) as proxy:
        proxy._pyroBind()
        proxy._pyroTimeout = 0.3
        assert proxy._pyroConnection.timeout == 0.3
        with pytest.raises(errors.TimeoutError):
            proxy.blocking()
        assert proxy._pyroConnection is None
        service.gate.set()


def test_per_proxy_serializer(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        proxy._pyroSerializer = "json"
        assert proxy.echo([1, 2]) == [1, 2]
        proxy._pyroSerializer = "marshal"
        assert proxy.echo((1, 2)) == (1, 2)
        proxy._pyroSerializer = "foobar"
        with pytest.raises(errors.SerializeError) as excinfo:
            proxy.add(1, 2)
        assert "foobar" in str(excinfo.value)


def test_unaccepted_serializer_rejected(served):
    _, _, uri = served
    Pyro4.config.SERIALIZER = "pickle"
    proxy = Proxy(uri)
    with pytest.raises(errors.CommunicationError) as excinfo:
        proxy._pyroBind()
    assert "rejected: message used serializer that is not accepted: 4" in str(excinfo.value)


def test_batch(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        batch = Pyro4.batch(proxy)
        batch.add(1, 2)
        batch.echo("x")
        batch.div(1, 0)
        batch.add(3, 4)
        results = batch()
        assert next(results) == 3 and next(results) == "x"
        with pytest.raises(ZeroDivisionError):
            next(results)
        batch.add(5, 5)
        assert list(batch()) == [10]
        batch.fire()
        assert batch(oneway=True) is None
        batch.add(2, 2)
        future = batch(asynchronous=True)
        assert list(future.value) == [4]


def test_async_proxy(served):
    _, service, uri = served
    with Proxy(uri) as proxy:
        proxy._pyroBind()
        Pyro4.asyncproxy(proxy)
        result = proxy.blocking()
        assert isinstance(result, futures.FutureResult)
        assert service.entered.wait(WAIT)
        assert not result.ready
        if Pyro4.config.SERVERTYPE == "thread":
            quick = proxy.add(1, 2).then(lambda v: v * 10)   # runs on its own connection, in parallel
            assert quick.value == 30
        service.gate.set()
        assert result.value == "released"
        assert proxy.add(2, 3).then(lambda v: v * 10).value == 50
        error = proxy.div(1, 0)
        with pytest.raises(ZeroDivisionError):
            error.value
        assert proxy.value == {"a": [1, 2]}   # attribute access stays synchronous
        Pyro4.asyncproxy(proxy, asynchronous=False)
        assert proxy.add(2, 2) == 4


def test_async_retries_when_no_free_workers():
    Pyro4.config.SERVERTYPE = "thread"
    Pyro4.config.THREADPOOL_SIZE = 1
    Pyro4.config.THREADPOOL_SIZE_MIN = 1
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Service(), "service")
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        holder = Proxy(uri)
        holder._pyroBind()   # occupies the only worker
        async_proxy = Proxy(uri)
        async_proxy._pyroGetMetadata(known_metadata={"methods": ["add"], "oneway": [], "attrs": []})
        Pyro4.asyncproxy(async_proxy)
        result = async_proxy.add(1, 2)
        assert not result.wait(0.2)
        holder._pyroRelease()
        assert result.wait(WAIT)
        assert result.value == 3
    finally:
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()


def test_stream(served):
    daemon, _, uri = served
    with Proxy(uri) as proxy:
        iterator = proxy.gen(3)
        assert isinstance(iterator, core._StreamResultIterator)
        assert list(iterator) == [0, 1, 2]
        with pytest.raises(StopIteration):
            next(iterator)
        partial = proxy.gen(10)
        assert next(partial) == 0
        assert len(daemon.streaming_responses) == 1
        proxy.add(1, 1)   # proxy used meanwhile: close() goes over a separate connection
        partial.close()
        partial.close()
        with pytest.raises(StopIteration):
            next(partial)
        other = proxy.gen(2)
        assert next(other) == 0
        other.close()   # oneway close_stream on the same connection
        assert proxy.add(2, 2) == 4
        # both closes are oneway calls, run in threads of their own (ONEWAY_THREADED): wait for them
        assert _eventually(lambda: len(daemon.streaming_responses) == 0)


def _eventually(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_stream_after_release_and_reconnect(served):
    _, _, uri = served
    proxy = Proxy(uri)
    iterator = proxy.gen(4)
    assert next(iterator) == 0
    proxy._pyroRelease()
    with pytest.raises(errors.ConnectionClosedError) as excinfo:
        next(iterator)
    assert str(excinfo.value) == "the proxy for this stream result has been closed"
    proxy._pyroReconnect()
    assert list(iterator) == [1, 2, 3]
    proxy._pyroRelease()


def test_stream_linger_resume(served):
    _, _, uri = served
    proxy = Proxy(uri)
    iterator = proxy.gen(4)
    assert next(iterator) == 0
    proxy._pyroRelease()
    proxy._pyroReconnect()
    assert next(iterator) == 1
    assert list(iterator) == [2, 3]
    proxy._pyroRelease()


def test_stream_terminated_on_server(served):
    daemon, _, uri = served
    with Proxy(uri) as proxy:
        iterator = proxy.gen(5)
        next(iterator)
        daemon.streaming_responses.clear()
        with pytest.raises(errors.PyroError) as excinfo:
            next(iterator)
        assert str(excinfo.value) == "item stream terminated"


def test_streaming_disabled_on_server(served):
    _, _, uri = served
    Pyro4.config.ITER_STREAMING = False
    with Proxy(uri) as proxy:
        with pytest.raises(errors.ProtocolError) as excinfo:
            proxy.gen(3)
        assert str(excinfo.value) == ("result of call is an iterator, but the server is not configured "
                                      "to allow streaming")


def test_blob(served):
    daemon, service, uri = served
    with Proxy(uri) as proxy:
        assert proxy.blob(SerializedBlob("blobname", [1, 2, 3])) == "blobname"
        assert service.blob_seen == ("blobname", [1, 2, 3])
        with pytest.raises(errors.SerializeError):
            proxy.blob(SerializedBlob("x", [1]), 2)
    # the forwarder lives in a daemon of its own: a multiplex daemon can't call itself
    forwarding_daemon = Pyro4.Daemon(host="127.0.0.1")
    forwarder_uri = forwarding_daemon.register(Forwarder(uri), "forwarder")
    loop = threading.Thread(target=forwarding_daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        with Proxy(forwarder_uri) as proxy:
            assert proxy.forward(SerializedBlob("forwarded", {"k": (1, 2)})) == "forwarded"
            assert service.blob_seen == ("forwarded", {"k": (1, 2)})
    finally:
        forwarding_daemon.shutdown()
        loop.join(WAIT)
        forwarding_daemon.close()


def test_correlation_and_annotations(served):
    _, service, uri = served
    corr = uuid.uuid4()
    seen_connect = []

    class AnnotatingProxy(Proxy):
        def _pyroAnnotations(self):
            return {"XTRA": b"hook"}

        def _pyroResponseAnnotations(self, annotations, msgtype):
            seen_connect.append(msgtype)

    with AnnotatingProxy(uri) as proxy:
        core.current_context.correlation_id = corr
        core.current_context.annotations = {"USER": b"once"}
        server_corr, server_annotations = proxy.context()
        assert server_corr == str(corr)
        assert server_annotations["USER"] == b"once".hex() and server_annotations["XTRA"] == b"hook".hex()
        assert server_annotations["CORR"] == corr.bytes.hex()
        assert core.current_context.response_annotations["XRSP"] == b"from-server"
        assert core.current_context.response_annotations["CORR"] == corr.bytes
        _, second = proxy.context()
        assert "USER" not in second and second["XTRA"] == b"hook".hex()
        core.current_context.correlation_id = None
        server_corr, third = proxy.context()
        assert "CORR" not in third and server_corr != str(corr)
    assert seen_connect[0] == message.MSG_CONNECTOK
    assert message.MSG_RESULT in seen_connect


def test_hmac(served):
    daemon, _, uri = served
    daemon._pyroHmacKey = "secret"
    with Proxy(uri) as proxy:
        proxy._pyroHmacKey = "secret"
        assert proxy.add(1, 2) == 3
    with Proxy(uri) as proxy:
        proxy._pyroHmacKey = b"wrong"
        with pytest.raises(errors.CommunicationError) as excinfo:
            proxy._pyroBind()
        assert str(excinfo.value).startswith("cannot connect to ")
        assert str(excinfo.value).endswith("message hmac mismatch")
    with Proxy(uri) as proxy:
        with pytest.raises(errors.CommunicationError) as excinfo:
            proxy._pyroBind()
        assert str(excinfo.value).endswith("hmac key config not symmetric")


def test_handshake_hooks(served):
    daemon, _, uri = served

    class CheckingProxy(Proxy):
        def _pyroValidateHandshake(self, response):
            self.__dict__["handshake_response"] = response
            if response != "welcome":
                raise ValueError("unexpected handshake response")

    def validate(conn, data):
        if data == "let me in":
            return "welcome"
        if data == "other":
            return "other"
        raise ValueError("go away")
    daemon.validateHandshake = validate
    proxy = CheckingProxy(uri)
    proxy._pyroHandshake = "let me in"
    proxy._pyroBind()
    assert proxy.handshake_response == "welcome"
    proxy._pyroRelease()
    proxy._pyroHandshake = "other"
    with pytest.raises(ValueError):
        proxy._pyroBind()
    assert proxy._pyroConnection is None
    proxy._pyroHandshake = "anything"
    with pytest.raises(errors.CommunicationError) as excinfo:
        proxy._pyroBind()
    assert str(excinfo.value).endswith("rejected: go away")


def test_raw_wire_response(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        proxy._pyroRawWireResponse = True
        reply = proxy.add(1, 2)
        assert isinstance(reply, message.Message)
        assert reply.type == message.MSG_RESULT
        assert reply.data.endswith(b"3")


def test_autoproxy(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        item = proxy.make_item()
        assert isinstance(item, Proxy)
        assert item._pyroMethods == {"name"}
        with item:
            assert item.name() == "item"


def test_copy_is_independent(served):
    _, _, uri = served
    with Proxy(uri) as proxy:
        proxy.add(1, 1)
        duplicate = copy.copy(proxy)
        assert duplicate._pyroConnection is None
        with duplicate:
            assert duplicate.add(2, 2) == 4
            assert duplicate._pyroConnection is not proxy._pyroConnection


def test_reconnect(served):
    _, _, uri = served
    proxy = Proxy(uri)
    proxy.add(1, 1)
    first = proxy._pyroConnection
    proxy._pyroReconnect()
    assert proxy._pyroConnection is not None and proxy._pyroConnection is not first
    assert proxy.add(1, 1) == 2
    proxy._pyroRelease()


def test_reconnect_fails():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(errors.ConnectionClosedError) as excinfo:
        Proxy("PYRO:obj@127.0.0.1:%d" % port)._pyroReconnect(tries=1)
    assert str(excinfo.value) == "failed to reconnect"


def test_max_retries_after_server_drop(served):
    daemon, _, uri = served
    Pyro4.config.MAX_RETRIES = 2
    with Proxy(uri) as proxy:
        proxy._pyroBind()
        proxy._pyroConnection.sock.shutdown(socket.SHUT_RDWR)   # the connection dies under the proxy
        assert proxy.add(2, 3) == 5


def test_connected_socket():
    server_sock, client_sock = socket.socketpair()
    daemon = Pyro4.Daemon(connected_socket=server_sock)
    daemon.register(Service(), "service")
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    try:
        proxy = Proxy("service", connected_socket=client_sock)
        assert proxy._pyroUri.location == "<<connected-socket>>:0"
        assert proxy._pyroConnection is not None
        assert "add" in proxy._pyroMethods
        assert proxy.add(1, 2) == 3
        proxy._pyroRelease()
        assert proxy._pyroConnection is not None   # keep_open: a release doesn't close it
        assert proxy.add(3, 4) == 7
    finally:
        client_sock.close()
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()
        server_sock.close()


@pytest.mark.parametrize("serializer", ["serpent", "json", "marshal"])   # the daemon's default accepted set
def test_all_client_features_per_serializer(served, serializer):
    _, service, uri = served
    Pyro4.config.SERIALIZER = serializer
    with Proxy(uri) as proxy:
        assert proxy.add(1, 2) == 3
        proxy.number = 5
        assert proxy.number == 5
        batch = Pyro4.batch(proxy)
        batch.add(1, 1)
        batch.echo("x")
        assert list(batch()) == [2, "x"]
        assert list(proxy.gen(3)) == [0, 1, 2]
        with pytest.raises(ZeroDivisionError):
            proxy.div(1, 0)
        assert proxy.fire() is None
        assert service.oneway_done.wait(WAIT)
