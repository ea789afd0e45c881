"""The name server over the network: NameServerDaemon, startNS, AutoCleaner, broadcast lookup
through locateNS, and robustness against malformed requests."""

import contextlib
import socket
import struct
import threading
import time
import warnings

import pytest
from test_naming_support import free_port, running_nameserver

import Pyro4
import Pyro4.core
import Pyro4.naming
from Pyro4.errors import NamingError, ProtocolError, PyroError
from Pyro4.naming import AutoCleaner, BroadcastServer, NameServerDaemon, startNS

NS_METHODS = {"count", "list", "lookup", "ping", "register", "remove", "set_metadata"}


@pytest.fixture
def nsdaemon():
    daemon = NameServerDaemon(host="127.0.0.1", port=0)
    yield daemon
    daemon.close()


def test_daemon_attributes(nsdaemon):
    assert isinstance(nsdaemon, Pyro4.core.Daemon)
    assert isinstance(nsdaemon.nameserver, Pyro4.naming.NameServer)
    assert nsdaemon.cleaner_thread is None
    assert nsdaemon.nameserver.count() == 1
    uri, tags = nsdaemon.nameserver.lookup("Pyro.NameServer", return_metadata=True)
    assert uri == nsdaemon.uriFor(nsdaemon.nameserver)
    assert uri.asString() == "PYRO:Pyro.NameServer@%s" % nsdaemon.locationStr
    assert tags == ["class:Pyro4.naming.NameServer"]
    assert "Pyro.NameServer" in nsdaemon.objectsById


def test_daemon_config_defaults():
    Pyro4.config.HOST = "127.0.0.1"
    Pyro4.config.NS_PORT = 0
    with NameServerDaemon() as daemon:
        assert daemon.sock.getsockname()[0] == "127.0.0.1"
        assert daemon.natLocationStr is None


def test_daemon_close_and_reuse():
    daemon = NameServerDaemon(host="127.0.0.1", port=0)
    with daemon:
        pass
    assert daemon.nameserver is None
    with pytest.raises(PyroError) as excinfo:
        with daemon:
            pass
    assert str(excinfo.value) == "cannot reuse this object"
    daemon.close()


def test_storage_selection(tmp_path, capsys):
    with NameServerDaemon(host="127.0.0.1", port=0, storage="memory") as daemon:
        assert isinstance(daemon.nameserver.storage, Pyro4.naming.MemoryStorage)
    with NameServerDaemon(host="127.0.0.1", port=0, storage="sql:" + str(tmp_path / "ns.sqlite")) as daemon:
        assert type(daemon.nameserver.storage).__name__ == "SqlStorage"
    assert capsys.readouterr().out == ""
    with NameServerDaemon(host="127.0.0.1", port=0, storage="dbm:" + str(tmp_path / "ns.dbm")) as daemon:
        assert type(daemon.nameserver.storage).__name__ == "DbmStorage"
    assert capsys.readouterr().out == "Warning: the DbmStorage doesn't support metadata.\n"
    with pytest.raises(ValueError) as excinfo:
        NameServerDaemon(host="127.0.0.1", port=0, storage="weird")
    assert str(excinfo.value) == "invalid storage type 'weird'"


@pytest.mark.parametrize("kind", ["sql", "dbm"])
def test_persistence_across_restart(kind, tmp_path, capsys):
    storage = "%s:%s" % (kind, tmp_path / "ns.store")
    with NameServerDaemon(host="127.0.0.1", port=0, storage=storage) as daemon:
        daemon.nameserver.register("kept.name", "PYRO:kept@127.0.0.1:5555")
        first_location = daemon.locationStr
    with NameServerDaemon(host="127.0.0.1", port=0, storage=storage) as daemon:
        assert daemon.nameserver.count() == 2
        assert daemon.nameserver.lookup("kept.name").object == "kept"
        # the name server's own entry from the earlier run is replaced by the current address
        own = daemon.nameserver.lookup("Pyro.NameServer")
        assert own.asString() == "PYRO:Pyro.NameServer@%s" % daemon.locationStr
        assert first_location != daemon.locationStr or own == daemon.uriFor(daemon.nameserver)
    capsys.readouterr()


def test_autoclean_minimum():
    Pyro4.config.NS_AUTOCLEAN = 1.5
    with pytest.raises(ValueError) as excinfo:
        NameServerDaemon(host="127.0.0.1", port=0)
    assert str(excinfo.value) == "NS_AUTOCLEAN cannot be smaller than 3"


def test_autocleaner_class_defaults():
    assert AutoCleaner.min_autoclean_value == 3
    assert AutoCleaner.max_unreachable_time == 20.0
    assert AutoCleaner.loop_delay == 2.0
    assert AutoCleaner.override_autoclean_min is False
    assert issubclass(AutoCleaner, threading.Thread)


