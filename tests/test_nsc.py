"""pyro4-nsc: handleCommand against a local NameServer, main() against a live name server, and
the `python -m Pyro4.nsc` command line (CLI.md §3)."""

import pytest
from test_naming_support import free_port, run_module, running_nameserver, subprocess_env

import Pyro4
import Pyro4.nsc
from Pyro4.naming import NameServer
from Pyro4.nsc import handleCommand


@pytest.fixture
def ns():
    nameserver = NameServer()
    nameserver.register(
        "Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090", metadata={"class:Pyro4.naming.NameServer"}
    )
    nameserver.register("name1", "PYRO:obj1@localhost:5555", metadata={"tag1"})
    nameserver.register("name12", "PYRO:obj12@localhost:5555")
    nameserver.register("other", "PYRO:other@localhost:5555", metadata={"tag1", "tag2"})
    return nameserver


def _run(ns, capsys, *args):
    handleCommand(ns, None, list(args))
    return capsys.readouterr().out.splitlines()


def test_ping(ns, capsys):
    assert _run(ns, capsys, "ping") == ["Name server ping ok."]


def test_list(ns, capsys):
    lines = _run(ns, capsys, "list")
    assert lines == [
        "--------START LIST ",
        "Pyro.NameServer --> PYRO:Pyro.NameServer@localhost:9090",
        "    metadata: ['class:Pyro4.naming.NameServer']",
        "name1 --> PYRO:obj1@localhost:5555",
        "    metadata: ['tag1']",
        "name12 --> PYRO:obj12@localhost:5555",
        "other --> PYRO:other@localhost:5555",
        lines[7],
        "--------END LIST ",
    ]
    assert lines[7] in ("    metadata: ['tag1', 'tag2']", "    metadata: ['tag2', 'tag1']")


def test_list_prefix(ns, capsys):
    assert _run(ns, capsys, "list", "name") == [
        "--------START LIST - prefix 'name'",
        "name1 --> PYRO:obj1@localhost:5555",
        "    metadata: ['tag1']",
        "name12 --> PYRO:obj12@localhost:5555",
        "--------END LIST - prefix 'name'",
    ]


def test_listmatching(ns, capsys):
    lines = _run(ns, capsys, "listmatching", "name.$")
    assert lines == [
        "--------START LIST - regex 'name.$'",
        "name1 --> PYRO:obj1@localhost:5555",
        "    metadata: ['tag1']",
        "--------END LIST - regex 'name.$'",
    ]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["listmatching"])
    assert str(excinfo.value) == "requires one argument: pattern"


def test_listmeta(ns, capsys):
    lines = _run(ns, capsys, "listmeta_all", "tag1", "tag2")
    assert lines[0] == "--------START LIST  - searched by metadata"
    assert lines[1] == "other --> PYRO:other@localhost:5555"
    assert lines[-1] == "--------END LIST  - searched by metadata"
    assert len(lines) == 4
    lines = _run(ns, capsys, "listmeta_any", "tag2", "class:Pyro4.naming.NameServer")
    assert [line for line in lines if "-->" in line] == [
        "Pyro.NameServer --> PYRO:Pyro.NameServer@localhost:9090",
        "other --> PYRO:other@localhost:5555",
    ]
    for command in ("listmeta_all", "listmeta_any"):
        with pytest.raises(SystemExit) as excinfo:
            handleCommand(ns, None, [command])
        assert str(excinfo.value) == "requires at least one metadata tag argument"


def test_lookup(ns, capsys):
    assert _run(ns, capsys, "lookup", "name1") == ["PYRO:obj1@localhost:5555", "metadata: ['tag1']"]
    assert _run(ns, capsys, "lookup", "name12") == ["PYRO:obj12@localhost:5555"]
    assert _run(ns, capsys, "lookup", "WeirdName") == ["Error: NamingError - unknown name: WeirdName"]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["lookup"])
    assert str(excinfo.value) == "requires one argument: name"


