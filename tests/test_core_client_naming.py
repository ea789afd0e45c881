"""locateNS / resolve and PYRONAME / PYROMETA proxies against our name server (API.md §8.15)."""
import socket
import threading

import pytest

import Pyro4
from Pyro4 import core, errors, naming

WAIT = 10


class Thing(object):
    @Pyro4.expose
    def hello(self):
        return "hi"


def free_port(kind=socket.SOCK_STREAM):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def nameserver():
    """A name server on 127.0.0.1 (random port) holding one registered object; yields (ns daemon, port, uri)."""
    Pyro4.config.POLLTIMEOUT = 0.1
    daemon = naming.NameServerDaemon(host="127.0.0.1", port=0)
    thing_uri = daemon.register(Thing(), "thing")
    daemon.nameserver.register("example.thing", thing_uri, metadata={"tag1", "tag2"})
    daemon.nameserver.register("example.other", thing_uri, metadata={"tag1"})
    loop = threading.Thread(target=daemon.requestLoop)
    loop.daemon = True
    loop.start()
    port = daemon.sock.getsockname()[1]
    # the localhost-first step of locateNS must find only this name server
    Pyro4.config.NS_HOST = "127.0.0.1"
    Pyro4.config.NS_PORT = port
    try:
        yield daemon, port, thing_uri
    finally:
        daemon.shutdown()
        loop.join(WAIT)
        daemon.close()


def test_package_names():
    assert Pyro4.locateNS is core._locateNS is naming.locateNS
    assert Pyro4.resolve is core._resolve is naming.resolve


def test_locate_direct(nameserver):
    _, port, _ = nameserver
    with core._locateNS("127.0.0.1", port) as ns:
        assert isinstance(ns, core.Proxy)
        assert ns._pyroHmacKey is None
        assert ns._pyroUri.object == "Pyro.NameServer"
        assert ns._pyroConnection is not None
        assert ns.count() == 3


def test_locate_localhost_first(nameserver):
    _, port, _ = nameserver
    Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
    Pyro4.config.NS_BCPORT = free_port(socket.SOCK_DGRAM)
    with core._locateNS() as ns:
        assert ns._pyroUri.port == port
        ns.ping()


def test_locate_failure():
    port = free_port()
    with pytest.raises(errors.NamingError) as excinfo:
        core._locateNS("127.0.0.1", port)
    assert str(excinfo.value) == "Failed to locate the nameserver"
    assert isinstance(excinfo.value.__cause__, errors.PyroError)


def test_locate_unix_socket_missing(tmp_path):
    with pytest.raises(errors.NamingError) as excinfo:
        core._locateNS("./u:" + str(tmp_path / "no-such-socket"))
    assert str(excinfo.value) == "Failed to locate the nameserver"


def test_locate_wrong_hmac(nameserver):
    _, port, _ = nameserver
    with pytest.raises(errors.NamingError):
        core._locateNS("127.0.0.1", port, hmac_key=b"wrong")


def test_locate_by_broadcast(nameserver):
    daemon, port, _ = nameserver
    Pyro4.config.NS_PORT = free_port()          # nothing there: the localhost step fails
    Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
    responder = naming.BroadcastServer(daemon.uriFor(daemon.nameserver).asString(), bchost="127.0.0.1", bcport=0)
    Pyro4.config.NS_BCPORT = responder.getPort()
    responder.runInThread()
    try:
        ns = core._locateNS(hmac_key=None)
        assert ns._pyroConnection is None         # the broadcast answer is not connected to yet
        assert ns._pyroUri.port == port
        with ns:
            assert ns.count() == 3
    finally:
        responder.close()


def test_locate_without_broadcast(nameserver):
    _, port, _ = nameserver
    Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
    Pyro4.config.NS_BCPORT = free_port(socket.SOCK_DGRAM)
    with core._locateNS(broadcast=False) as ns:
        assert ns._pyroUri.port == port
    Pyro4.config.NS_PORT = free_port()
    with pytest.raises(errors.NamingError):
        core._locateNS(broadcast=False)   # localhost step and the NS_HOST:NS_PORT fallback both fail


def test_resolve_pyroname(nameserver):
    _, port, thing_uri = nameserver
    resolved = core._resolve("PYRONAME:example.thing@127.0.0.1:%d" % port)
    assert resolved == thing_uri
    with pytest.raises(errors.NamingError):
        core._resolve("PYRONAME:unknown.name@127.0.0.1:%d" % port)


def test_resolve_pyrometa(nameserver):
    _, port, thing_uri = nameserver
    assert core._resolve("PYROMETA:tag1,tag2@127.0.0.1:%d" % port) == thing_uri
    assert core._resolve("PYROMETA:tag1@127.0.0.1:%d" % port) == thing_uri
    with pytest.raises(errors.NamingError) as excinfo:
        core._resolve("PYROMETA:nope@127.0.0.1:%d" % port)
    assert str(excinfo.value).startswith("no registrations available with desired metadata properties")


def test_pyroname_proxy(nameserver):
    _, port, thing_uri = nameserver
    with core.Proxy("PYRONAME:example.thing@127.0.0.1:%d" % port) as proxy:
        assert proxy.hello() == "hi"
        assert proxy._pyroUri.protocol == "PYRONAME"   # a plain connect keeps the logical uri
        proxy._pyroRelease()
        proxy._pyroBind()
        assert proxy._pyroUri == thing_uri             # _pyroBind replaces it with the resolved one


def test_pyrometa_proxy(nameserver):
    _, port, _ = nameserver
    with core.Proxy("PYROMETA:tag2@127.0.0.1:%d" % port) as proxy:
        assert proxy.hello() == "hi"