def test_autoclean_removes_dead_entries(monkeypatch, tmp_path):
    monkeypatch.setattr(AutoCleaner, "override_autoclean_min", True)
    monkeypatch.setattr(AutoCleaner, "loop_delay", 0.2)
    monkeypatch.setattr(AutoCleaner, "max_unreachable_time", 0.5)
    Pyro4.config.NS_AUTOCLEAN = 0.3
    Pyro4.config.COMMTIMEOUT = 2
    with running_nameserver() as (uri, daemon, _):
        cleaner = daemon.cleaner_thread
        assert isinstance(cleaner, AutoCleaner) and cleaner.is_alive() and cleaner.daemon
        ns = daemon.nameserver
        ns.register("dead.tcp", "PYRO:dead@127.0.0.1:%d" % free_port())
        ns.register("dead.unix", "PYRO:dead@./u:%s" % (tmp_path / "no-such-socket"))
        ns.register("alive", "PYRO:Pyro.Daemon@%s" % daemon.locationStr)
        ns.register("logical", "PYRONAME:some.name")
        for _ in range(300):
            if "dead.tcp" not in ns.list() and "dead.unix" not in ns.list():
                break
            time.sleep(0.05)
        assert set(ns.list()) == {"Pyro.NameServer", "alive", "logical"}
        assert cleaner.is_alive()  # location-less URIs didn't kill the thread
    assert daemon.cleaner_thread is None
    cleaner.join(10)
    assert not cleaner.is_alive()
    assert cleaner.stop


def test_startNS_defaults():
    uri, daemon, bcserver = startNS(host="127.0.0.1", port=0)
    try:
        assert bcserver is None  # never a broadcast server for a loopback name server
        assert isinstance(daemon, NameServerDaemon)
        assert uri == daemon.uriFor(daemon.nameserver)
        assert uri.object == "Pyro.NameServer"
        assert daemon._pyroHmacKey is None
    finally:
        daemon.close()


def test_startNS_hmac_and_nat():
    uri, daemon, bcserver = startNS(host="127.0.0.1", port=0, nathost="nat.example.com", natport=5555, hmac="secret")
    try:
        assert bcserver is None
        assert daemon._pyroHmacKey == b"secret"
        assert uri.asString() == "PYRO:Pyro.NameServer@nat.example.com:5555"
        assert daemon.nameserver.lookup("Pyro.NameServer") == uri
    finally:
        daemon.close()


def test_startNS_unixsocket(tmp_path):
    path = str(tmp_path / "ns.socket")
    uri, daemon, bcserver = startNS(unixsocket=path)
    try:
        assert bcserver is None
        assert uri.asString() == "PYRO:Pyro.NameServer@./u:" + path
    finally:
        daemon.close()


def test_remote_calls():
    with running_nameserver() as (uri, daemon, _):
        with Pyro4.Proxy(uri) as ns:
            ns.ping()
            assert ns.count() == 1
            ns.register("example.one", "PYRO:one@127.0.0.1:5555", metadata={"meta1", "meta2"})
            ns.register("example.two", Pyro4.URI("PYRO:two@127.0.0.1:5555"), safe=True)
            found = ns.lookup("example.one")
            assert isinstance(found, Pyro4.URI) and found.object == "one"
            found, tags = ns.lookup("example.one", return_metadata=True)
            assert sorted(tags) == ["meta1", "meta2"]
            assert ns.list(prefix="example.") == {
                "example.one": "PYRO:one@127.0.0.1:5555",
                "example.two": "PYRO:two@127.0.0.1:5555",
            }
            assert list(ns.list(metadata_all=["meta1"])) == ["example.one"]
            ns.set_metadata("example.two", ["meta3"])
            assert list(ns.list(metadata_any={"meta3"})) == ["example.two"]
            assert ns.remove(prefix="example.") == 2
            assert ns._pyroMethods == NS_METHODS
            assert not ns._pyroOneway and not ns._pyroAttrs


@pytest.mark.parametrize("serializer", ["serpent", "json", "marshal", "msgpack"])
def test_remote_errors_per_serializer(serializer):
    Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack"}
    with running_nameserver() as (uri, daemon, _):
        with Pyro4.Proxy(uri) as ns:
            ns._pyroSerializer = serializer
            with pytest.raises(NamingError) as excinfo:
                ns.lookup("unknown")
            assert str(excinfo.value) == "unknown name: unknown"
            ns.register("x", "PYRO:x@127.0.0.1:1")
            with pytest.raises(NamingError) as excinfo:
                ns.register("x", "PYRO:x@127.0.0.1:1", safe=True)
            assert str(excinfo.value) == "name already registered: x"
            with pytest.raises(ValueError) as excinfo:
                ns.list(prefix="a", regex="b")
            assert str(excinfo.value) == "you can only filter on one thing at a time"
            assert ns.list(return_metadata=True)["Pyro.NameServer"][1] == ["class:Pyro4.naming.NameServer"]


@pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")
def test_malformed_requests_keep_serving():
    with running_nameserver() as (uri, daemon, _):
        with Pyro4.Proxy(uri) as ns:
            for error, call in (
                (TypeError, lambda: ns.register(12345, "PYRO:x@h:1")),
                (TypeError, lambda: ns.register("n", 42)),
                (PyroError, lambda: ns.register("n", "garbage uri")),
                (NamingError, lambda: ns.list(regex="((")),
                (TypeError, lambda: ns.list(metadata_all="astring")),
                (TypeError, lambda: ns.lookup("a", "b", "c", "d")),
                (TypeError, lambda: ns.remove(regex=12345)),
                (NamingError, lambda: ns.set_metadata("nope", [])),
            ):
                with pytest.raises(error):
                    call()
            assert ns.count() == 1
        host, port = daemon.sock.getsockname()[:2]
        for junk in (b"GARBAGE" * 10, b"PYRO" + b"\x00" * 30, b"", b"PYRO" + struct.pack(">H", 48) + b"\xff" * 40):
            with contextlib.closing(socket.create_connection((host, port), timeout=10)) as raw:
                try:
                    raw.sendall(junk)
                    raw.shutdown(socket.SHUT_WR)
                    raw.recv(1000)
                except OSError:
                    pass  # the server may drop (reset) the connection at any point: a fine answer to junk
        with Pyro4.Proxy(uri) as ns:
            ns.ping()
            assert ns.list() == {"Pyro.NameServer": uri.asString()}


def test_protocol_error_is_warned(monkeypatch, nsdaemon):
    def failing_handle(self, conn):
        raise ProtocolError("bad thing")

    monkeypatch.setattr(Pyro4.core.Daemon, "handleRequest", failing_handle)
    with pytest.warns(UserWarning) as record:
        with pytest.raises(ProtocolError):
            nsdaemon.handleRequest(None)
    assert str(record[0].message) == "Pyro protocol error occurred: bad thing"


def test_unaccepted_serializer_warns():
    with running_nameserver() as (uri, daemon, _):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Pyro4.Proxy(uri) as ns:
                ns._pyroBind()  # handshake with the (accepted) default serializer
                ns._pyroSerializer = "pickle"  # not in SERIALIZERS_ACCEPTED
                with pytest.raises(PyroError) as excinfo:
                    ns.ping()
                assert "serializer that is not accepted" in str(excinfo.value)
            # the warning comes from the server thread, after the reply went out
            for _ in range(200):
                if any("Pyro protocol error occurred" in str(item.message) for item in caught):
                    break
                time.sleep(0.05)
        texts = [str(item.message) for item in caught if "Pyro protocol error" in str(item.message)]
        assert texts[0] == "Pyro protocol error occurred: message used serializer that is not accepted: 4"
        with Pyro4.Proxy(uri) as ns:
            assert ns.count() == 1


def test_locateNS_by_broadcast():
    with running_nameserver() as (uri, daemon, _):
        with BroadcastServer(uri, bchost="127.0.0.1", bcport=0) as bcserver:
            bcserver.runInThread()
            Pyro4.config.NS_PORT = free_port()  # nothing there: the direct attempt fails first
            Pyro4.config.NS_BCPORT = bcserver.getPort()
            Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
            with Pyro4.naming.locateNS() as ns:
                assert ns._pyroUri == uri
                assert ns.count() == 1
            with Pyro4.naming.locateNS(port=bcserver.getPort()) as ns:
                assert ns._pyroUri == uri


def test_locateNS_direct_and_resolve():
    with running_nameserver() as (uri, daemon, _):
        daemon.nameserver.register("some.object", "PYRO:obj@127.0.0.1:5555", metadata={"tag"})
        with Pyro4.naming.locateNS("127.0.0.1", uri.port) as ns:
            assert ns._pyroUri == uri
        resolved = Pyro4.naming.resolve("PYRONAME:some.object@127.0.0.1:%d" % uri.port)
        assert resolved.asString() == "PYRO:obj@127.0.0.1:5555"
        resolved = Pyro4.naming.resolve("PYROMETA:tag@127.0.0.1:%d" % uri.port)
        assert resolved.asString() == "PYRO:obj@127.0.0.1:5555"
        with pytest.raises(NamingError):
            Pyro4.naming.resolve("PYRONAME:unknown.object@127.0.0.1:%d" % uri.port)