def test_register(ns, capsys):
    assert _run(ns, capsys, "register", "newname", "PYRO:new@localhost:1234") == ["Registered newname"]
    assert ns.lookup("newname").asString() == "PYRO:new@localhost:1234"
    assert _run(ns, capsys, "register", "newname", "PYRO:x@localhost:1234") == [
        "Error: NamingError - name already registered: newname"
    ]
    assert _run(ns, capsys, "register", "bad", "nonsense") == ["Error: PyroError - invalid uri"]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["register", "onlyname"])
    assert str(excinfo.value) == "requires two arguments: name uri"


def test_remove(ns, capsys):
    assert _run(ns, capsys, "remove", "name1") == ["Removed name1"]
    assert _run(ns, capsys, "remove", "name1") == ["Nothing removed"]
    assert _run(ns, capsys, "remove", "Pyro.NameServer") == ["Nothing removed"]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["remove"])
    assert str(excinfo.value) == "requires one argument: name"


def test_removematching(ns, capsys, monkeypatch):
    prompts = []

    def answer(text):
        prompts.append(text)
        return answers.pop(0)

    answers = ["n", " y \n"]
    monkeypatch.setattr("builtins.input", answer)
    assert _run(ns, capsys, "removematching", "name.*") == []
    assert ns.count() == 4
    assert _run(ns, capsys, "removematching", "name.*") == ["2 items removed."]
    assert prompts == ["Potentially removing lots of items from the Name server. Are you sure (y/n)?"] * 2
    assert sorted(ns.list()) == ["Pyro.NameServer", "other"]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["removematching"])
    assert str(excinfo.value) == "requires one argument: pattern"


def test_setmeta(ns, capsys):
    assert _run(ns, capsys, "setmeta", "name12", "a", "b") == ["Metadata updated"]
    assert sorted(ns.lookup("name12", return_metadata=True)[1]) == ["a", "b"]
    assert _run(ns, capsys, "setmeta", "name12") == ["Metadata cleared"]
    assert ns.lookup("name12", return_metadata=True)[1] == []
    assert _run(ns, capsys, "setmeta", "unknown", "a") == ["Error: NamingError - unknown name: unknown"]
    with pytest.raises(SystemExit) as excinfo:
        handleCommand(ns, None, ["setmeta"])
    assert str(excinfo.value) == "requires at least 2 arguments: uri and zero or more meta tags"


def test_unknown_command(ns, capsys):
    assert _run(ns, capsys, "foo") == ["Error: KeyError - 'foo'"]


def test_main_invalid_command(capsys):
    for args in ([], ["bogus"]):
        with pytest.raises(SystemExit) as excinfo:
            Pyro4.nsc.main(args)
        assert excinfo.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("Usage: ")
        assert err.endswith(": error: invalid or missing command\n")


def test_main_help(capsys):
    with pytest.raises(SystemExit) as excinfo:
        Pyro4.nsc.main(["-h"])
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Usage: ") and lines[0].endswith(" [options] command [arguments]")
    assert lines[1:] == [
        "Commands: register remove removematching lookup list listmatching",
        "          listmeta_all listmeta_any setmeta ping",
        "",
        "Options:",
        "  -h, --help            show this help message and exit",
        "  -n HOST, --host=HOST  hostname of the NS",
        "  -p PORT, --port=PORT  port of the NS (or bc-port if host isn't specified)",
        "  -u UNIXSOCKET, --unixsocket=UNIXSOCKET",
        "                        Unix domain socket name of the NS",
        "  -k KEY, --key=KEY     the HMAC key to use (deprecated)",
        "  -v, --verbose         verbose output",
    ]


