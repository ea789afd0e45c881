"""Daemon construction, registration, URIs, instance modes and the DaemonObject (no network calls)."""

import copy
import pickle
import socket

import pytest

import Pyro4
from Pyro4 import core, errors, socketutil, util
from Pyro4.configuration import config


@Pyro4.expose
class Thing(object):
    def method(self):
        return 42

    @Pyro4.oneway
    def fire(self):
        pass

    @property
    def value(self):
        return 1


@pytest.fixture
def daemon():
    with Pyro4.Daemon(port=0) as d:
        yield d


class TestConstruction:
    def test_class_identity(self):
        assert Pyro4.Daemon is core.Daemon
        assert core.Daemon.__module__ == "Pyro4.core"
        assert core.DaemonObject.__module__ == "Pyro4.core"
        assert core._OnewayCallThread.__module__ == "Pyro4.core"
        assert core.Daemon.__qualname__ == "Daemon"

    def test_nat_arguments(self):
        with pytest.raises(ValueError, match="cannot use nathost together with unixsocket"):
            Pyro4.Daemon(nathost="host", natport=5555, unixsocket="sock")
        with pytest.raises(ValueError, match="must provide natport with nathost"):
            Pyro4.Daemon(natport=5555)

    def test_nat_location(self):
        with Pyro4.Daemon(nathost="nathost", natport=0) as d:
            assert d.natLocationStr == "nathost:%d" % d.sock.getsockname()[1]
        with Pyro4.Daemon(nathost="nathost", natport=99999) as d:
            assert d.natLocationStr == "nathost:99999"
            assert str(d.uriFor("x")) == "PYRO:x@nathost:99999"
            assert str(d.uriFor("x", nat=False)) == "PYRO:x@" + d.locationStr
        config.NATHOST = "confighost"
        config.NATPORT = 1234
        with Pyro4.Daemon() as d:
            assert d.natLocationStr == "confighost:1234"

    def test_servertypes(self):
        with Pyro4.Daemon() as d:
            assert "Thread" in d.transportServer.__class__.__name__
        config.SERVERTYPE = "multiplex"
        with Pyro4.Daemon() as d:
            assert "Multiplex" in d.transportServer.__class__.__name__
        config.SERVERTYPE = "foobar"
        with pytest.raises(errors.PyroError, match="invalid server type 'foobar'"):
            Pyro4.Daemon()

    def test_connected_socket(self):
        ours, theirs = socket.socketpair()
        try:
            with Pyro4.Daemon(connected_socket=ours, nathost="ignored", natport=1) as d:
                assert "Existing" in d.transportServer.__class__.__name__
                assert d.locationStr == "./u:<<not-bound>>"
                assert d.natLocationStr is None
        finally:
            ours.close()
            theirs.close()

    def test_location_strings(self, tmp_path):
        with Pyro4.Daemon(host="localhost") as d:
            assert d.locationStr == "localhost:%d" % d.sock.getsockname()[1]
        with Pyro4.Daemon(host="") as d:
            assert d.locationStr == "0.0.0.0:%d" % d.sock.getsockname()[1]
        path = str(tmp_path / "d.sock")
        with Pyro4.Daemon(unixsocket=path) as d:
            assert d.locationStr == "./u:" + path
            assert socketutil.family_str(d.sock) == "Unix"

    def test_accepted_serializers_captured(self):
        config.SERIALIZERS_ACCEPTED = {"json"}
        with Pyro4.Daemon() as d:
            config.SERIALIZERS_ACCEPTED = {"serpent"}
            assert d._accepted_ids == {2}
        config.SERIALIZERS_ACCEPTED = {"serpent", "nonexisting"}
        with pytest.raises(errors.SerializeError):
            Pyro4.Daemon()

    def test_sockets_and_selector(self, daemon):
        assert daemon.sockets == [daemon.sock]
        with pytest.raises(TypeError):
            _ = daemon.selector
        with pytest.raises(TypeError):
            daemon.combine(daemon)

    def test_multiplex_sockets_and_combine(self):
        config.SERVERTYPE = "multiplex"
        with Pyro4.Daemon() as d1, Pyro4.Daemon() as d2:
            assert d1.sockets == [d1.sock]
            assert d1.selector is not None
            d1.combine(d2)
            assert d2.sock in d1.sockets
            assert d2.selector is d1.selector

    def test_repr(self, daemon):
        text = repr(daemon)
        assert text.startswith("<Pyro4.core.Daemon at 0x")
        assert text.endswith("; %s - IPv4; 1 objects>" % daemon.locationStr)
        assert str(daemon) == text
        shell = core.Daemon.__new__(core.Daemon)
        assert repr(shell) == "<Pyro4.core.Daemon at 0x%x; unusable>" % id(shell)

    def test_context_manager_and_close(self):
        d = Pyro4.Daemon()
        with d:
            pass
        assert d.transportServer is None
        d.close()
        with pytest.raises(errors.PyroError, match="cannot reuse this object"):
            with d:
                pass

    def test_hmac_key_property(self, daemon):
        assert daemon._pyroHmacKey is None
        daemon._pyroHmacKey = "secret"
        assert daemon._pyroHmacKey == b"secret"
        daemon._pyroHmacKey = b"bytes"
        assert daemon._pyroHmacKey == b"bytes"

    def test_serialized_as_empty_shell(self, daemon):
        assert daemon.__getstate__() == {}
        assert daemon.__getstate_for_dict__() == ()
        shell = pickle.loads(pickle.dumps(daemon))
        assert isinstance(shell, core.Daemon)
        assert vars(shell) == {}
        for name in ("serpent", "json", "marshal"):
            ser = util.get_serializer(name)
            restored = ser.deserializeData(ser.serializeData(daemon)[0])
            assert isinstance(restored, core.Daemon) and vars(restored) == {}