def test_hmac_protected_nameserver():
    with running_nameserver(hmac="secret") as (uri, daemon, _):
        with pytest.raises(NamingError) as excinfo:
            Pyro4.naming.locateNS("127.0.0.1", uri.port)
        assert str(excinfo.value) == "Failed to locate the nameserver"
        with Pyro4.naming.locateNS("127.0.0.1", uri.port, hmac_key="secret") as ns:
            assert ns.count() == 1


def test_multiplex_combined_broadcast():
    Pyro4.config.SERVERTYPE = "multiplex"
    daemon = NameServerDaemon(host="127.0.0.1", port=0)
    bcserver = BroadcastServer(daemon.uriFor(daemon.nameserver), bchost="127.0.0.1", bcport=0)
    daemon.combine(bcserver)
    thread = threading.Thread(target=daemon.requestLoop, daemon=True)
    thread.start()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        client.settimeout(10)
        client.sendto(b"GET_NSURI", ("127.0.0.1", bcserver.getPort()))
        answer = client.recvfrom(100)[0].decode("iso-8859-1")
        assert answer == daemon.uriFor(daemon.nameserver).asString()
        with Pyro4.Proxy(answer) as ns:
            assert ns.count() == 1
    finally:
        client.close()
        daemon.shutdown()
        thread.join(10)
        daemon.close()
        bcserver.close()


def test_startNS_broadcast_gets_internal_uri(monkeypatch):
    # tests may only bind loopback: pretend 127.0.0.1 is a LAN address to get a responder
    monkeypatch.setattr(Pyro4.naming, "_is_loopback", lambda hostip: False)
    uri, daemon, bcserver = startNS(
        host="127.0.0.1", port=0, bchost="127.0.0.1", bcport=0, nathost="nat.example.com", natport=5555
    )
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert isinstance(bcserver, BroadcastServer)
        assert uri.asString() == "PYRO:Pyro.NameServer@nat.example.com:5555"
        internal = daemon.uriFor(daemon.nameserver, nat=False)
        assert bcserver.nsUri == internal
        client.settimeout(10)
        client.sendto(b"GET_NSURI", ("127.0.0.1", bcserver.getPort()))
        bcserver.processRequest()
        assert client.recvfrom(100)[0].decode("iso-8859-1") == internal.asString()
    finally:
        client.close()
        bcserver.close()
        daemon.close()
    uri, daemon, bcserver = startNS(host="127.0.0.1", port=0, enableBroadcast=False)
    daemon.close()
    assert bcserver is None


def test_startNS_ipv6_loopback():
    try:
        uri, daemon, bcserver = startNS(host="::1", port=0)
    except OSError as x:
        pytest.skip("IPv6 loopback not available: %s" % x)
    try:
        assert bcserver is None
        assert uri.host == "::1"
        assert uri.asString().startswith("PYRO:Pyro.NameServer@[::1]:")
    finally:
        daemon.close()


@pytest.mark.filterwarnings("ignore:Pyro protocol error occurred")
def test_junk_on_established_connection():
    with running_nameserver() as (uri, daemon, _):
        victim = Pyro4.Proxy(uri)
        try:
            victim._pyroBind()
            try:
                victim._pyroConnection.sock.sendall(b"PYRO\x00\x30" + b"\xee" * 50)
            except OSError:
                pass  # already dropped by the server: fine
        finally:
            victim._pyroRelease()
        with Pyro4.Proxy(uri) as ns:
            ns.register("still.working", "PYRO:x@127.0.0.1:1")
            assert ns.count() == 2


@pytest.mark.parametrize("kind", ["memory", "sql", "dbm"])
def test_concurrent_clients(kind, tmp_path):
    storage = None if kind == "memory" else "%s:%s" % (kind, tmp_path / "ns.store")
    failures = []
    with running_nameserver(storage=storage) as (uri, daemon, _):

        def client(number):
            try:
                with Pyro4.Proxy(uri) as ns:
                    for item in range(8):
                        name = "c%d.%d" % (number, item)
                        ns.register(name, "PYRO:%s@127.0.0.1:1" % name, metadata=["client%d" % number])
                        if item % 4 == 0:
                            assert ns.remove(name) == 1
            except Exception as x:  # collected: an exception in a thread would otherwise be lost
                failures.append(x)

        threads = [threading.Thread(target=client, args=(number,)) for number in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with Pyro4.Proxy(uri) as ns:
            names = ns.list(prefix="c")
            if kind != "dbm":
                assert set(ns.list(metadata_any=["client3"])) == {"c3.%d" % i for i in range(8) if i % 4}
    assert not failures
    assert set(names) == {"c%d.%d" % (n, i) for n in range(5) for i in range(8) if i % 4}
