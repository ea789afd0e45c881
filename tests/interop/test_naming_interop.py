"""Interop with real Pyro4 4.82, run as a separate process from its own virtualenv:
a 4.82 client (and pyro4-nsc) against our name server and broadcast responder, and our nsc
against a 4.82 name server."""

import json
import os
import subprocess

import pytest
import realpyro
from test_naming_support import ChildProcess, free_port, running_nameserver, subprocess_env

import Pyro4
import Pyro4.nsc
from Pyro4.naming import BroadcastServer

PYRO482_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module
PYRO482_BIN = os.path.dirname(PYRO482_PYTHON)

pytestmark = pytest.mark.interop

CLIENT_SCRIPT = r"""
import json, sys
import Pyro4
assert Pyro4.__file__.startswith(sys.prefix), Pyro4.__file__   # really 4.82, not the checkout
port, serializer = int(sys.argv[1]), sys.argv[2]
Pyro4.config.SERIALIZER = serializer
ns = Pyro4.locateNS("127.0.0.1", port)
out = {}
ns.register("interop.one", "PYRO:one@127.0.0.1:5555", metadata={"m1", "m2"})
ns.register("interop.two", Pyro4.URI("PYRO:two@127.0.0.1:5555"))
out["count"] = ns.count()
out["lookup"] = str(ns.lookup("interop.two"))
try:
    uri, meta = ns.lookup("interop.one", return_metadata=True)
    out["lookup_meta"] = [str(uri), sorted(meta)]
except ValueError as x:
    out["lookup_meta"] = [type(x).__name__, str(x)]
out["list_prefix"] = ns.list(prefix="interop.")
out["list_meta"] = sorted(ns.list(metadata_all={"m1"}))
out["list_return_meta"] = {k: [v[0], sorted(v[1])] for k, v in ns.list(return_metadata=True).items()}
ns.set_metadata("interop.two", ["m3"])
out["list_any"] = sorted(ns.list(metadata_any=["m3"]))
try:
    ns.lookup("does.not.exist")
except Pyro4.errors.NamingError as x:
    out["error"] = [type(x).__name__, str(x)]
out["resolved"] = str(Pyro4.resolve("PYRONAME:interop.one@127.0.0.1:%d" % port))
out["removed"] = ns.remove(prefix="interop.")
out["methods"] = sorted(ns._pyroMethods)
print(json.dumps(out))
"""

BROADCAST_SCRIPT = r"""
import sys
import Pyro4
Pyro4.config.BROADCAST_ADDRS = "127.0.0.1"
Pyro4.config.NS_BCPORT = int(sys.argv[1])
Pyro4.config.NS_PORT = int(sys.argv[2])   # nobody there: the direct attempt fails, then broadcast
ns = Pyro4.locateNS()
print(ns._pyroUri)
print(ns.count())
"""


def _run_482(args, timeout=60):
    result = subprocess.run(
        [PYRO482_PYTHON] + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
        cwd="/",
        timeout=timeout,
    )
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


@pytest.mark.parametrize("serializer", ["serpent", "json", "marshal", "msgpack"])
def test_482_client_against_our_nameserver(serializer):
    Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack"}
    with running_nameserver() as (uri, daemon, _):
        code, out, err = _run_482(["-c", CLIENT_SCRIPT, str(uri.port), serializer])
        assert code == 0, err
        result = json.loads(out)
    if serializer == "marshal":
        # marshal converts only the top-level object: a URI inside the tuple can't be sent (as in 4.82)
        assert result.pop("lookup_meta") == ["ValueError", "unmarshallable object"]
    else:
        assert result.pop("lookup_meta") == ["PYRO:one@127.0.0.1:5555", ["m1", "m2"]]
    assert result == {
        "count": 3,
        "lookup": "PYRO:two@127.0.0.1:5555",
        "list_prefix": {"interop.one": "PYRO:one@127.0.0.1:5555", "interop.two": "PYRO:two@127.0.0.1:5555"},
        "list_meta": ["interop.one"],
        "list_return_meta": {
            "Pyro.NameServer": [uri.asString(), ["class:Pyro4.naming.NameServer"]],
            "interop.one": ["PYRO:one@127.0.0.1:5555", ["m1", "m2"]],
            "interop.two": ["PYRO:two@127.0.0.1:5555", []],
        },
        "list_any": ["interop.two"],
        "error": ["NamingError", "unknown name: does.not.exist"],
        "resolved": "PYRO:one@127.0.0.1:5555",
        "removed": 2,
        "methods": ["count", "list", "lookup", "ping", "register", "remove", "set_metadata"],
    }


