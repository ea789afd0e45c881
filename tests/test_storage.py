"""The persistent name server storages (Pyro4.naming_storage): mapping behaviour, queries,
persistence across re-opening, thread safety and error reporting."""

import contextlib
import os
import sqlite3
import threading

import pytest

import Pyro4.naming_storage as naming_storage
from Pyro4.errors import NamingError
from Pyro4.naming_storage import DbmStorage, SqlStorage


def _open(kind, directory):
    if kind == "sql":
        return SqlStorage(os.path.join(str(directory), "names.sqlite"))
    return DbmStorage(os.path.join(str(directory), "names.dbm"))


@pytest.fixture(params=["sql", "dbm"])
def storage(request, tmp_path):
    store = _open(request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def sql(tmp_path):
    store = SqlStorage(str(tmp_path / "names.sqlite"))
    yield store
    store.close()


@pytest.fixture
def dbmstore(tmp_path):
    store = DbmStorage(str(tmp_path / "names.dbm"))
    yield store
    store.close()


def test_module_attributes():
    assert naming_storage.sqlite3 is sqlite3
    import dbm

    assert naming_storage.dbm is dbm
    assert not hasattr(naming_storage, "__all__")


def test_setitem_getitem_len_iter(storage):
    assert len(storage) == 0
    storage["one"] = ("PYRO:one@host:1", set())
    storage["two"] = ("PYRO:two@host:2", None)
    assert len(storage) == 2
    assert sorted(storage) == ["one", "two"]
    assert storage["one"][0] == "PYRO:one@host:1"
    assert not storage["two"][1]
    assert "one" in storage
    assert "three" not in storage
    with pytest.raises(KeyError):
        storage["three"]


def test_replace_and_delete(storage):
    storage["name"] = ("PYRO:a@host:1", set())
    storage["name"] = ("PYRO:b@host:1", set())
    assert storage["name"][0] == "PYRO:b@host:1"
    assert len(storage) == 1
    del storage["name"]
    assert len(storage) == 0
    with pytest.raises(KeyError):
        del storage["name"]


def test_unicode_names(storage):
    name = "\u20ac\u00e4\u4e2d.object"
    storage[name] = ("PYRO:obj@host:1", set())
    assert list(storage) == [name]
    assert storage[name][0] == "PYRO:obj@host:1"
    assert storage.optimized_prefix_list("\u20ac") == {name: "PYRO:obj@host:1"}


def test_everything_and_prefix(storage):
    storage["a.one"] = ("PYRO:1@h:1", set())
    storage["a.two"] = ("PYRO:2@h:1", set())
    storage["b.one"] = ("PYRO:3@h:1", set())
    assert storage.everything() == {"a.one": "PYRO:1@h:1", "a.two": "PYRO:2@h:1", "b.one": "PYRO:3@h:1"}
    assert storage.optimized_prefix_list("a.") == {"a.one": "PYRO:1@h:1", "a.two": "PYRO:2@h:1"}
    with_meta = storage.optimized_prefix_list("b.", return_metadata=True)
    assert list(with_meta) == ["b.one"]
    assert with_meta["b.one"][0] == "PYRO:3@h:1"
    assert not with_meta["b.one"][1]
    assert set(storage.everything(return_metadata=True)) == {"a.one", "a.two", "b.one"}


def test_remove_items_ignores_missing(storage):
    storage["a"] = ("PYRO:1@h:1", set())
    storage["b"] = ("PYRO:2@h:1", set())
    storage.remove_items(["a", "unknown"])
    assert list(storage) == ["b"]


def test_clear(storage):
    for number in range(5):
        storage["n%d" % number] = ("PYRO:x@h:%d" % (number + 1), set())
    storage.clear()
    assert len(storage) == 0
    storage["again"] = ("PYRO:x@h:1", set())
    assert list(storage) == ["again"]


def test_unknown_attribute(storage):
    with pytest.raises(NotImplementedError) as excinfo:
        _ = storage.something_weird
    assert str(excinfo.value) == "%s doesn't implement method/attribute 'something_weird'" % type(storage).__name__


@pytest.mark.parametrize("kind", ["sql", "dbm"])
def test_persistent_across_reopen(kind, tmp_path):
    first = _open(kind, tmp_path)
    first["kept"] = ("PYRO:kept@host:4444", {"tag"} if kind == "sql" else set())
    first["gone"] = ("PYRO:gone@host:4444", set())
    del first["gone"]
    first.close()
    second = _open(kind, tmp_path)
    try:
        assert list(second) == ["kept"]
        assert second["kept"][0] == "PYRO:kept@host:4444"
        if kind == "sql":
            assert second["kept"][1] == {"tag"}
    finally:
        second.close()


@pytest.mark.parametrize("kind", ["sql", "dbm"])
def test_concurrent_register_remove(kind, tmp_path):
    store = _open(kind, tmp_path)
    errors = []

    def worker(number):
        try:
            for item in range(15):
                name = "w%d.%d" % (number, item)
                store[name] = ("PYRO:%s@host:1" % name, set())
                if item % 3 == 0:
                    del store[name]
        except Exception as x:  # collected: an exception in a thread would otherwise be lost
            errors.append(x)

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not errors
        names = list(store)
        assert len(names) == len(set(names)) == 8 * 10
        expected = {"w%d.%d" % (n, i) for n in range(8) for i in range(15) if i % 3}
        assert set(names) == expected
    finally:
        store.close()


def test_sql_memory_refused():
    with pytest.raises(ValueError) as excinfo:
        SqlStorage(":memory:")
    assert str(excinfo.value) == (
        "We don't support the sqlite :memory: database type. Just use the default volatile in-memory store."
    )


def test_sql_metadata(sql):
    sql["a"] = ("PYRO:a@h:1", {"x", "y"})
    sql["b"] = ("PYRO:b@h:1", {"y"})
    sql["c"] = ("PYRO:c@h:1", set())
    assert sql["a"] == ("PYRO:a@h:1", {"x", "y"})
    assert sql.optimized_metadata_search(metadata_all={"x", "y"}) == {"a": "PYRO:a@h:1"}
    assert sql.optimized_metadata_search(metadata_all={"y"}) == {"a": "PYRO:a@h:1", "b": "PYRO:b@h:1"}
    assert sql.optimized_metadata_search(metadata_all={"x", "z"}) == {}
    assert sql.optimized_metadata_search(metadata_any={"x", "z"}) == {"a": "PYRO:a@h:1"}
    found = sql.optimized_metadata_search(metadata_any=["y"], return_metadata=True)
    assert found == {"a": ("PYRO:a@h:1", {"x", "y"}), "b": ("PYRO:b@h:1", {"y"})}
    sql["a"] = ("PYRO:a@h:1", {"z"})
    assert sql["a"][1] == {"z"}
    assert sql.everything(return_metadata=True)["c"] == ("PYRO:c@h:1", set())


def test_sql_no_regex_optimization(sql):
    sql["a"] = ("PYRO:a@h:1", set())
    assert sql.optimized_regex_list("a") is None


def test_sql_prefix_uses_like(sql):
    # LIKE semantics, as in 4.82: ASCII case-insensitive, and _ is a wildcard
    sql["Abc"] = ("PYRO:a@h:1", set())
    sql["aXc"] = ("PYRO:b@h:1", set())
    assert set(sql.optimized_prefix_list("ab")) == {"Abc"}
    assert set(sql.optimized_prefix_list("a_c")) == {"Abc", "aXc"}


def test_sql_schema(sql):
    with contextlib.closing(sqlite3.connect(sql.dbfile)) as db:
        tables = {row[0]: row[1] for row in db.execute("SELECT name, sql FROM sqlite_master WHERE type='table'")}
    assert set(tables) == {"pyro_names", "pyro_metadata"}
    assert "name nvarchar NOT NULL UNIQUE" in tables["pyro_names"]
    assert "FOREIGN KEY(object) REFERENCES pyro_names(id)" in tables["pyro_metadata"]


def test_sql_migrates_old_schema(tmp_path):
    dbfile = str(tmp_path / "old.sqlite")
    with contextlib.closing(sqlite3.connect(dbfile)) as db:
        db.execute(
            "CREATE TABLE pyro_names(id integer PRIMARY KEY, name nvarchar NOT NULL UNIQUE, uri nvarchar NOT NULL)"
        )
        db.execute("INSERT INTO pyro_names(name, uri) VALUES('old.name', 'PYRO:old@host:1')")
        db.commit()
    store = SqlStorage(dbfile)
    try:
        assert store["old.name"] == ("PYRO:old@host:1", set())
        store["old.name"] = ("PYRO:old@host:1", {"meta"})
        assert store["old.name"][1] == {"meta"}
    finally:
        store.close()


def test_sql_failed_write_leaves_storage_consistent(sql):
    sql["name"] = ("PYRO:a@h:1", {"t1"})
    # an unsupported tag type makes the insert of the tags fail after the name row went in:
    # the whole replacement must roll back
    with pytest.raises(NamingError) as excinfo:
        sql["name"] = ("PYRO:b@h:1", {("not", "bindable")})
    assert str(excinfo.value).startswith("sqlite error in setitem: ")
    assert sql["name"] == ("PYRO:a@h:1", {"t1"})
    assert len(sql) == 1


def test_sql_error_reported_as_namingerror(tmp_path):
    directory = tmp_path / "adir"
    directory.mkdir()
    with pytest.raises(NamingError) as excinfo:
        SqlStorage(str(directory))
    assert str(excinfo.value).startswith("sqlite error in init: ")


def test_dbm_discards_metadata(dbmstore):
    dbmstore["a"] = ("PYRO:a@h:1", {"tag"})
    assert dbmstore["a"] == ("PYRO:a@h:1", frozenset())
    assert dbmstore.everything(return_metadata=True) == {"a": ("PYRO:a@h:1", frozenset())}


def test_dbm_metadata_search(dbmstore):
    dbmstore["a"] = ("PYRO:a@h:1", set())
    with pytest.raises(NamingError) as excinfo:
        dbmstore.optimized_metadata_search(metadata_all={"x"})
    assert str(excinfo.value) == "DbmStorage doesn't support metadata"
    with pytest.raises(NamingError):
        dbmstore.optimized_metadata_search(metadata_any={"x"})
    assert dbmstore.optimized_metadata_search() == {"a": "PYRO:a@h:1"}


def test_dbm_regex_matches_whole_name(dbmstore):
    dbmstore["name1"] = ("PYRO:a@h:1", set())
    dbmstore["name12"] = ("PYRO:b@h:1", set())
    assert dbmstore.optimized_regex_list("name.") == {"name1": "PYRO:a@h:1"}
    assert dbmstore.optimized_regex_list("name.*", return_metadata=True) == {
        "name1": ("PYRO:a@h:1", frozenset()),
        "name12": ("PYRO:b@h:1", frozenset()),
    }
    with pytest.raises(NamingError) as excinfo:
        dbmstore.optimized_regex_list("((")
    assert str(excinfo.value).startswith("invalid regex: ")


def test_dbm_file_permissions(tmp_path):
    store = DbmStorage(str(tmp_path / "perm.dbm"))
    try:
        created = [name for name in os.listdir(str(tmp_path)) if name.startswith("perm.dbm")]
        assert created
        for name in created:
            mode = os.stat(str(tmp_path / name)).st_mode & 0o777
            assert mode & 0o077 == 0, name  # other users can't read the registrations
    finally:
        store.close()


def test_dbm_error_reported_as_namingerror(tmp_path):
    with pytest.raises(NamingError) as excinfo:
        DbmStorage(str(tmp_path / "missing-dir" / "x.dbm"))
    assert str(excinfo.value).startswith("dbm error in init: ")


def test_non_str_names_are_just_missing(storage):
    storage["name"] = ("PYRO:a@h:1", set())
    for weird in (42, None, ("a", "b")):
        assert weird not in storage
        with pytest.raises(KeyError):
            storage[weird]
    assert len(storage) == 1
