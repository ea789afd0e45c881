"""Persistent storage back-ends for the name server.

Both classes behave like :class:`Pyro4.naming.MemoryStorage`: a mutable mapping of
name -> ``(uri_string, set_of_metadata_tags)`` plus a few ``optimized_*`` query methods that the
:class:`Pyro4.naming.NameServer` tries before falling back to filtering in Python.
They are thread safe on their own: every operation opens its own database connection (so a
storage object may be used from all the threads of the name server's thread pool) and runs
under a lock, so one name server process never races with itself.
"""

import contextlib
import logging
import re
import threading

try:
    from collections.abc import MutableMapping
except ImportError:  # pragma: no cover - very old Pythons only
    from collections import MutableMapping

try:
    import sqlite3
except ImportError:  # pragma: no cover - Python built without sqlite
    sqlite3 = None

try:
    import dbm
    import dbm.dumb  # noqa: F401  (makes sure the fallback implementation is importable too)
except ImportError:  # pragma: no cover - Python built without any dbm
    dbm = None

from Pyro4.errors import NamingError

log = logging.getLogger("Pyro4.naming_storage")

_SQL_SCHEMA = (
    "CREATE TABLE pyro_names(id integer PRIMARY KEY, name nvarchar NOT NULL UNIQUE, uri nvarchar NOT NULL)",
    "CREATE TABLE pyro_metadata(object integer NOT NULL, metadata nvarchar NOT NULL, "
    "FOREIGN KEY(object) REFERENCES pyro_names(id))",
)


class _StorageBase(MutableMapping):
    """What both persistent storages share: the refusal of unknown attributes."""

    def __getattr__(self, item):
        # Only reached for attributes the class doesn't define. Dunder lookups (copy/pickle
        # protocol probes, inspect, ...) must keep getting AttributeError or those tools break.
        if item.startswith("__") and item.endswith("__"):
            raise AttributeError(item)
        raise NotImplementedError("{0} doesn't implement method/attribute '{1}'".format(type(self).__name__, item))

    def close(self):
        """Nothing to release: every operation opens and closes its own connection."""

    @staticmethod
    def _checked_name(name):
        # names are always str: anything else simply can't be in the database (and the
        # database driver shouldn't get the chance to choke on it)
        if not isinstance(name, str):
            raise KeyError(name)
        return name