def test_482_nsc_against_our_nameserver(capsys):
    with running_nameserver() as (uri, daemon, _):
        daemon.nameserver.register("example.thing", "PYRO:thing@127.0.0.1:5555", metadata=["t1"])
        code, theirs, err = _run_482(
            [os.path.join(PYRO482_BIN, "pyro4-nsc"), "-n", "127.0.0.1", "-p", str(uri.port), "list", "example"]
        )
        assert code == 0, err
        Pyro4.nsc.main(["-n", "127.0.0.1", "-p", str(uri.port), "list", "example"])
        ours = capsys.readouterr().out
    assert theirs == ours
    assert theirs.splitlines()[0] == "--------START LIST - prefix 'example'"


def test_482_broadcast_lookup_of_our_responder():
    with running_nameserver() as (uri, daemon, _):
        with BroadcastServer(uri, bchost="127.0.0.1", bcport=0) as bcserver:
            bcserver.runInThread()
            code, out, err = _run_482(["-c", BROADCAST_SCRIPT, str(bcserver.getPort()), str(free_port())])
    assert code == 0, err
    assert out.splitlines() == [uri.asString(), "1"]


def test_our_nsc_against_482_nameserver(capsys):
    port = free_port()
    child = ChildProcess([os.path.join(PYRO482_BIN, "pyro4-ns"), "-n", "127.0.0.1", "-p", str(port)], cwd="/")
    try:
        child.read_until("URI = ")
        args = ["-n", "127.0.0.1", "-p", str(port)]
        Pyro4.nsc.main(args + ["register", "x.y", "PYRO:obj@127.0.0.1:5555"])
        Pyro4.nsc.main(args + ["setmeta", "x.y", "tag"])
        Pyro4.nsc.main(args + ["lookup", "x.y"])
        Pyro4.nsc.main(args + ["listmeta_all", "tag"])
        Pyro4.nsc.main(args + ["remove", "x.y"])
        Pyro4.nsc.main(args + ["ping"])
        assert capsys.readouterr().out.splitlines() == [
            "Registered x.y",
            "Metadata updated",
            "PYRO:obj@127.0.0.1:5555",
            "metadata: ['tag']",
            "--------START LIST  - searched by metadata",
            "x.y --> PYRO:obj@127.0.0.1:5555",
            "    metadata: ['tag']",
            "--------END LIST  - searched by metadata",
            "Removed x.y",
            "Name server ping ok.",
        ]
        with Pyro4.core.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d" % port) as ns:
            uri, meta = ns.lookup("Pyro.NameServer", return_metadata=True)
            assert meta == ["class:Pyro4.naming.NameServer"]
            assert isinstance(uri, Pyro4.URI)
    finally:
        child.kill()


STORAGE_SCRIPT = r"""
import json, sys
from Pyro4.naming_storage import DbmStorage, SqlStorage
kind, path, action = sys.argv[1:4]
store = SqlStorage(path) if kind == "sql" else DbmStorage(path)
if action == "write":
    store["from.482"] = ("PYRO:old@127.0.0.1:1", {"t482"})
else:
    print(json.dumps({name: [uri, sorted(tags)] for name, (uri, tags) in store.everything(True).items()}))
"""


@pytest.mark.parametrize("kind", ["sql", "dbm"])
def test_storage_files_shared_with_482(kind, tmp_path):
    from Pyro4.naming_storage import DbmStorage, SqlStorage

    path = str(tmp_path / ("names." + kind))
    code, out, err = _run_482(["-c", STORAGE_SCRIPT, kind, path, "write"])
    assert code == 0, err
    ours = SqlStorage(path) if kind == "sql" else DbmStorage(path)
    tags = ["t482"] if kind == "sql" else []
    assert ours["from.482"][0] == "PYRO:old@127.0.0.1:1"
    assert sorted(ours["from.482"][1]) == tags
    ours["from.ours"] = ("PYRO:new@127.0.0.1:2", {"tours"} if kind == "sql" else set())
    ours.close()
    code, out, err = _run_482(["-c", STORAGE_SCRIPT, kind, path, "read"])
    assert code == 0, err
    assert json.loads(out) == {
        "from.482": ["PYRO:old@127.0.0.1:1", tags],
        "from.ours": ["PYRO:new@127.0.0.1:2", ["tours"] if kind == "sql" else []],
    }