class TestRegistration:
    def test_register_ids(self, daemon):
        with pytest.raises(TypeError, match="objectId must be a string or None"):
            daemon.register(Thing(), 12345)
        uri = daemon.register(Thing())
        assert uri.object.startswith("obj_") and len(uri.object) == 36
        assert uri == daemon.uriFor(uri.object)
        uri = daemon.register(Thing(), "named")
        assert str(uri) == "PYRO:named@" + daemon.locationStr
        with pytest.raises(errors.DaemonError, match="an object or class is already registered with that id"):
            daemon.register(Thing(), "named")
        with pytest.raises(errors.DaemonError, match="an object or class is already registered with that id"):
            daemon.register(Thing(), "Pyro.Daemon")
        with pytest.raises(AttributeError):
            daemon.register(None)
        with pytest.raises(AttributeError):
            daemon.register(4444)

    def test_register_twice_and_force(self, daemon):
        obj = Thing()
        daemon.register(obj, "one")
        assert obj._pyroId == "one" and obj._pyroDaemon is daemon
        with pytest.raises(errors.DaemonError, match="object or class already has a Pyro id"):
            daemon.register(obj, "two")
        daemon.register(obj, "two", force=True)
        assert obj._pyroId == "two"
        assert {"one", "two"} <= set(daemon.objectsById)
        other = Thing()
        other._pyroId = ""
        daemon.register(other, "three")  # an empty id counts as none

    def test_class_gets_session_instancing(self, daemon):
        class Plain(object):
            pass

        daemon.register(Plain)
        assert Plain._pyroInstancing == ("session", None)

        @Pyro4.behavior(instance_mode="single")
        class Single(object):
            pass

        daemon.register(Single)
        assert Single._pyroInstancing == ("single", None)

    def test_unregister(self, daemon):
        with pytest.raises(ValueError, match="object or objectid argument expected"):
            daemon.unregister(None)
        with pytest.raises(errors.DaemonError, match="object isn't registered"):
            daemon.unregister(Thing())
        daemon.unregister("Pyro.Daemon")
        daemon.unregister("unknown")
        assert "Pyro.Daemon" in daemon.objectsById
        obj = Thing()
        daemon.register(obj, "byobject")
        daemon.unregister(obj)
        assert "byobject" not in daemon.objectsById
        assert not [name for name in vars(obj) if name.startswith("_pyro")]
        obj2 = Thing()
        daemon.register(obj2, "byid")
        daemon.unregister("byid")
        assert "byid" not in daemon.objectsById
        assert obj2._pyroId == "byid"

    def test_uri_for(self, daemon):
        assert str(daemon.uriFor("notregistered")) == "PYRO:notregistered@" + daemon.locationStr
        with pytest.raises(errors.DaemonError, match="object isn't registered in this daemon"):
            daemon.uriFor(Thing())
        obj = Thing()
        daemon.register(obj, "reg")
        assert daemon.uriFor(obj) == daemon.uriFor("reg")

    def test_proxy_for(self, daemon):
        obj = Thing()
        daemon.register(obj, "thing")
        proxy = daemon.proxyFor(obj)
        try:
            assert proxy._pyroUri == daemon.uriFor("thing")
            assert proxy._pyroMethods == {"method", "fire"}
            assert proxy._pyroOneway == {"fire"}
            assert proxy._pyroAttrs == {"value"}
            assert proxy._pyroConnection is None
        finally:
            proxy._pyroRelease()
        with pytest.raises(errors.DaemonError, match="object isn't registered in this daemon"):
            daemon.proxyFor("unknown")

    def test_reset_metadata_cache(self, daemon):
        class Dynamic(object):
            @Pyro4.expose
            def first(self):
                pass

        obj = Dynamic()
        daemon.register(obj, "dyn")
        dobj = daemon.objectsById["Pyro.Daemon"]
        assert dobj.get_metadata("dyn")["methods"] == {"first"}

        @Pyro4.expose
        def second(self):
            pass

        Dynamic.second = second
        assert dobj.get_metadata("dyn")["methods"] == {"first"}  # cached
        daemon.resetMetadataCache(obj)
        assert dobj.get_metadata("dyn")["methods"] == {"first", "second"}
        assert set(dobj.get_metadata("dyn", as_lists=True)["methods"]) == {"first", "second"}

    def test_autoproxy_replacement(self, daemon):
        obj = Thing()
        daemon.register(obj, "auto")
        ser = util.get_serializer("serpent")
        restored = ser.deserializeData(ser.serializeData(obj)[0])
        assert isinstance(restored, core.Proxy)
        assert restored._pyroUri == daemon.uriFor("auto")
        daemon.unregister(obj)
        with pytest.raises(errors.ProtocolError):
            ser.deserializeData(ser.serializeData(obj)[0])  # a plain object again: class not rebuildable


