"""Pyro4.core.URI: parsing, errors, text forms, equality, state and pickling (API.md §8.1, §6.8)."""
import copy
import pickle
import pickletools

import pytest

import Pyro4
from Pyro4.core import URI
from Pyro4.errors import PyroError


def test_identity_and_module():
    assert Pyro4.URI is URI
    assert URI.__module__ == "Pyro4.core"
    assert URI.__qualname__ == "URI"


@pytest.mark.parametrize("value", [None, 99999, 1.5, b"PYRO:obj@host:1"])
def test_wrong_type(value):
    with pytest.raises(TypeError) as excinfo:
        URI(value)
    assert str(excinfo.value) == "uri parameter object is of wrong type"


@pytest.mark.parametrize("text", ["", "a", "PYRO", "PYRO:", "PYRO::", "PYRO:@host:1", "FOO:obj@h:1",
                                  "PYRO:obj", "PYRO: obj@host:1", "pyr:x@h:1"])
def test_invalid(text):
    with pytest.raises(PyroError) as excinfo:
        URI(text)
    assert str(excinfo.value) == "invalid uri"


@pytest.mark.parametrize("text", ["PYROLOC:obj@host:1", "FOOBAR:x", "PYROX:obj@host:4444", "pyrofoo:obj@h:1"])
def test_invalid_protocol(text):
    if not text.upper().startswith("PYRO"):
        with pytest.raises(PyroError) as excinfo:
            URI(text)
        assert str(excinfo.value) == "invalid uri"
        return
    with pytest.raises(PyroError) as excinfo:
        URI(text)
    assert str(excinfo.value) == "invalid uri (protocol)"


def test_basic_tcp():
    uri = URI("PYRO:12345@host.com:4444")
    assert (uri.protocol, uri.object, uri.host, uri.port, uri.sockname) == ("PYRO", "12345", "host.com", 4444, None)
    assert uri.location == "host.com:4444"
    assert str(uri) == uri.asString() == "PYRO:12345@host.com:4444"
    for attr in (uri.protocol, uri.object, uri.host):
        assert type(attr) is str


def test_protocol_case_insensitive():
    uri = URI("pYrO:obj@host:1")
    assert uri.protocol == "PYRO"
    assert URI("pyroname:thing").protocol == "PYRONAME"
    assert URI("PyroMeta:a").protocol == "PYROMETA"


def test_object_with_odd_characters():
    uri = URI("PYRO:a/b.c-d_e@host:5")
    assert uri.object == "a/b.c-d_e"
    assert URI("PYRO:x@y@host:5").host == "y@host"


def test_ports():
    with pytest.raises(PyroError) as excinfo:
        URI("PYRO:x@hostname")
    assert str(excinfo.value) == "invalid port in uri, port=None"
    with pytest.raises(PyroError) as excinfo:
        URI("PYRO:x@hostname:7766:bogus")
    assert str(excinfo.value) == "invalid port in uri, port=7766:bogus"
    with pytest.raises(PyroError) as excinfo:
        URI("PYRO:x@hostname:port")
    assert str(excinfo.value) == "invalid port in uri, port=port"


def test_pyroname():
    uri = URI("PYRONAME:some.name")
    assert (uri.protocol, uri.object, uri.host, uri.port, uri.sockname) == ("PYRONAME", "some.name", None, None, None)
    assert uri.location is None
    assert str(uri) == "PYRONAME:some.name"
    uri = URI("PYRONAME:name@host.com")
    assert uri.port == 9090
    assert str(uri) == "PYRONAME:name@host.com:9090"
    uri = URI("PYRONAME:name@host.com:5555")
    assert uri.port == 5555


def test_default_ns_port_read_at_parse_time():
    Pyro4.config.NS_PORT = 8888
    assert URI("PYRONAME:name@host").port == 8888
    assert URI("PYROMETA:tag@host").port == 8888
    assert URI("PYRONAME:name@[::1]").port == 8888


def test_pyrometa():
    uri = URI("PYROMETA:meta1,meta2,meta2@host")
    assert uri.protocol == "PYROMETA"
    assert uri.object == {"meta1", "meta2"}
    assert uri.port == 9090
    uri = URI("PYROMETA:x,,y")
    assert uri.object == {"x", "", "y"}
    text = str(URI("PYROMETA:a,b@h:1"))
    assert text in ("PYROMETA:a,b@h:1", "PYROMETA:b,a@h:1")


def test_unix_socket():
    uri = URI("PYRO:12345@./u:/tmp/sockname")
    assert (uri.host, uri.port, uri.sockname) == (None, None, "/tmp/sockname")
    assert uri.location == "./u:/tmp/sockname"
    assert str(uri) == "PYRO:12345@./u:/tmp/sockname"
    uri = URI("PYRO:12345@./u:/tmp/sock name with spaces/../x")
    assert uri.sockname == "/tmp/sock name with spaces/../x"
    uri = URI("PYRO:12345@./u:\x00abstract")
    assert uri.sockname == "\x00abstract"
    assert URI.isUnixsockLocation("./u:anything")
    assert not URI.isUnixsockLocation("host:1")


