"""The NameServer object used locally (no network), on each of the three storages, plus
MemoryStorage and type_meta."""

import threading

import pytest

import Pyro4
import Pyro4.core
import Pyro4.naming
from Pyro4.errors import NamingError, PyroError
from Pyro4.naming import MemoryStorage, NameServer, type_meta
from Pyro4.naming_storage import DbmStorage, SqlStorage

ALL_STORAGES = ["memory", "sql", "dbm"]
META_STORAGES = ["memory", "sql"]


def _make_storage(kind, tmp_path):
    if kind == "memory":
        return MemoryStorage()
    if kind == "sql":
        return SqlStorage(str(tmp_path / "ns.sqlite"))
    return DbmStorage(str(tmp_path / "ns.dbm"))


@pytest.fixture(params=ALL_STORAGES)
def ns(request, tmp_path):
    nameserver = NameServer(_make_storage(request.param, tmp_path))
    nameserver.kind = request.param
    yield nameserver
    nameserver.storage.close()


@pytest.fixture(params=META_STORAGES)
def metans(request, tmp_path):
    nameserver = NameServer(_make_storage(request.param, tmp_path))
    yield nameserver
    nameserver.storage.close()


def test_module_names():
    assert Pyro4.naming.__all__ == ["locateNS", "resolve", "type_meta", "startNSloop", "startNS"]
    assert Pyro4.naming.locateNS is Pyro4.core._locateNS
    assert Pyro4.naming.resolve is Pyro4.core._resolve
    for name in ("MemoryStorage", "NameServer", "NameServerDaemon", "AutoCleaner", "BroadcastServer", "main"):
        assert hasattr(Pyro4.naming, name)


def test_nameserver_class_is_exposed():
    assert NameServer.__module__ == "Pyro4.naming"
    assert getattr(NameServer, "_pyroExposed", False)
    exposed = Pyro4.util.get_exposed_members(NameServer, only_exposed=True)
    assert exposed["methods"] == {"count", "list", "lookup", "ping", "register", "remove", "set_metadata"}
    assert not exposed["oneway"]
    assert not exposed["attrs"]


def test_default_storage():
    nameserver = NameServer()
    assert isinstance(nameserver.storage, MemoryStorage)
    assert hasattr(nameserver.lock, "acquire")
    assert nameserver.ping() is None
    assert nameserver.count() == 0


def test_register_lookup(ns):
    ns.register("obj.one", "PYRO:one@localhost:4444")
    ns.register("obj.two", Pyro4.core.URI("PYRO:two@localhost:4444"))
    assert ns.count() == 2
    uri = ns.lookup("obj.one")
    assert isinstance(uri, Pyro4.core.URI)  # a string registration still looks up as a URI
    assert uri == Pyro4.core.URI("PYRO:one@localhost:4444")
    assert ns.lookup("obj.two").asString() == "PYRO:two@localhost:4444"
    uri, metadata = ns.lookup("obj.one", return_metadata=True)
    assert uri.object == "one"
    assert metadata == []


def test_lookup_unknown(ns):
    with pytest.raises(NamingError) as excinfo:
        ns.lookup("unknown_name")
    assert str(excinfo.value) == "unknown name: unknown_name"


def test_register_replaces_and_safe(ns):
    ns.register("name", "PYRO:first@localhost:1")
    ns.register("name", "PYRO:second@localhost:1")
    assert ns.lookup("name").object == "second"
    with pytest.raises(NamingError) as excinfo:
        ns.register("name", "PYRO:third@localhost:1", safe=True)
    assert str(excinfo.value) == "name already registered: name"
    assert ns.lookup("name").object == "second"
    ns.register("other", "PYRO:third@localhost:1", safe=True)
    assert ns.count() == 2


def test_register_type_errors(ns):
    with pytest.raises(TypeError) as excinfo:
        ns.register("name", 12345)
    assert str(excinfo.value) == "only URIs or strings can be registered"
    with pytest.raises(TypeError) as excinfo:
        ns.register(None, "PYRO:x@host:1")
    assert str(excinfo.value) == "name must be a str"
    with pytest.raises(TypeError) as excinfo:
        ns.register(5555, "PYRO:x@host:1")
    assert str(excinfo.value) == "name must be a str"
    with pytest.raises(PyroError) as excinfo:
        ns.register("name", "not a uri")
    assert str(excinfo.value) == "invalid uri"
    assert ns.count() == 0


def test_register_metadata_type_errors(ns):
    with pytest.raises(TypeError) as excinfo:
        ns.register("name", "PYRO:x@host:1", metadata="a string")
    assert str(excinfo.value) == "metadata should not be a str, but another iterable (set, list, etc)"
    with pytest.raises(TypeError):
        ns.register("name", "PYRO:x@host:1", metadata=12345)
    with pytest.raises(TypeError):
        ns.set_metadata("name", "a string")
    assert ns.count() == 0