class TestInstances:
    class FakeConn(object):
        def __init__(self):
            self.pyroInstances = {}

    def test_modes(self, daemon):
        @Pyro4.behavior(instance_mode="single")
        class Single(object):
            pass

        @Pyro4.behavior(instance_mode="session")
        class Session(object):
            pass

        @Pyro4.behavior(instance_mode="percall")
        class PerCall(object):
            pass

        c1, c2 = self.FakeConn(), self.FakeConn()
        assert daemon._getInstance(Single, c1) is daemon._getInstance(Single, c2)
        assert daemon._pyroInstances[Single] is daemon._getInstance(Single, c1)
        assert daemon._getInstance(Session, c1) is daemon._getInstance(Session, c1)
        assert daemon._getInstance(Session, c1) is not daemon._getInstance(Session, c2)
        assert c1.pyroInstances[Session] is daemon._getInstance(Session, c1)
        assert daemon._getInstance(PerCall, c1) is not daemon._getInstance(PerCall, c1)

    def test_creator_and_invalid_mode(self, daemon):
        created = []

        def creator(cls):
            created.append(cls)
            return cls()

        @Pyro4.behavior(instance_mode="percall", instance_creator=creator)
        class Created(object):
            pass

        assert isinstance(daemon._getInstance(Created, self.FakeConn()), Created)
        assert created == [Created]

        @Pyro4.behavior(instance_mode="percall", instance_creator=lambda cls: "wrong")
        class Wrong(object):
            pass

        with pytest.raises(TypeError, match="instance creator returned object of different type"):
            daemon._getInstance(Wrong, self.FakeConn())

        class Invalid(object):
            _pyroInstancing = ("bogus", None)

        with pytest.raises(errors.DaemonError, match="invalid instancemode in registered class"):
            daemon._getInstance(Invalid, self.FakeConn())

    def test_falsy_single_instance_is_kept(self, daemon):
        # [D] 4.82 re-creates an instance that evaluates as false
        @Pyro4.behavior(instance_mode="single")
        class Falsy(object):
            def __len__(self):
                return 0

        first = daemon._getInstance(Falsy, self.FakeConn())
        assert daemon._getInstance(Falsy, self.FakeConn()) is first


