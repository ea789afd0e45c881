"""Interop with real Pyro4 4.82, run as a separate process from its own virtualenv:
a 4.82 client (and pyro4-nsc) against our name server and broadcast responder, and our nsc
against a 4.82 name server."""

import json
import os
import subprocess

import pytest
from test_naming_support import ChildProcess, free_port, running_nameserver, subprocess_env

import Pyro4
import Pyro4.nsc
from Pyro4.naming import BroadcastServer

PYRO482_BIN = "/work/pyro4-4.82-venv/bin"
PYRO482_PYTHON = os.path.join(PYRO482_BIN, "python")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not os.path.exists(PYRO482_PYTHON), reason="no Pyro4 4.82 virtualenv on this machine"),
]

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