def test_remove(ns):
    ns.register("Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090")
    ns.register("a.one", "PYRO:1@h:1")
    ns.register("a.two", "PYRO:2@h:1")
    ns.register("b.one", "PYRO:3@h:1")
    ns.register("b.two", "PYRO:4@h:1")
    assert ns.remove("unknown") == 0
    assert ns.remove() == 0
    assert ns.remove("Pyro.NameServer") == 0  # the name server's own entry stays
    assert ns.remove("a.one") == 1
    assert ns.remove("a.one") == 0
    assert ns.remove(prefix="a.") == 1
    assert ns.remove(regex=r"b\..+") == 2
    assert ns.remove(prefix="Pyro") == 0
    assert ns.remove(regex=".*") == 0
    assert list(ns.list()) == ["Pyro.NameServer"]


def test_list(ns):
    ns.register("Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090")
    ns.register("name1", "PYRO:1@h:1")
    ns.register("name12", "PYRO:12@h:1")
    ns.register("other", "PYRO:o@h:1")
    everything = ns.list()
    assert everything == {
        "Pyro.NameServer": "PYRO:Pyro.NameServer@localhost:9090",
        "name1": "PYRO:1@h:1",
        "name12": "PYRO:12@h:1",
        "other": "PYRO:o@h:1",
    }
    assert all(isinstance(uri, str) for uri in everything.values())  # strings, not URI objects
    assert ns.list(prefix="name") == {"name1": "PYRO:1@h:1", "name12": "PYRO:12@h:1"}
    assert ns.list(prefix="zzz") == {}
    assert ns.list(prefix="") == everything  # an empty filter means no filter


def test_list_regex(ns):
    ns.register("name1", "PYRO:1@h:1")
    ns.register("name12", "PYRO:12@h:1")
    ns.register("xname1", "PYRO:x@h:1")
    if ns.kind == "dbm":
        # the dbm storage matches whole names
        assert ns.list(regex="name.") == {"name1": "PYRO:1@h:1"}
    else:
        # anchored at the start only
        assert ns.list(regex="name.") == {"name1": "PYRO:1@h:1", "name12": "PYRO:12@h:1"}
    assert ns.list(regex="name.$") == {"name1": "PYRO:1@h:1"}
    assert ns.list(regex=".*name1$") == {"name1": "PYRO:1@h:1", "xname1": "PYRO:x@h:1"}
    assert ns.list(regex="x") == ({} if ns.kind == "dbm" else {"xname1": "PYRO:x@h:1"})
    with pytest.raises(NamingError) as excinfo:
        ns.list(regex="((")
    assert str(excinfo.value).startswith("invalid regex: ")


def test_list_one_filter_only(ns):
    for kwargs in (
        {"prefix": "a", "regex": "b"},
        {"prefix": "a", "metadata_all": ["x"]},
        {"metadata_all": ["x"], "metadata_any": ["y"]},
        {"regex": "", "metadata_any": []},
    ):
        with pytest.raises(ValueError) as excinfo:
            ns.list(**kwargs)
        assert str(excinfo.value) == "you can only filter on one thing at a time"


def test_list_return_metadata_without_tags(ns):
    ns.register("name", "PYRO:1@h:1")
    assert ns.list(return_metadata=True) == {"name": ("PYRO:1@h:1", [])}
    assert ns.list(prefix="na", return_metadata=True) == {"name": ("PYRO:1@h:1", [])}
    assert ns.list(regex="na.*", return_metadata=True) == {"name": ("PYRO:1@h:1", [])}


def test_unicode_names(ns):
    name = "\u20ac\u00e4\u4e2d"
    ns.register(name, "PYRO:obj@host:1")
    assert ns.lookup(name).object == "obj"
    assert list(ns.list(prefix="\u20ac")) == [name]
    assert list(ns.list(regex="\u20ac.*")) == [name]
    assert ns.remove(name) == 1