class TestDaemonObject:
    def test_methods(self, daemon):
        dobj = daemon.objectsById["Pyro.Daemon"]
        assert isinstance(dobj, core.DaemonObject)
        assert dobj._pyroId == "Pyro.Daemon"
        assert dobj.daemon is daemon
        meta = dobj.get_metadata("Pyro.Daemon")
        assert meta["methods"] == {"get_metadata", "get_next_stream_item", "close_stream", "info", "ping", "registered"}
        assert meta["oneway"] == set() and meta["attrs"] == set()
        assert dobj.ping() is None
        daemon.register(Thing(), "thing")
        assert sorted(dobj.registered()) == ["Pyro.Daemon", "thing"]
        assert dobj.info() == "Pyro.Daemon bound on %s, NAT None, 2 objects registered. Servertype: %r" % (
            daemon.locationStr,
            daemon.transportServer,
        )
        with pytest.raises(errors.DaemonError, match="unknown object"):
            dobj.get_metadata("nope")

    def test_interface_subclass(self):
        class MyDaemonObject(core.DaemonObject):
            @Pyro4.expose
            def extra(self):
                return "extra"

        with Pyro4.Daemon(interface=MyDaemonObject) as d:
            dobj = d.objectsById["Pyro.Daemon"]
            assert isinstance(dobj, MyDaemonObject)
            assert "extra" in dobj.get_metadata("Pyro.Daemon")["methods"]

    def test_streams(self, daemon):
        dobj = daemon.objectsById["Pyro.Daemon"]
        is_stream, stream_id = daemon._streamResponse(iter([1, 2]), "conn")
        assert is_stream and len(stream_id) == 36
        assert dobj.get_next_stream_item(stream_id) == 1
        assert dobj.get_next_stream_item(stream_id) == 2
        with pytest.raises(StopIteration):
            dobj.get_next_stream_item(stream_id)
        with pytest.raises(errors.PyroError, match="item stream terminated"):
            dobj.get_next_stream_item(stream_id)
        is_stream, stream_id = daemon._streamResponse((x for x in range(3)), "conn")
        dobj.close_stream(stream_id)
        dobj.close_stream("unknown")
        assert stream_id not in daemon.streaming_responses
        assert daemon._streamResponse([1, 2], "conn") == (False, [1, 2])
        with pytest.raises(errors.PyroError, match="won't serialize or stream lazy dict iterators"):
            daemon._streamResponse(iter({1: 2}), "conn")
        config.ITER_STREAMING = False
        assert daemon._streamResponse(iter([1]), "conn") == (True, None)

    def test_linger_and_lifetime(self, daemon):
        config.ITER_STREAM_LINGER = 30
        _, sid = daemon._streamResponse(iter([1, 2]), "conn1")
        daemon._clientDisconnect("conn1")
        owner, created, linger_since, _ = daemon.streaming_responses[sid]
        assert owner is None and linger_since > 0
        config.ITER_STREAM_LINGER = 0.0001
        daemon.streaming_responses[sid] = (None, created, linger_since - 1, daemon.streaming_responses[sid][3])
        daemon._housekeeping()
        assert sid not in daemon.streaming_responses
        config.ITER_STREAM_LINGER = 0
        _, sid = daemon._streamResponse(iter([1, 2]), "conn2")
        daemon._clientDisconnect("conn2")
        assert sid not in daemon.streaming_responses
        config.ITER_STREAM_LIFETIME = 1
        _, sid = daemon._streamResponse(iter([1, 2]), "conn3")
        entry = daemon.streaming_responses[sid]
        daemon.streaming_responses[sid] = (entry[0], entry[1] - 5, 0, entry[3])
        daemon._housekeeping()
        assert sid not in daemon.streaming_responses


def test_hooks_defaults(daemon):
    assert daemon.validateHandshake(None, "hello") == "hello"
    assert daemon.annotations() == {}
    assert daemon.clientDisconnect(None) is None
    assert daemon.housekeeping() is None
    assert copy.copy(daemon.annotations()) == {}
