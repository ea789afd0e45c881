"""pyro4-ns as a real process (`python -m Pyro4.naming`): help, option errors, banner lines,
storages, HMAC key handling and Ctrl-C shutdown (CLI.md §2), plus startNSloop in-process."""

import socket
import threading

import pytest
from test_naming_support import ChildProcess, free_port, module_command, run_module, subprocess_env

import Pyro4
import Pyro4.naming

HELP_OPTIONS = [
    "Options:",
    "  -h, --help            show this help message and exit",
    "  -n HOST, --host=HOST  hostname to bind server on",
    "  -p PORT, --port=PORT  port to bind server on (0=random)",
    "  -u UNIXSOCKET, --unixsocket=UNIXSOCKET",
    "                        Unix domain socket name to bind server on",
    "  -s STORAGE, --storage=STORAGE",
    "                        Storage system to use (memory, dbm:file, sql:file)",
    '  --bchost=BCHOST       hostname to bind broadcast server on (default is "")',
    "  --bcport=BCPORT       port to bind broadcast server on (0=random)",
    "  --nathost=NATHOST     external hostname in case of NAT",
    "  --natport=NATPORT     external port in case of NAT",
    "  -x, --nobc            don't start a broadcast server",
    "  -k KEY, --key=KEY     the HMAC key to use (deprecated)",
]

DEPRECATION = (
    "using -k to supply HMAC key on the command line is a security problem and is deprecated "
    "since Pyro 4.72. See the documentation for an alternative."
)


@pytest.fixture
def child_processes():
    started = []
    yield started
    for child in started:
        child.kill()


def _start_ns(child_processes, args, env=None):
    child = ChildProcess(module_command("Pyro4.naming", args), env=env)
    child_processes.append(child)
    return child


def test_help_in_process(capsys):
    with pytest.raises(SystemExit) as excinfo:
        Pyro4.naming.main(["-h"])
    assert excinfo.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Usage: ") and lines[0].endswith(" [options]")
    assert lines[1] == ""
    assert lines[2:] == HELP_OPTIONS


def test_help_and_option_errors():
    code, out, err = run_module("Pyro4.naming", ["--help"])
    assert code == 0
    assert out.splitlines() == ["Usage: naming.py [options]", ""] + HELP_OPTIONS
    code, out, err = run_module("Pyro4.naming", ["--foo"])
    assert code == 2
    assert err == "Usage: naming.py [options]\n\nnaming.py: error: no such option: --foo\n"
    code, out, err = run_module("Pyro4.naming", ["-p", "abc"])
    assert code == 2
    assert err.endswith("naming.py: error: option -p: invalid integer value: 'abc'\n")


def test_invalid_storage():
    code, out, err = run_module("Pyro4.naming", ["-n", "127.0.0.1", "-p", "0", "-s", "foo"])
    assert code == 1
    assert err.rstrip().endswith("ValueError: invalid storage type 'foo'")


def test_banner_and_ctrl_c(child_processes):
    port = free_port()
    child = _start_ns(child_processes, ["-n", "127.0.0.1", "-p", str(port)])
    lines = child.read_until("URI = ")
    assert lines == [
        "Not starting broadcast server for localhost.",
        "NS running on 127.0.0.1:%d (127.0.0.1)" % port,
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "URI = PYRO:Pyro.NameServer@127.0.0.1:%d" % port,
    ]
    with Pyro4.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d" % port) as ns:
        assert ns.count() == 1
    code, out, err = child.interrupt()
    assert out == "NS shut down.\n"
    assert code == 0, err


def test_hmac_key_and_nobc(child_processes):
    child = _start_ns(child_processes, ["-n", "127.0.0.1", "-p", "0", "-x", "-k", "secret"])
    lines = child.read_until("URI = ")
    assert lines[0] == "Not starting broadcast server for localhost."  # printed even with -x
    assert lines[1].startswith("NS running on 127.0.0.1:")
    assert len(lines) == 3  # no HMAC warning
    uri = lines[2][len("URI = ") :]
    with Pyro4.naming.locateNS("127.0.0.1", Pyro4.URI(uri).port, hmac_key="secret") as ns:
        ns.ping()
    code, out, err = child.interrupt()
    assert code == 0
    assert DEPRECATION in err


def test_hmac_key_from_environment(child_processes):
    child = _start_ns(child_processes, ["-n", "127.0.0.1", "-p", "0"], env=subprocess_env(PYRO_HMAC_KEY="envkey"))
    lines = child.read_until("URI = ")
    assert not any(line.startswith("Warning: HMAC") for line in lines)
    uri = Pyro4.URI(lines[-1][len("URI = ") :])
    with Pyro4.naming.locateNS("127.0.0.1", uri.port, hmac_key="envkey") as ns:
        ns.ping()
    code, out, err = child.interrupt()
    assert code == 0
    code, out, err = run_module("Pyro4.naming", ["-k", "x"], env=subprocess_env(PYRO_HMAC_KEY="x"))
    assert code == 1
    assert err.rstrip().endswith("error: don't use -k and PYRO_HMAC_KEY at the same time")


def test_nat_lines(child_processes):
    child = _start_ns(
        child_processes, ["-n", "127.0.0.1", "-p", "0", "--nathost", "nat.example.com", "--natport", "5555"]
    )
    lines = child.read_until("external URI = ")
    port = int(lines[1].split(":")[1].split()[0])
    assert lines[-2:] == [
        "internal URI = PYRO:Pyro.NameServer@127.0.0.1:%d" % port,
        "external URI = PYRO:Pyro.NameServer@nat.example.com:5555",
    ]
    assert child.interrupt()[0] == 0


