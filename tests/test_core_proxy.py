"""Proxy behaviour that needs no server (API.md §8.2, §8.3, §8.5, §8.6, §8.12-8.14)."""
import copy
import logging
import pickle
import threading
import uuid

import pytest

import Pyro4
from Pyro4 import core, errors, futures, message, util
from Pyro4.core import Proxy, URI

UNUSED = "PYRO:obj@127.0.0.1:1"   # nothing listens on port 1 (privileged), and we never connect in this file


def test_all_names():
    assert core.__all__ == ["URI", "Proxy", "Daemon", "current_context", "callback", "batch", "asyncproxy",
                            "expose", "behavior", "oneway", "SerializedBlob", "_resolve", "_locateNS"]
    namespace = {}
    exec("from Pyro4.core import *", namespace)
    assert namespace["Proxy"] is Proxy
    for name in ("DaemonObject", "pyroObjectToAutoProxy", "serialize_core_object_to_dict",
                 "pyro_class_serpent_serializer", "_RemoteMethod", "_BatchedRemoteMethod", "_BatchProxyAdapter",
                 "_AsyncRemoteMethod", "_StreamResultIterator", "_CallContext", "_OnewayCallThread",
                 "_log_wiredata", "log"):
        assert hasattr(core, name), name


def test_package_identity():
    assert Pyro4.Proxy is Proxy
    assert Pyro4.batch is core.batch and Pyro4.asyncproxy is core.asyncproxy
    assert Pyro4.current_context is core.current_context
    assert Pyro4.locateNS is core._locateNS and Pyro4.resolve is core._resolve


@pytest.mark.parametrize("cls", [Proxy, core.SerializedBlob, URI])
def test_wire_identity(cls):
    assert cls.__module__ == "Pyro4.core"
    assert cls.__qualname__ == cls.__name__


def test_construction():
    proxy = Proxy(UNUSED)
    assert proxy._pyroUri == URI(UNUSED)
    assert proxy._pyroConnection is None
    assert proxy._pyroSerializer is None
    assert proxy._pyroMethods == set() and proxy._pyroAttrs == set() and proxy._pyroOneway == set()
    assert proxy._pyroSeq == 0
    assert proxy._pyroRawWireResponse is False
    assert proxy._pyroHandshake == "hello"
    assert proxy._pyroMaxRetries == 0
    assert proxy._pyroTimeout == 0.0
    assert proxy._pyroHmacKey is None
    other = Proxy(URI(UNUSED))
    assert other._pyroMethods is not proxy._pyroMethods
    assert other._pyroAttrs is not proxy._pyroAttrs and other._pyroOneway is not proxy._pyroOneway


def test_construction_config():
    Pyro4.config.COMMTIMEOUT = None
    Pyro4.config.MAX_RETRIES = 3
    proxy = Proxy(UNUSED)
    assert proxy._pyroTimeout is None
    assert proxy._pyroMaxRetries == 3


@pytest.mark.parametrize("value", [None, 42, 1.5, object()])
def test_construction_wrong_type(value):
    with pytest.raises(TypeError) as excinfo:
        Proxy(value)
    assert str(excinfo.value) == "expected Pyro URI"


def test_construction_invalid_serializer():
    Pyro4.config.SERIALIZER = "foobar"
    with pytest.raises(errors.SerializeError) as excinfo:
        Proxy(UNUSED)
    assert "foobar" in str(excinfo.value) and "unknown" in str(excinfo.value)


def test_construction_resets_context_annotations():
    core.current_context.annotations = {"XYZW": b"1"}
    core.current_context.response_annotations = {"ABCD": b"2"}
    Proxy(UNUSED)
    assert core.current_context.annotations == {}
    assert core.current_context.response_annotations == {}