def test_main_against_nameserver(capsys):
    with running_nameserver() as (uri, daemon, _):
        port = str(uri.port)
        assert Pyro4.nsc.main(["-n", "127.0.0.1", "-p", port, "ping"]) is None
        assert capsys.readouterr().out == "Name server ping ok.\n"
        Pyro4.nsc.main(["-v", "-n", "127.0.0.1", "-p", port, "list", "Pyro"])
        assert capsys.readouterr().out.splitlines() == [
            "Locating name server...",
            "Name server found: PYRO:Pyro.NameServer@127.0.0.1:%s" % port,
            "--------START LIST - prefix 'Pyro'",
            "Pyro.NameServer --> PYRO:Pyro.NameServer@127.0.0.1:%s" % port,
            "    metadata: ['class:Pyro4.naming.NameServer']",
            "--------END LIST - prefix 'Pyro'",
            "Done.",
        ]
        Pyro4.nsc.main(["-n", "127.0.0.1", "-p", port, "register", "x.y", "PYRO:obj@127.0.0.1:5555"])
        assert capsys.readouterr().out == "Registered x.y\n"
        assert daemon.nameserver.lookup("x.y").object == "obj"
        Pyro4.nsc.main(["-n", "127.0.0.1", "-p", port, "lookup", "nope"])
        assert capsys.readouterr().out == "Error: NamingError - unknown name: nope\n"


def test_main_unixsocket(capsys, tmp_path):
    path = str(tmp_path / "ns.sock")
    with running_nameserver(host=None, port=None, unixsocket=path):
        Pyro4.nsc.main(["-u", path, "ping"])
        assert capsys.readouterr().out == "Name server ping ok.\n"


def test_main_no_nameserver(capsys):
    assert Pyro4.nsc.main(["-n", "127.0.0.1", "-p", str(free_port()), "ping"]) is None
    assert capsys.readouterr().out == "Error: Failed to locate the nameserver\n"


def test_main_hmac(capsys, monkeypatch):
    with running_nameserver(hmac="secret") as (uri, daemon, _):
        args = ["-n", "127.0.0.1", "-p", str(uri.port), "ping"]
        Pyro4.nsc.main(args)
        assert capsys.readouterr().out == "Error: Failed to locate the nameserver\n"
        with pytest.warns(UserWarning) as record:
            Pyro4.nsc.main(["-k", "secret"] + args)
        assert str(record[0].message) == (
            "using -k to supply HMAC key on the command line is a security problem and is deprecated "
            "since Pyro 4.72. See the documentation for an alternative."
        )
        assert capsys.readouterr().out == "Name server ping ok.\n"
        monkeypatch.setenv("PYRO_HMAC_KEY", "secret")
        Pyro4.nsc.main(args)
        assert capsys.readouterr().out == "Name server ping ok.\n"
        with pytest.warns(UserWarning):
            with pytest.raises(SystemExit) as excinfo:
                Pyro4.nsc.main(["-k", "secret"] + args)
        assert str(excinfo.value) == "error: don't use -k and PYRO_HMAC_KEY at the same time"


def test_command_line_subprocess():
    with running_nameserver() as (uri, daemon, _):
        daemon.nameserver.register("example.thing", "PYRO:thing@127.0.0.1:5555", metadata=["t1"])
        code, out, err = run_module("Pyro4.nsc", ["-n", "127.0.0.1", "-p", str(uri.port), "list"])
        assert code == 0, err
        assert out.splitlines()[0] == "--------START LIST "
        assert "example.thing --> PYRO:thing@127.0.0.1:5555\n    metadata: ['t1']\n" in out
        assert out.endswith("--------END LIST \n")
        code, out, err = run_module(
            "Pyro4.nsc", ["-n", "127.0.0.1", "-p", str(uri.port), "removematching", "example.*"], input_text="y\n"
        )
        assert code == 0, err
        assert out == ("Potentially removing lots of items from the Name server. Are you sure (y/n)?1 items removed.\n")
        code, out, err = run_module("Pyro4.nsc", ["-n", "127.0.0.1", "-p", str(uri.port), "lookup"])
        assert code == 1
        assert err.strip() == "requires one argument: name"
    code, out, err = run_module("Pyro4.nsc", ["bogus"])
    assert code == 2
    assert err.endswith("nsc.py: error: invalid or missing command\n")
    code, out, err = run_module("Pyro4.nsc", ["-k", "x", "ping"], env=subprocess_env(PYRO_HMAC_KEY="x"))
    assert code == 1
    assert "error: don't use -k and PYRO_HMAC_KEY at the same time" in err
    code, out, err = run_module("Pyro4.nsc", ["--bogus"])
    assert code == 2
    assert err.endswith("nsc.py: error: no such option: --bogus\n")