class SqlStorage(_StorageBase):
    """Name server storage in an sqlite3 database file (with metadata support)."""

    def __init__(self, dbfile):
        if dbfile == ":memory:":
            raise ValueError(
                "We don't support the sqlite :memory: database type. Just use the default volatile in-memory store."
            )
        if sqlite3 is None:
            raise NamingError("sqlite error in init: the sqlite3 module is not available")
        self.dbfile = dbfile
        self._lock = threading.RLock()
        with self._transaction("init") as db:
            # an explicit BEGIN: sqlite3's legacy mode would run the DDL below outside the transaction
            db.execute("BEGIN")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "pyro_names" not in tables:
                for statement in _SQL_SCHEMA:
                    db.execute(statement)
            elif "pyro_metadata" not in tables:
                self._migrate_without_metadata(db)

    @staticmethod
    def _migrate_without_metadata(db):
        # databases written by Pyro4 versions before metadata existed only have the names table
        db.execute("ALTER TABLE pyro_names RENAME TO pyro_names_old")
        for statement in _SQL_SCHEMA:
            db.execute(statement)
        db.execute("INSERT INTO pyro_names(name, uri) SELECT name, uri FROM pyro_names_old")
        db.execute("DROP TABLE pyro_names_old")

    @contextlib.contextmanager
    def _transaction(self, operation):
        """A fresh connection, one transaction (committed or rolled back as a whole)."""
        with self._lock:
            try:
                with contextlib.closing(sqlite3.connect(self.dbfile, timeout=30)) as db:
                    db.execute("PRAGMA foreign_keys=ON")
                    with db:
                        yield db
            except sqlite3.Error as x:
                raise NamingError("sqlite error in {0}: {1}".format(operation, x)) from x

    @staticmethod
    def _tags_of(db, object_id):
        return {row[0] for row in db.execute("SELECT metadata FROM pyro_metadata WHERE object=?", (object_id,))}

    @staticmethod
    def _all_tags(db):
        tags = {}
        for object_id, tag in db.execute("SELECT object, metadata FROM pyro_metadata"):
            tags.setdefault(object_id, set()).add(tag)
        return tags

    def _rows_to_result(self, db, rows, return_metadata):
        """rows of (id, name, uri) -> the dict the name server wants."""
        if not return_metadata:
            return {name: uri for _, name, uri in rows}
        tags = self._all_tags(db)
        return {name: (uri, tags.get(object_id, set())) for object_id, name, uri in rows}

    def __getitem__(self, name):
        self._checked_name(name)
        with self._transaction("getitem") as db:
            row = db.execute("SELECT id, uri FROM pyro_names WHERE name=?", (name,)).fetchone()
            if row is None:
                raise KeyError(name)
            return row[1], self._tags_of(db, row[0])

    def __setitem__(self, name, value):
        uri, metadata = value
        with self._transaction("setitem") as db:
            self._delete_names(db, [name])
            object_id = db.execute("INSERT INTO pyro_names(name, uri) VALUES(?,?)", (name, uri)).lastrowid
            db.executemany(
                "INSERT INTO pyro_metadata(object, metadata) VALUES(?,?)",
                [(object_id, tag) for tag in set(metadata or ())],
            )

    @staticmethod
    def _delete_names(db, names):
        """Delete entries (tags first, for the foreign key); returns how many names were deleted."""
        deleted = 0
        for name in names:
            row = db.execute("SELECT id FROM pyro_names WHERE name=?", (name,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM pyro_metadata WHERE object=?", (row[0],))
                db.execute("DELETE FROM pyro_names WHERE id=?", (row[0],))
                deleted += 1
        return deleted

    def __delitem__(self, name):
        self._checked_name(name)
        with self._transaction("delitem") as db:
            if not self._delete_names(db, [name]):
                raise KeyError(name)

    def __contains__(self, name):
        if not isinstance(name, str):
            return False
        with self._transaction("contains") as db:
            return db.execute("SELECT 1 FROM pyro_names WHERE name=?", (name,)).fetchone() is not None

    def __len__(self):
        with self._transaction("len") as db:
            return db.execute("SELECT COUNT(*) FROM pyro_names").fetchone()[0]

    def __iter__(self):
        with self._transaction("iter") as db:
            names = [row[0] for row in db.execute("SELECT name FROM pyro_names")]
        return iter(names)

    def clear(self):
        """Removes every registration and its metadata, then compacts the database file."""
        with self._transaction("clear") as db:
            db.execute("DELETE FROM pyro_metadata")
            db.execute("DELETE FROM pyro_names")
        # VACUUM can't run inside a transaction, hence its own autocommit connection
        with self._lock:
            try:
                with contextlib.closing(sqlite3.connect(self.dbfile, timeout=30, isolation_level=None)) as db:
                    db.execute("VACUUM")
            except sqlite3.Error as x:
                raise NamingError("sqlite error in clear: {0}".format(x)) from x

    def optimized_prefix_list(self, prefix, return_metadata=False):
        # LIKE is ASCII case-insensitive and treats % and _ as wildcards; 4.82 behaves the same
        with self._transaction("optimized_prefix_list") as db:
            rows = db.execute("SELECT id, name, uri FROM pyro_names WHERE name LIKE ?", (prefix + "%",)).fetchall()
            return self._rows_to_result(db, rows, return_metadata)

    def optimized_regex_list(self, regex, return_metadata=False):
        return None  # sqlite has no regex operator by default: the name server filters itself

    def optimized_metadata_search(self, metadata_all=None, metadata_any=None, return_metadata=False):
        with self._transaction("optimized_metadata_search") as db:
            if metadata_all:
                tags = list(set(metadata_all))
                query = (
                    "SELECT id, name, uri FROM pyro_names WHERE id IN (SELECT object FROM pyro_metadata "
                    "WHERE metadata IN ({0}) GROUP BY object HAVING COUNT(DISTINCT metadata)=?)"
                )
                rows = db.execute(query.format(",".join("?" * len(tags))), tags + [len(tags)]).fetchall()
            elif metadata_any:
                tags = list(set(metadata_any))
                query = (
                    "SELECT id, name, uri FROM pyro_names WHERE id IN (SELECT object FROM pyro_metadata "
                    "WHERE metadata IN ({0}))"
                )
                rows = db.execute(query.format(",".join("?" * len(tags))), tags).fetchall()
            else:
                rows = db.execute("SELECT id, name, uri FROM pyro_names").fetchall()
            return self._rows_to_result(db, rows, return_metadata)

    def remove_items(self, items):
        with self._transaction("remove_items") as db:
            self._delete_names(db, items)

    def everything(self, return_metadata=False):
        with self._transaction("everything") as db:
            rows = db.execute("SELECT id, name, uri FROM pyro_names").fetchall()
            return self._rows_to_result(db, rows, return_metadata)


class DbmStorage(_StorageBase):
    """Name server storage in a dbm file. It has no room for metadata: tags are dropped."""

    def __init__(self, dbmfile):
        if dbm is None:
            raise NamingError("dbm error in init: the dbm module is not available")
        self.dbmfile = dbmfile
        self._lock = threading.RLock()
        with self._opened("init", "c"):
            pass

    @contextlib.contextmanager
    def _opened(self, operation, flag="w"):
        with self._lock:
            try:
                if flag == "c":
                    db = dbm.open(self.dbmfile, "c", 0o600)
                else:
                    db = dbm.open(self.dbmfile, flag)
            except dbm.error as x:
                raise NamingError("dbm error in {0}: {1}".format(operation, x)) from x
            try:
                yield db
            except dbm.error as x:
                raise NamingError("dbm error in {0}: {1}".format(operation, x)) from x
            finally:
                db.close()

    def _items(self, operation):
        """All (name, uri) pairs, decoded."""
        with self._opened(operation, "r") as db:
            return [(key.decode("utf-8"), db[key].decode("utf-8")) for key in db.keys()]

    @staticmethod
    def _result(pairs, return_metadata):
        if return_metadata:
            return {name: (uri, frozenset()) for name, uri in pairs}
        return dict(pairs)

    def _key(self, name):
        return self._checked_name(name).encode("utf-8")

    def __getitem__(self, name):
        key = self._key(name)
        with self._opened("getitem", "r") as db:
            try:
                return db[key].decode("utf-8"), frozenset()
            except KeyError:
                raise KeyError(name) from None

    def __setitem__(self, name, value):
        uri, metadata = value
        if metadata:
            log.warning("DbmStorage doesn't support metadata, silently discarded")
        with self._opened("setitem") as db:
            db[name.encode("utf-8")] = uri.encode("utf-8")

    def __delitem__(self, name):
        key = self._key(name)
        with self._opened("delitem") as db:
            try:
                del db[key]
            except KeyError:
                raise KeyError(name) from None

    def __contains__(self, name):
        if not isinstance(name, str):
            return False
        with self._opened("contains", "r") as db:
            return name.encode("utf-8") in db

    def __len__(self):
        with self._opened("len", "r") as db:
            return len(db)

    def __iter__(self):
        with self._opened("iter", "r") as db:
            names = [key.decode("utf-8") for key in db.keys()]
        return iter(names)

    def clear(self):
        """Removes every registration from the dbm file."""
        with self._opened("clear") as db:
            for key in list(db.keys()):
                del db[key]

    def optimized_prefix_list(self, prefix, return_metadata=False):
        pairs = [(name, uri) for name, uri in self._items("optimized_prefix_list") if name.startswith(prefix)]
        return self._result(pairs, return_metadata)

    def optimized_regex_list(self, regex, return_metadata=False):
        # the "$" makes this a whole-name match, unlike the other storages (kept from 4.82)
        try:
            pattern = re.compile(regex + "$")
        except re.error as x:
            raise NamingError("invalid regex: " + str(x)) from x
        pairs = [(name, uri) for name, uri in self._items("optimized_regex_list") if pattern.match(name)]
        return self._result(pairs, return_metadata)

    def optimized_metadata_search(self, metadata_all=None, metadata_any=None, return_metadata=False):
        if metadata_all or metadata_any:
            raise NamingError("DbmStorage doesn't support metadata")
        return self.everything(return_metadata)

    def remove_items(self, items):
        with self._opened("remove_items") as db:
            for name in items:
                key = name.encode("utf-8")
                if key in db:
                    del db[key]

    def everything(self, return_metadata=False):
        return self._result(self._items("everything"), return_metadata)