def test_hmac_key_property():
    proxy = Proxy(UNUSED)
    proxy._pyroHmacKey = "secret"
    assert proxy._pyroHmacKey == b"secret"
    proxy._pyroHmacKey = b"bytes"
    assert proxy._pyroHmacKey == b"bytes"
    proxy._pyroHmacKey = ""
    assert proxy._pyroHmacKey == ""
    proxy._pyroHmacKey = None
    assert proxy._pyroHmacKey is None


def test_repr_eq_hash():
    p1 = Proxy(UNUSED)
    p2 = Proxy(UNUSED)
    p3 = Proxy("PYRO:other@127.0.0.1:1")
    assert repr(p1) == "<Pyro4.core.Proxy at 0x%x; not connected; for %s>" % (id(p1), UNUSED)
    assert str(p1) == repr(p1)
    assert p1 == p1 and p1 == p2 and not (p1 != p2)
    assert p1 != p3 and not (p1 == p3)
    assert p1 != 42 and not (p1 == 42)
    assert hash(p1) == hash(p2) == hash(p1._pyroUri)
    assert len({p1, p2, p3}) == 2


def test_context_manager_and_release_without_connection():
    proxy = Proxy(UNUSED)
    with proxy as p:
        assert p is proxy
    with proxy:
        pass
    proxy._pyroRelease()
    proxy._pyroRelease()
    assert proxy._pyroConnection is None


def test_attributes_without_metadata():
    Pyro4.config.METADATA = False
    proxy = Proxy(UNUSED)
    for name in ("method", "_value", "nonexisting", "__dunder__"):
        method = getattr(proxy, name)
        assert isinstance(method, core._RemoteMethod)
    assert hasattr(proxy, "whatever")
    dotted = proxy.a.b
    assert isinstance(dotted, core._RemoteMethod)
    proxy.local_attr = 42    # stored locally when METADATA is off
    assert proxy.local_attr == 42
    assert "local_attr" in proxy.__dict__


def test_attributes_with_known_metadata():
    proxy = Proxy(UNUSED)
    proxy._pyroGetMetadata(known_metadata={"methods": ["m1", "m2"], "oneway": ["m2"], "attrs": ["prop"]})
    assert proxy._pyroMethods == {"m1", "m2"} and proxy._pyroOneway == {"m2"} and proxy._pyroAttrs == {"prop"}
    assert isinstance(proxy.m1, core._RemoteMethod)
    with pytest.raises(AttributeError) as excinfo:
        proxy.nonexisting
    assert str(excinfo.value) == "remote object '%s' has no exposed attribute or method 'nonexisting'" % UNUSED
    with pytest.raises(AttributeError) as excinfo:
        proxy.nonexisting = 42
    assert str(excinfo.value) == "remote object '%s' has no exposed attribute 'nonexisting'" % UNUSED
    assert not hasattr(proxy, "nope")
    assert {"m1", "m2", "prop"} <= set(dir(proxy))


def test_known_metadata_empty_and_nothing_exposed():
    proxy = Proxy(UNUSED)
    proxy._pyroGetMetadata(known_metadata={})
    assert proxy._pyroMethods == set()
    with pytest.raises(errors.PyroError) as excinfo:
        proxy._pyroGetMetadata(known_metadata={"methods": [], "oneway": [], "attrs": []})
    assert str(excinfo.value) == ("remote object doesn't expose any methods or attributes. "
                                  "Did you forget setting @expose on them?")


def test_dir_without_metadata_equals_default():
    proxy = Proxy(UNUSED)
    assert dir(proxy) == sorted(object.__dir__(proxy))


def test_pyro_attribute_names_never_remote():
    proxy = Proxy(UNUSED)
    for name in ("__getnewargs__", "__getnewargs_ex__", "__getinitargs__"):
        with pytest.raises(AttributeError):
            getattr(proxy, name)


def test_subclass_attributes_via_dict():
    class MyProxy(Proxy):
        def __init__(self, uri):
            super(MyProxy, self).__init__(uri)
            self.__dict__["custom"] = 42
    proxy = MyProxy(UNUSED)
    assert proxy.custom == 42