@pytest.mark.parametrize("text", ["PYRO:12345@./u:sockname:9999", "PYRO:12345@./u:"])
def test_unix_socket_invalid(text):
    with pytest.raises(PyroError) as excinfo:
        URI(text)
    assert str(excinfo.value) == "invalid uri (location)"


def test_ipv6():
    uri = URI("PYRO:obj@[::1]:4444")
    assert (uri.host, uri.port) == ("::1", 4444)
    assert uri.location == "[::1]:4444"
    assert str(uri) == "PYRO:obj@[::1]:4444"
    uri = URI("PYRO:obj@[fe80::1%2]:1")
    assert uri.host == "fe80::1%2"
    with pytest.raises(PyroError) as excinfo:
        URI("PYRO:obj@[[::1]]:4444")
    assert str(excinfo.value) == "invalid ipv6 address: enclosed in too many brackets"
    for bad in ("PYRO:obj@[hostname]:4444", "PYRO:obj@[::1]x:4444", "PYRO:obj@[::1]:port"):
        with pytest.raises(PyroError) as excinfo:
            URI(bad)
        assert str(excinfo.value) == "invalid ipv6 address: the part between brackets must be a numeric ipv6 address"
    with pytest.raises(PyroError) as excinfo:
        URI("PYRO:obj@[::1]")
    assert str(excinfo.value) == "invalid port in uri, port=None"


def test_repr():
    uri = URI("PYRO:obj@host:1")
    assert repr(uri) == "<Pyro4.core.URI at 0x%x; PYRO:obj@host:1>" % id(uri)

    class MyURI(URI):
        pass
    sub = MyURI("PYRO:obj@host:1")
    assert repr(sub).startswith("<%s.MyURI at 0x" % __name__)


def test_equality_and_hash():
    u1 = URI("PYRO:obj@host:1")
    u2 = URI("PYRO:obj@host:1")
    u3 = URI("PYRO:obj@host:2")
    assert u1 == u2 and not (u1 != u2)
    assert u1 != u3 and not (u1 == u3)
    assert hash(u1) == hash(u2)
    assert u1 != "PYRO:obj@host:1" and not (u1 == "PYRO:obj@host:1")
    assert u1 != 42
    assert len({u1, u2, u3}) == 2
    # equality and hash follow later attribute changes
    u3.port = 1
    assert u1 == u3 and hash(u1) == hash(u3)
    u3.object = "other"
    assert u1 != u3
    assert hash(u1) == hash(("PYRO", "obj", None, "host", 1))


def test_copy_constructor_and_copy():
    u1 = URI("PYRO:obj@host:1")
    u2 = URI(u1)
    assert u1 == u2 and u1 is not u2
    u3 = copy.copy(u1)
    assert u3 == u1 and u3 is not u1 and type(u3) is URI

    class MyURI(URI):
        pass
    sub = MyURI("PYROMETA:a,b")
    sub_copy = copy.copy(sub)
    assert type(sub_copy) is MyURI and sub_copy == sub
    meta_copy = URI(sub)
    assert meta_copy.object == {"a", "b"} and meta_copy.object is not sub.object


def test_state():
    uri = URI("PYRO:object@host:4444")
    assert uri.__getstate__() == ("PYRO", "object", None, "host", 4444)
    assert uri.__getstate_for_dict__() == ("PYRO", "object", None, "host", 4444)
    other = URI.__new__(URI)
    other.__setstate_from_dict__(["PYRO", "object", None, "host", 4444])
    assert other == uri
    other = URI.__new__(URI)
    other.__setstate__(("PYRO", "x", "/sock", None, None))
    assert other.location == "./u:/sock"


def test_pickle_bytes_exact():
    uri = URI("PYRO:obj@localhost:1234")
    data = pickletools.optimize(pickle.dumps(uri, 2))
    assert data == (b"\x80\x02cPyro4.core\nURI\n)\x81(X\x04\x00\x00\x00PYROX\x03\x00\x00\x00objN"
                    b"X\t\x00\x00\x00localhostM\xd2\x04tb.")
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(uri, protocol)) == uri


def test_location_variants():
    uri = URI("PYRO:obj@host:1")
    uri.host = None
    assert uri.location is None
    uri.sockname = "/s"
    assert uri.location == "./u:/s"


def test_pyrometa_state_from_dict_list():
    uri = URI.__new__(URI)
    uri.__setstate_from_dict__(["PYROMETA", ["a", "b"], None, "host", 9090])
    assert uri == URI("PYROMETA:a,b@host:9090")