def test_unix_socket(child_processes, tmp_path):
    path = str(tmp_path / "ns.sock")
    child = _start_ns(child_processes, ["-u", path])
    lines = child.read_until("URI = ")
    assert lines == [
        "NS running on ./u:%s (Unix domain socket)" % path,
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "URI = PYRO:Pyro.NameServer@./u:%s" % path,
    ]
    with Pyro4.naming.locateNS("./u:" + path) as ns:
        assert ns.count() == 1
    assert child.interrupt()[0] == 0


@pytest.mark.parametrize("kind", ["sql", "dbm"])
def test_persistent_storage_restart(kind, child_processes, tmp_path):
    storage = "%s:%s" % (kind, tmp_path / "names.store")
    args = ["-n", "127.0.0.1", "-p", "0", "-s", storage]
    child = _start_ns(child_processes, args)
    lines = child.read_until("URI = ")
    if kind == "dbm":
        assert lines[0] == "Warning: the DbmStorage doesn't support metadata."
    uri = Pyro4.URI(lines[-1][len("URI = ") :])
    with Pyro4.Proxy(uri) as ns:
        ns.register("persistent.name", "PYRO:obj@127.0.0.1:5555")
    assert child.interrupt()[0] == 0
    child = _start_ns(child_processes, args)
    lines = child.read_until("URI = ")
    assert "Persistent store contains 2 existing registrations." in lines
    uri = Pyro4.URI(lines[-1][len("URI = ") :])
    with Pyro4.Proxy(uri) as ns:
        assert ns.lookup("persistent.name").object == "obj"
        assert ns.lookup("Pyro.NameServer") == uri
    assert child.interrupt()[0] == 0


def test_startNSloop_in_process(capsys, monkeypatch):
    created = []
    ready = threading.Event()

    class RecordingDaemon(Pyro4.naming.NameServerDaemon):
        def requestLoop(self, loopCondition=lambda: True):
            created.append(self)
            ready.set()
            super().requestLoop(loopCondition)

    monkeypatch.setattr(Pyro4.naming, "NameServerDaemon", RecordingDaemon)
    port = free_port()
    thread = threading.Thread(target=Pyro4.naming.startNSloop, args=("127.0.0.1", port), daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        with Pyro4.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d" % port) as ns:
            assert ns.count() == 1
    finally:
        if created:
            created[0].shutdown()
        thread.join(15)
    assert not thread.is_alive()
    assert created[0].nameserver is None  # closed on the way out
    assert capsys.readouterr().out.splitlines() == [
        "Not starting broadcast server for localhost.",
        "NS running on 127.0.0.1:%d (127.0.0.1)" % port,
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "URI = PYRO:Pyro.NameServer@127.0.0.1:%d" % port,
        "NS shut down.",
    ]


class _FakeSocket(object):
    def __init__(self, address, family):
        self.address, self.family = address, family

    def getsockname(self):
        return self.address


class _FakeDaemon(object):
    def __init__(self, address, family=socket.AF_INET):
        self.sock = _FakeSocket(address, family)


def test_broadcast_decisions():
    decide = Pyro4.naming._broadcast_decision
    localhost = (False, "Not starting broadcast server for localhost.")
    ipv6 = (False, "Not starting broadcast server for IPv6.")
    assert decide(_FakeDaemon(("127.0.0.1", 1)), None, True) == ("127.0.0.1",) + localhost
    assert decide(_FakeDaemon(("127.0.0.1", 1)), None, False)[1:] == localhost  # even with -x
    assert decide(_FakeDaemon(("::1", 1, 0, 0), socket.AF_INET6), None, True) == ("::1",) + ipv6
    assert decide(_FakeDaemon(("fe80::1", 1, 0, 0), socket.AF_INET6), None, True) == ("fe80::1",) + ipv6
    assert decide(_FakeDaemon(("fe80::1", 1, 0, 0), socket.AF_INET6), None, False) == ("fe80::1",) + ipv6
    assert decide(_FakeDaemon(("192.168.1.100", 1)), None, True) == ("192.168.1.100", True, None)
    assert decide(_FakeDaemon(("192.168.1.100", 1)), None, False) == ("192.168.1.100", False, None)
    assert decide(None, "/tmp/sock", True) == ("Unix domain socket", False, None)


def test_ipv6_banner(child_processes):
    child = _start_ns(child_processes, ["-n", "::1", "-p", "0", "-x"])
    try:
        lines = child.read_until("URI = ")
    except AssertionError:
        if child.proc.poll() is not None:
            pytest.skip("IPv6 loopback not available")
        raise
    assert lines[0] == "Not starting broadcast server for IPv6."
    assert lines[1].startswith("NS running on [::1]:") and lines[1].endswith(" (::1)")
    assert lines[-1].startswith("URI = PYRO:Pyro.NameServer@[::1]:")
    assert child.interrupt()[0] == 0


def test_startNSloop_broadcast_banner(capsys, monkeypatch):
    monkeypatch.setattr(Pyro4.naming, "_is_loopback", lambda hostip: False)
    started = []

    class StoppingDaemon(Pyro4.naming.NameServerDaemon):
        def requestLoop(self, loopCondition=lambda: True):
            started.append(self)  # return at once: only the banner matters here

    monkeypatch.setattr(Pyro4.naming, "NameServerDaemon", StoppingDaemon)
    Pyro4.naming.startNSloop("127.0.0.1", 0, bchost="127.0.0.1", bcport=0, hmac="key")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Broadcast server running on 127.0.0.1:")
    assert int(lines[0].rsplit(":", 1)[1]) > 0
    assert lines[1].startswith("NS running on 127.0.0.1:") and lines[1].endswith(" (127.0.0.1)")
    assert lines[2].startswith("URI = PYRO:Pyro.NameServer@127.0.0.1:")
    assert lines[3] == "NS shut down."
    assert len(lines) == 4
    assert started[0].nameserver is None