def test_pyroAsync_returns_none_and_async_methods():
    proxy = Proxy(UNUSED)
    proxy._pyroGetMetadata(known_metadata={"methods": ["m"], "oneway": [], "attrs": []})
    assert proxy._pyroAsync() is None
    assert isinstance(proxy.m, core._AsyncRemoteMethod)
    assert core.asyncproxy(proxy, asynchronous=False) is None
    assert isinstance(proxy.m, core._RemoteMethod)
    core.asyncproxy(proxy)
    assert isinstance(copy.copy(proxy).m, core._AsyncRemoteMethod)


def test_copy():
    proxy = Proxy(UNUSED)
    proxy._pyroOneway = {"o"}
    proxy._pyroMethods = {"m", "o"}
    proxy._pyroAttrs = {"a"}
    proxy._pyroSerializer = "json"
    proxy._pyroTimeout = 4.5
    proxy._pyroHandshake = {"hs": 1}
    proxy._pyroHmacKey = b"key"
    proxy._pyroRawWireResponse = True
    proxy._pyroMaxRetries = 7
    duplicate = copy.copy(proxy)
    assert type(duplicate) is Proxy
    assert duplicate == proxy
    assert duplicate._pyroUri is not proxy._pyroUri
    assert duplicate._pyroOneway == {"o"} and duplicate._pyroOneway is not proxy._pyroOneway
    assert duplicate._pyroMethods == {"m", "o"} and duplicate._pyroMethods is not proxy._pyroMethods
    assert duplicate._pyroAttrs == {"a"}
    assert duplicate._pyroSerializer == "json"
    assert duplicate._pyroTimeout == 4.5
    assert duplicate._pyroHandshake == {"hs": 1}
    assert duplicate._pyroHmacKey == b"key"
    assert duplicate._pyroRawWireResponse is True
    assert duplicate._pyroMaxRetries == 7
    assert duplicate._pyroConnection is None


def test_copy_subclass():
    class MyProxy(Proxy):
        pass
    assert type(copy.copy(MyProxy(UNUSED))) is MyProxy


def test_deepcopy_does_not_connect():
    proxy = Proxy(UNUSED)
    duplicate = copy.deepcopy(proxy)
    assert duplicate == proxy and duplicate is not proxy


def test_getstate():
    proxy = Proxy(UNUSED)
    proxy._pyroOneway = {"o"}
    proxy._pyroHmacKey = b"k"
    proxy._pyroSerializer = "json"
    state = proxy.__getstate__()
    assert len(state) == 9
    assert state == (proxy._pyroUri, {"o"}, set(), set(), 0.0, b"k", "hello", 0, "json")


def test_setstate_uses_local_config():
    proxy = Proxy(UNUSED)
    proxy._pyroTimeout = 42
    proxy._pyroMaxRetries = 9
    state = proxy.__getstate__()
    Pyro4.config.COMMTIMEOUT = 2.5
    Pyro4.config.MAX_RETRIES = 1
    other = Proxy.__new__(Proxy)
    other.__setstate__(state)
    assert other._pyroTimeout == 2.5 and other._pyroMaxRetries == 1
    assert other._pyroSerializer is None or other._pyroSerializer == state[8]
    assert other._pyroConnection is None and other._pyroSeq == 0
    short = Proxy.__new__(Proxy)
    short.__setstate__(state[:8])
    assert short._pyroSerializer is None