def test_metadata(metans):
    ns = metans
    ns.register("meta1", "PYRO:1@h:1", metadata={"a", "b"})
    ns.register("meta2", "PYRO:2@h:1", metadata=["b", "c", "c"])
    ns.register("nometa", "PYRO:3@h:1")
    uri, tags = ns.lookup("meta2", return_metadata=True)
    assert uri.object == "2"
    assert isinstance(tags, list)
    assert sorted(tags) == ["b", "c"]
    assert set(ns.list(metadata_all={"b"})) == {"meta1", "meta2"}
    assert ns.list(metadata_all=["a", "b"]) == {"meta1": "PYRO:1@h:1"}
    assert ns.list(metadata_all={"a", "c"}) == {}
    assert set(ns.list(metadata_any={"a", "c"})) == {"meta1", "meta2"}
    assert ns.list(metadata_any={"x"}) == {}
    found = ns.list(metadata_any={"c"}, return_metadata=True)
    assert list(found) == ["meta2"]
    assert found["meta2"][0] == "PYRO:2@h:1"
    assert sorted(found["meta2"][1]) == ["b", "c"]
    everything = ns.list(return_metadata=True)
    assert everything["nometa"] == ("PYRO:3@h:1", [])
    assert sorted(everything["meta1"][1]) == ["a", "b"]


def test_metadata_filter_type_errors(metans):
    for kwargs in (
        {"metadata_all": "astring"},
        {"metadata_any": "astring"},
        {"metadata_all": 42},
        {"metadata_any": 42},
    ):
        with pytest.raises(TypeError):
            metans.list(**kwargs)


def test_set_metadata(metans):
    ns = metans
    ns.register("name", "PYRO:1@h:1", metadata={"a"})
    ns.set_metadata("name", ["x", "y", "y"])  # duplicates collapse
    assert sorted(ns.lookup("name", return_metadata=True)[1]) == ["x", "y"]
    assert ns.lookup("name").object == "1"
    ns.set_metadata("name", [])
    assert ns.lookup("name", return_metadata=True)[1] == []
    with pytest.raises(NamingError) as excinfo:
        ns.set_metadata("unknown", {"a"})
    assert str(excinfo.value) == "unknown name: unknown"
    with pytest.raises(TypeError) as excinfo:
        ns.set_metadata(1234, {"a"})
    assert str(excinfo.value) == "name must be a str"
    with pytest.raises(TypeError):
        ns.set_metadata("name", 1234)


def test_dbm_nameserver_metadata(tmp_path):
    ns = NameServer(DbmStorage(str(tmp_path / "ns.dbm")))
    try:
        ns.register("name", "PYRO:1@h:1", metadata={"a"})
        assert ns.lookup("name", return_metadata=True)[1] == []
        with pytest.raises(NamingError) as excinfo:
            ns.list(metadata_all={"a"})
        assert str(excinfo.value) == "DbmStorage doesn't support metadata"
        with pytest.raises(NamingError):
            ns.list(metadata_any={"a"})
    finally:
        ns.storage.close()


def test_concurrent_registrations(ns):
    failures = []

    def worker(number):
        try:
            for item in range(10):
                name = "t%d.%d" % (number, item)
                ns.register(name, "PYRO:%s@host:1" % name)
                if item % 2:
                    assert ns.remove(name) == 1
        except Exception as x:  # collected: an exception in a thread would otherwise be lost
            failures.append(x)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    names = ns.list()
    assert set(names) == {"t%d.%d" % (n, i) for n in range(6) for i in range(0, 10, 2)}
    assert ns.count() == 30


def test_memory_storage():
    storage = MemoryStorage(initial=("PYRO:i@h:1", {"x"}))
    assert storage["initial"] == ("PYRO:i@h:1", {"x"})
    storage["a"] = ("PYRO:a@h:1", None)
    assert storage["a"] == ("PYRO:a@h:1", frozenset())
    storage["b"] = ("PYRO:b@h:1", {"t"})
    assert storage.optimized_prefix_list("a") is None
    assert storage.optimized_regex_list("a") is None
    assert storage.optimized_metadata_search(metadata_all={"t"}) is None
    assert storage.everything() == {"initial": "PYRO:i@h:1", "a": "PYRO:a@h:1", "b": "PYRO:b@h:1"}
    copy = storage.everything(return_metadata=True)
    assert copy["b"] == ("PYRO:b@h:1", {"t"})
    copy.clear()
    assert len(storage) == 3  # everything() gave a copy
    storage.remove_items(["a", "not-there"])
    assert sorted(storage) == ["b", "initial"]
    storage.close()
    assert isinstance(storage, dict)


class _Base(object):
    pass


class _Sub(_Base):
    pass


def test_type_meta():
    expected = {"class:test_naming._Sub", "class:test_naming._Base"}
    assert type_meta(_Sub) == expected
    assert type_meta(_Sub()) == expected
    assert type_meta(_Base, prefix="x.") == {"x.test_naming._Base"}
    assert type_meta(NameServer) == {"class:Pyro4.naming.NameServer"}
    assert type_meta(int) == set()
    assert type_meta(42) == set()
    assert "class:builtins.object" not in type_meta(_Sub)