def test_state_for_dict():
    proxy = Proxy(UNUSED)
    proxy._pyroOneway = {"a"}
    proxy._pyroHmacKey = b"k"
    state = proxy.__getstate_for_dict__()
    assert state == (UNUSED, ("a",), (), (), 0.0, "b64:aw==", "hello", 0, None)
    proxy._pyroHmacKey = None
    assert proxy.__getstate_for_dict__()[5] is None
    other = Proxy.__new__(Proxy)
    other.__setstate_from_dict__(list(state))
    assert other._pyroUri == proxy._pyroUri and isinstance(other._pyroUri, URI)
    assert other._pyroOneway == {"a"} and isinstance(other._pyroMethods, set)
    assert other._pyroHmacKey == b"k"
    bad = list(state)
    bad[5] = "not-base64-prefixed"
    with pytest.raises(errors.ProtocolError) as excinfo:
        Proxy.__new__(Proxy).__setstate_from_dict__(bad)
    assert str(excinfo.value) == "hmac encoding error"


def test_pickle_roundtrip():
    proxy = Proxy(UNUSED)
    proxy._pyroMethods = {"m"}
    proxy._pyroHmacKey = b"key"
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        other = pickle.loads(pickle.dumps(proxy, protocol))
        assert other == proxy and other._pyroMethods == {"m"} and other._pyroHmacKey == b"key"
        assert other._pyroConnection is None


def test_serpent_encoding():
    proxy = Proxy("PYRO:obj@localhost:1234")
    proxy._pyroOneway = {"a"}
    proxy._pyroHmacKey = b"k"
    data, _ = util.get_serializer("serpent").serializeData(proxy)
    text = data.decode("utf-8")
    assert "'__class__':'Pyro4.core.Proxy'" in text
    assert "'state':('PYRO:obj@localhost:1234',('a',),(),(),0.0,'b64:aw==','hello',0,None)" in text


@pytest.mark.parametrize("name", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_proxy_and_uri_roundtrip_all_serializers(name):
    serializer = util.get_serializer(name)
    proxy = Proxy("PYRO:obj@localhost:1234")
    proxy._pyroMethods = {"m"}
    proxy._pyroHmacKey = b"key"
    data, _ = serializer.serializeData(proxy)
    other = serializer.deserializeData(data)
    assert isinstance(other, Proxy) and other == proxy
    assert other._pyroMethods == {"m"} and other._pyroHmacKey == b"key"
    uri = URI("PYRO:obj@localhost:1234")
    data, _ = serializer.serializeData(uri)
    assert serializer.deserializeData(data) == uri


def test_remote_method_retries():
    attempts = []

    def send(name, args, kwargs):
        attempts.append((name, args, kwargs))
        raise errors.ConnectionClosedError("lost")
    method = core._RemoteMethod(send, "name", max_retries=2)
    with pytest.raises(errors.ConnectionClosedError):
        method(1, k=2)
    assert attempts == [("name", (1,), {"k": 2})] * 3


def test_remote_method_timeout_retry_then_success():
    outcomes = [errors.TimeoutError("t"), "ok"]

    def send(name, args, kwargs):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    assert core._RemoteMethod(send, "x", max_retries=1)() == "ok"


def test_remote_method_other_errors_not_retried():
    attempts = []

    def send(name, args, kwargs):
        attempts.append(name)
        raise errors.CommunicationError("other")
    with pytest.raises(errors.CommunicationError):
        core._RemoteMethod(send, "x", max_retries=5)()
    assert attempts == ["x"]


def test_remote_method_dotted():
    calls = []
    method = core._RemoteMethod(lambda n, a, k: calls.append((n, a, k)), "a", max_retries=0)
    method.b.c(1)
    assert calls == [("a.b.c", (1,), {})]


class _RecordingProxy(object):
    """Duck-typed stand-in for a proxy, for the batch adapter and async machinery."""

    def __init__(self, results=None):
        self.batches = []
        self.invocations = []
        self.results = results
        self._pyroMaxRetries = 0
        self._pyroConnection = True
        self.released = 0

    def _pyroBatch(self):
        return core._BatchProxyAdapter(self)

    def _pyroInvokeBatch(self, calls, oneway=False):
        self.batches.append((list(calls), oneway))
        return None if oneway else self.results

    def __copy__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.released += 1

    def _pyroInvoke(self, name, args, kwargs):
        self.invocations.append((name, args, kwargs))
        if name == "fail":
            raise ValueError("failing call")
        return name.upper()


def test_batch_records_and_yields():
    proxy = _RecordingProxy(results=[1, "two", futures._ExceptionWrapper(ZeroDivisionError("boom")), 4])
    adapter = core.batch(proxy)
    assert isinstance(adapter, core._BatchProxyAdapter)
    with adapter as b:
        assert b is adapter
        assert b.first(1, k=2) is None
        assert b.second() is None
        b.dotted.name("x")
        b._pyroRelease()
    results = adapter()
    assert proxy.batches == [([("first", (1,), {"k": 2}), ("second", (), {}), ("dotted.name", ("x",), {}),
                               ("_pyroRelease", (), {})], False)]
    assert next(results) == 1
    assert next(results) == "two"
    with pytest.raises(ZeroDivisionError):
        next(results)
    with pytest.raises(StopIteration):
        next(results)


def test_batch_reuse_oneway_and_errors():
    proxy = _RecordingProxy(results=[])
    adapter = proxy_batch = core._BatchProxyAdapter(proxy)
    adapter.a()
    assert list(adapter()) == []
    proxy_batch.b()
    assert adapter(oneway=True) is None
    assert proxy.batches[1] == ([("b", (), {})], True)
    with pytest.raises(errors.PyroError) as excinfo:
        adapter(oneway=True, asynchronous=True)
    assert str(excinfo.value) == "async oneway calls make no sense"


def test_batch_copy():
    proxy = _RecordingProxy(results=[])
    adapter = core._BatchProxyAdapter(proxy)
    adapter.a()
    duplicate = copy.copy(adapter)
    assert isinstance(duplicate, core._BatchProxyAdapter) and duplicate is not adapter
    duplicate.b()
    duplicate()
    adapter()
    assert proxy.batches == [([("a", (), {}), ("b", (), {})], False), ([("a", (), {})], False)]


def test_batch_asynchronous():
    proxy = _RecordingProxy(results=[10, 20])
    adapter = core._BatchProxyAdapter(proxy)
    adapter.a()
    adapter.b()
    result = adapter(asynchronous=True)
    assert isinstance(result, futures.FutureResult)
    assert result.wait(10)
    assert list(result.value) == [10, 20]
    assert proxy.batches == [([("a", (), {}), ("b", (), {})], False)]


def test_async_method_with_duck_typed_proxy():
    proxy = _RecordingProxy()
    method = core._AsyncRemoteMethod(proxy, "name", 0)
    result = method(1, key=2)
    assert isinstance(result, futures.FutureResult)
    assert result.value == "NAME"
    assert proxy.invocations == [("name", (1,), {"key": 2})]
    assert proxy.released == 1
    dotted = method.sub(3)
    assert dotted.value == "NAME.SUB"
    failing = core._AsyncRemoteMethod(proxy, "fail", 0)()
    with pytest.raises(ValueError):
        failing.value
    chained = core._AsyncRemoteMethod(proxy, "x", 0)()
    chained.then(lambda v: v + "!")
    assert chained.value in ("X!", "X")


def test_async_chain_exception_becomes_result():
    gate = threading.Event()

    class SlowProxy(_RecordingProxy):
        def _pyroInvoke(self, name, args, kwargs):
            gate.wait(10)
            return 1
    result = core._AsyncRemoteMethod(SlowProxy(), "x", 0)()
    result.then(lambda v: v / 0)
    gate.set()
    with pytest.raises(ZeroDivisionError):
        result.value


def test_async_retries_on_connection_closed():
    class FlakyProxy(_RecordingProxy):
        def _pyroInvoke(self, name, args, kwargs):
            self.invocations.append(name)
            if len(self.invocations) < 3:
                raise errors.ConnectionClosedError("lost")
            return "ok"
    proxy = FlakyProxy()
    assert core._AsyncRemoteMethod(proxy, "x", 2)().value == "ok"
    proxy = FlakyProxy()
    with pytest.raises(errors.ConnectionClosedError):
        core._AsyncRemoteMethod(proxy, "x", 1)().value


def test_call_context_defaults_and_global():
    assert isinstance(core.current_context, core._CallContext)
    results = {}

    def in_thread():
        ctx = core.current_context
        results["fresh"] = ctx.to_global()
    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(10)
    assert results["fresh"] == {"client": None, "client_sock_addr": None, "seq": 0, "msg_flags": 0,
                                "serializer_id": 0, "annotations": {}, "response_annotations": {},
                                "correlation_id": None}
    corr = uuid.uuid4()
    values = dict(results["fresh"], seq=42, correlation_id=corr)
    ctx = core._CallContext()
    ctx.from_global(values)
    assert ctx.seq == 42 and ctx.correlation_id == corr
    assert ctx.to_global() == values


def test_call_context_track_resource():
    ctx = core._CallContext()
    with pytest.raises(errors.PyroError) as excinfo:
        ctx.track_resource(object())
    assert str(excinfo.value) == "cannot track resource on a connectionless call"
    with pytest.raises(errors.PyroError):
        ctx.untrack_resource(object())

    class Client(object):
        def __init__(self):
            self.tracked_resources = set()

    class Resource(object):
        def close(self):
            pass
    ctx.client = Client()
    resource = Resource()
    ctx.track_resource(resource)
    assert resource in ctx.client.tracked_resources
    ctx.untrack_resource(resource)
    ctx.untrack_resource(resource)
    assert not ctx.client.tracked_resources


def test_log_wiredata(caplog):
    logger = logging.getLogger("Pyro4.test_core_proxy")
    logger.setLevel(logging.DEBUG)
    corr = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    msg = message.Message(message.MSG_INVOKE, b"data", 1, 3, 7, annotations={"CORR": corr.bytes, "XTRA": b"x"})
    with caplog.at_level(logging.DEBUG, logger="Pyro4.test_core_proxy"):
        core._log_wiredata(logger, "sending", msg)
        msg.annotations["CORR"] = b"short"
        core._log_wiredata(logger, "odd", msg)
        core._log_wiredata(logger, "broken", object())
    text = caplog.text
    assert "sending: msgtype=4 flags=0x3 ser=1 seq=7 corr=01234567-89ab-cdef-0123-456789abcdef" in text
    assert "annotations=" in text and "data=b'data'" in text
    assert "odd: msgtype=4 flags=0x3 ser=1 seq=7 corr=?" in text


def test_serialized_blob_local():
    blob = core.SerializedBlob("info", [1, 2, 3])
    assert blob.info == "info"
    assert blob.deserialized() == [1, 2, 3]
    assert blob._contains_blob is False


@pytest.mark.parametrize("name", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_serialized_blob_from_message(name):
    serializer = util.get_serializer(name)
    data, _ = serializer.serializeCall("obj", "method", (1, 2, 3), {})
    msg = message.Message(message.MSG_INVOKE, data, serializer.serializer_id, message.FLAGS_KEEPSERIALIZED, 1)
    blob = core.SerializedBlob("info", msg, is_blob=True)
    assert list(blob.deserialized()) == [1, 2, 3]
    if name in ("serpent", "pickle", "marshal"):
        assert tuple(blob.deserialized()) == (1, 2, 3)


def test_serialized_blob_compressed_message():
    serializer = util.get_serializer("serpent")
    data, compressed = serializer.serializeCall("obj", "method", ("x" * 1000,), {}, compress=True)
    assert compressed
    msg = message.Message(message.MSG_INVOKE, data, 1, message.FLAGS_COMPRESSED | message.FLAGS_KEEPSERIALIZED, 1)
    assert core.SerializedBlob("i", msg, is_blob=True).deserialized() == ("x" * 1000,)


def test_autoproxy_function():
    class Thing(object):
        pass
    thing = Thing()
    assert core.pyroObjectToAutoProxy(thing) is thing

    class FakeDaemon(object):
        def proxyFor(self, obj):
            return ("proxy for", obj)
    thing._pyroDaemon = FakeDaemon()
    assert core.pyroObjectToAutoProxy(thing) == ("proxy for", thing)
    Pyro4.config.AUTOPROXY = False
    assert core.pyroObjectToAutoProxy(thing) is thing


def test_serialize_core_object_to_dict():
    uri = URI("PYRO:obj@localhost:1234")
    assert core.serialize_core_object_to_dict(uri) == {"__class__": "Pyro4.core.URI",
                                                       "state": ("PYRO", "obj", None, "localhost", 1234)}

    class MyURI(URI):
        pass
    assert core.serialize_core_object_to_dict(MyURI("PYRO:o@h:1"))["__class__"] == "Pyro4.core.MyURI"


def test_uri_serpent_and_json_encoding():
    uri = URI("PYRO:obj@localhost:1234")
    data, _ = util.get_serializer("serpent").serializeData(uri)
    assert data in (b"# serpent utf-8 python3.2\n{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'localhost',1234)}",
                    b"# serpent utf-8 python3.2\n{'state':('PYRO','obj',None,'localhost',1234),'__class__':'Pyro4.core.URI'}")
    data, _ = util.get_serializer("json").serializeData(uri)
    assert data in (b'{"__class__": "Pyro4.core.URI", "state": ["PYRO", "obj", null, "localhost", 1234]}',
                    b'{"state": ["PYRO", "obj", null, "localhost", 1234], "__class__": "Pyro4.core.URI"}')


def test_resolve_basics():
    with pytest.raises(TypeError) as excinfo:
        core._resolve(42)
    assert str(excinfo.value) == "can only resolve Pyro URIs"
    uri = URI("PYRO:obj@host:1")
    assert core._resolve(uri) is uri
    assert core._resolve("PYRO:obj@host:1") == uri


def test_invoke_serializer_checked_before_connection_use():
    proxy = Proxy(UNUSED)
    proxy._pyroConnection = "not a connection"
    proxy._pyroSerializer = "foobar"
    with pytest.raises(errors.SerializeError):
        proxy._pyroInvoke("method", (), {})
    assert proxy._pyroConnection == "not a connection"
    proxy.__dict__["_pyroConnection"] = None


def test_blob_must_be_only_argument():
    proxy = Proxy(UNUSED)

    class FakeConnection(object):
        objectId = "obj"
        keep_open = True
    proxy._pyroConnection = FakeConnection()
    blob = core.SerializedBlob("info", [1])
    for args, kwargs in (((blob, 2), {}), ((blob,), {"k": 1})):
        with pytest.raises(errors.SerializeError) as excinfo:
            proxy._pyroInvoke("method", args, kwargs)
        assert str(excinfo.value) == "if SerializedBlob is used, it must be the only argument"


def test_uninitialised_proxy_has_no_remote_attributes():
    # __getattr__ reads the proxy's state from its __dict__: a proxy made without __init__ (as
    # copy and pickle make them) must still say AttributeError, never KeyError, and never connect
    blank = Proxy.__new__(Proxy)
    assert not hasattr(blank, "method")
    with pytest.raises(AttributeError):
        blank.method


def test_remote_method_sees_max_retries_and_async_mode_at_access():
    proxy = Proxy(UNUSED)
    proxy._pyroMethods = {"m"}
    proxy._pyroMaxRetries = 3
    assert proxy.m._max_retries == 3
    proxy._pyroAsync()
    assert isinstance(proxy.m, core._AsyncRemoteMethod)
