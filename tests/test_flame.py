"""Flame: module helpers, the refusal rules, the Flame object over a real daemon, and pyro4-flameserver."""

import json
import os
import pickle
import stat
import sys
import threading
import traceback
import types

import pytest
from test_echoserver import tool_processes  # noqa: F401  (fixture)

import Pyro4
import Pyro4.errors
from Pyro4.utils import flame, flameserver

VECTOR_DIR = "/work/shared/spec/vectors"
FLAME_METHODS = {
    "console",
    "getmodule",
    "sendfile",
    "execute",
    "sendmodule",
    "invokeModule",
    "module",
    "invokeBuiltin",
    "getfile",
    "builtin",
    "evaluate",
}


@pytest.fixture
def flame_config():
    Pyro4.config.FLAME_ENABLED = True
    Pyro4.config.SERIALIZERS_ACCEPTED = {"pickle"}
    Pyro4.config.SERIALIZER = "pickle"


@pytest.fixture
def flame_daemon(flame_config):
    """A daemon on loopback with Flame started, served by a thread; yields (daemon, flame uri)."""
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    uri = flame.start(daemon)
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    try:
        yield daemon, uri
    finally:
        daemon.shutdown()
        loop.join(10)
        daemon.close()


@pytest.fixture
def flame_proxy(flame_daemon):
    daemon, _ = flame_daemon
    proxy = flame.connect(daemon.locationStr)
    with proxy:
        yield proxy


@pytest.fixture
def scratch_modules():
    """Remove the modules a test creates from sys.modules afterwards."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


# ---- helpers --------------------------------------------------------------------------------------


def test_module_all_and_class_paths():
    assert flame.__all__ == ["connect", "start", "createModule", "Flame"]
    for cls in (flame.FlameModule, flame.FlameBuiltin, flame.RemoteInteractiveConsole, flame.Flame):
        assert cls.__module__ == "Pyro4.utils.flame"
        assert cls.__qualname__ == cls.__name__
    assert (
        flame.RemoteInteractiveConsole.LineSendingConsole.__qualname__ == "RemoteInteractiveConsole.LineSendingConsole"
    )


def test_fix_exec_source_newlines():
    assert flame.fixExecSourceNewlines("a = 1\r\nb = 2\r\n  \n\t") == "a = 1\r\nb = 2"
    assert flame.fixExecSourceNewlines("x = 1\n\n\n") == "x = 1"


def test_exec_function_runs_in_given_globals():
    namespace = {}
    flame.exec_function("a = 40\r\nb = a + 2\r\n", "<test>", namespace)
    assert namespace["b"] == 42


def test_create_module_dotted_and_importable(scratch_modules):
    namespace = {}
    module = flame.createModule("flametest_pkg.sub.mod", "def twice(x):\n    return 2 * x\n", namespace=namespace)
    assert isinstance(module, types.ModuleType)
    assert module.twice(21) == 42
    assert namespace["flametest_pkg"] is sys.modules["flametest_pkg"]
    import flametest_pkg.sub.mod

    assert flametest_pkg.sub.mod is module
    # the chain is reused: a second module in the same package keeps the first
    flame.createModule("flametest_pkg.sub.other", "value = 1")
    assert flametest_pkg.sub.mod.twice(1) == 2 and flametest_pkg.sub.other.value == 1


def test_create_module_reports_filename_in_errors(scratch_modules):
    with pytest.raises(ZeroDivisionError) as x:
        flame.createModule("json.flametest_broken", "1/0", filename="<sent-module>")
    assert traceback.extract_tb(x.tb)[-1].filename == "<sent-module>"
    # a module whose source failed is not published anywhere
    assert "json.flametest_broken" not in sys.modules
    assert not hasattr(sys.modules["json"], "flametest_broken")


# ---- refusals -------------------------------------------------------------------------------------


def test_start_refuses_when_disabled():
    Pyro4.config.SERIALIZERS_ACCEPTED = {"pickle"}
    assert Pyro4.config.FLAME_ENABLED is False  # disabled by default
    with pytest.raises(Pyro4.errors.SecurityError) as x:
        flame.start(object())
    assert str(x.value) == "Flame is disabled in the server configuration"


def test_start_requires_pickle_only():
    Pyro4.config.FLAME_ENABLED = True
    for accepted in ({"serpent", "json", "marshal"}, {"pickle", "serpent"}):
        Pyro4.config.SERIALIZERS_ACCEPTED = accepted
        with pytest.raises(Pyro4.errors.SerializeError) as x:
            flame.start(object())
        assert str(x.value) == "Flame requires the pickle serializer exclusively"


def test_flame_object_requires_pickle_only():
    with pytest.raises(RuntimeError) as x:
        flame.Flame()
    assert str(x.value) == "flame requires the pickle serializer exclusively"


def test_connect_requires_pickle_serializer():
    assert Pyro4.config.SERIALIZER == "serpent"
    with pytest.raises(Pyro4.errors.SerializeError) as x:
        flame.connect("127.0.0.1:1")
    assert str(x.value) == "Flame requires the pickle serializer"


# ---- the Flame object through a daemon ------------------------------------------------------------


def test_registered_name_and_metadata(flame_daemon, flame_proxy):
    daemon, uri = flame_daemon
    assert uri.object == "Pyro.Flame"
    assert flame_proxy._pyroMethods == FLAME_METHODS
    assert flame_proxy._pyroAttrs == set() and flame_proxy._pyroOneway == set()
    with open(os.path.join(VECTOR_DIR, "flame_pickle.json")) as vector_file:
        vector = json.load(vector_file)
    handshake = pickle.loads(bytes.fromhex(vector["messages"][1]["data_hex"]))
    assert set(handshake["meta"]["methods"]) == FLAME_METHODS


def test_evaluate_execute_and_builtins(flame_proxy):
    assert flame_proxy.evaluate("1+2") == 3
    assert flame_proxy.execute("flamevar = 42") is None
    assert flame_proxy.evaluate("flamevar") == 42
    assert flame_proxy.invokeBuiltin("max", (1, 5), {}) == 5
    with flame_proxy.builtin("max") as remote_max:
        assert remote_max(1, 7, 3) == 7
        assert repr(remote_max).startswith("<Pyro4.utils.flame.FlameBuiltin at 0x")
        assert repr(remote_max).endswith("; builtin 'max' at %s>" % flame_proxy._pyroUri.location)


def test_modules(flame_proxy, flame_daemon):
    with flame_proxy.module("os.path") as remote_path:
        assert isinstance(remote_path, flame.FlameModule)
        assert remote_path.join("a", "b") == os.path.join("a", "b")
        assert remote_path.flameserver._pyroUri.location == flame_daemon[0].locationStr
    with flame_proxy.module("sys") as remote_sys:
        assert "module 'sys' at" in repr(remote_sys)
        assert remote_sys.getdefaultencoding() == sys.getdefaultencoding()
    assert flame_proxy.invokeModule("os.path.join", ("x", "y"), {}) == os.path.join("x", "y")


def test_flame_module_attribute_is_remote_method(flame_proxy):
    with flame_proxy.module("os") as remote_os:
        assert isinstance(remote_os.path, Pyro4.core._RemoteMethod)
        assert remote_os.path.basename("/a/b.txt") == "b.txt"
        with pytest.raises(AttributeError):
            remote_os.__getnewargs_ex__()  # a protocol probe, not a remote call


def test_flame_module_pickles_as_its_dict(flame_proxy):
    with flame_proxy.module("os.path") as remote_path:
        state = remote_path.__getstate__()
        assert set(state) == {"flameserver", "module"} and state["module"] == "os.path"
        copy = pickle.loads(pickle.dumps(remote_path))
        assert copy.module == "os.path" and copy.flameserver == remote_path.flameserver


def test_sendmodule_and_getmodule(flame_proxy, scratch_modules):
    source = "def greet(name):\n    return 'hello ' + name\n"
    flame_proxy.sendmodule("flametest_sent.greeting", source)
    with flame_proxy.module("flametest_sent.greeting") as remote:
        assert remote.greet("flame") == "hello flame"
    assert flame_proxy.getmodule("flametest_sent.greeting") == source
    assert "def join" in flame_proxy.getmodule("posixpath")
    assert "def dumps" in flame_proxy.getmodule("json")


def test_files(flame_proxy, tmp_path):
    target = str(tmp_path / "sent.bin")
    flame_proxy.sendfile(target, b"\x00\x01binary data")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert flame_proxy.getfile(target) == b"\x00\x01binary data"


def test_console_object(flame_proxy, flame_daemon):
    console = flame_proxy.console()
    try:
        assert isinstance(console, flame.RemoteInteractiveConsole)
        remote = console.remoteconsole
        banner = remote.get_banner()
        assert banner == "Python %s on %s\n(Remote console on %s)" % (
            sys.version,
            sys.platform,
            flame_daemon[0].locationStr,
        )
        assert remote.push_and_get_output("x = 6 * 7") == ("", False)
        assert remote.push_and_get_output("print(x)") == ("42\n", False)
        assert remote.push_and_get_output("for i in range(2):") == ("", True)
        assert remote.push_and_get_output("    print(i)") == ("", True)
        assert remote.push_and_get_output("") == ("0\n1\n", False)
        output, more = remote.push_and_get_output("1/0")
        assert "ZeroDivisionError" in output and more is False
        output, more = remote.push_and_get_output("1 +* 2")
        assert "SyntaxError" in output and more is False
        console_id = remote._pyroUri.object
        assert console_id in flame_daemon[0].objectsById
    finally:
        console.close()
    assert console_id not in flame_daemon[0].objectsById


def test_console_tracebacks_ignore_a_replaced_excepthook(flame_proxy, monkeypatch):
    hooked = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: hooked.append(info))
    with flame_proxy.console() as console:
        output, more = console.remoteconsole.push_and_get_output("{}['missing']")
    assert "KeyError: 'missing'" in output and more is False
    assert hooked == []


def test_console_interact_with_piped_input(flame_proxy, monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("y = 3 * 5\nprint(y)\n"))
    with flame_proxy.console() as console:
        console.interact()
    out = capsys.readouterr().out
    assert "15\n" in out
    assert out.rstrip().endswith("(Remote session ended)")


# ---- pyro4-flameserver ----------------------------------------------------------------------------


def test_flameserver_main_in_process(capsys):
    Pyro4.config.FLAME_ENABLED = True
    daemon, uri = flameserver.main(["-H", "127.0.0.1", "-p", "0"], returnWithoutLooping=True)
    try:
        assert uri.object == "Pyro.Flame"
        assert Pyro4.config.SERIALIZERS_ACCEPTED == {"pickle"}
    finally:
        daemon.close()
    assert capsys.readouterr().out.splitlines() == [
        "Starting Pyro Flame server.",
        "Warning: HMAC key not set. Anyone can connect to this server!",
        "server uri: %s" % uri,
        "server is running.",
    ]


def test_flameserver_help(capsys):
    with pytest.raises(SystemExit) as x:
        flameserver.main(["--help"])
    assert x.value.code == 0
    out = capsys.readouterr().out
    assert "-u UNIXSOCKET, --unixsocket=UNIXSOCKET" in out
    assert "-k KEY, --key=KEY     the HMAC key to use (deprecated)" in out


def test_flameserver_process_refuses_unless_enabled(tool_processes):  # noqa: F811
    process = tool_processes(["-m", "Pyro4.utils.flameserver", "-H", "127.0.0.1"])
    assert process.wait() == 1
    assert process.stdout_lines == [
        "Starting Pyro Flame server.",
        "Warning: HMAC key not set. Anyone can connect to this server!",
    ]
    assert process.stderr_lines[-1] == "Pyro4.errors.SecurityError: Flame is disabled in the server configuration"


def test_flameserver_process_with_remote_console(tool_processes, tmp_path):  # noqa: F811
    env = {"PYRO_FLAME_ENABLED": "true", "PYRO_HMAC_KEY": "flamekey"}
    server = tool_processes(["-m", "Pyro4.utils.flameserver", "-H", "127.0.0.1", "-p", "0"], env=env)
    uri = server.wait_for_line("server uri: ").split(": ", 1)[1]
    server.wait_for_line("server is running.")
    assert "Warning: HMAC key not set. Anyone can connect to this server!" not in server.stdout_lines
    location = Pyro4.URI(uri).location
    client_code = (
        "import sys, Pyro4; from Pyro4.utils import flame\n"
        "Pyro4.config.SERIALIZER = 'pickle'\n"
        "with flame.connect(sys.argv[1], hmac_key=b'flamekey') as f:\n"
        "    print('evaluated', f.evaluate('2**10'))\n"
        "    with f.console() as console:\n"
        "        console.remoteconsole._pyroHmacKey = b'flamekey'  # keys never travel in replies\n"
        "        console.interact()\n"
    )
    client = tool_processes(["-c", client_code, location], stdin_text="import os\nprint(os.getpid() * 0 + 99)\n")
    assert client.wait() == 0, client.stderr_lines
    assert client.stdout_lines[0] == "evaluated 1024"
    # input() writes the ">>> " prompts to stdout when stdin is a pipe
    assert client.stdout_lines[1] == ">>> >>> 99"
    assert client.stdout_lines[-1].endswith("(Remote session ended)")
    assert any("(Remote console on %s)" % location in line for line in client.stderr_lines)


# ---- wire format ----------------------------------------------------------------------------------


class FakeDaemon(object):
    def uriFor(self, obj):
        return Pyro4.URI("PYRO:Pyro.Flame@127.0.0.1:37511")  # the address in the captured vector


class FakeFlameServer(object):
    """Stands in for the Flame object (as creator) and for its proxy (as receiver of invokeModule)."""

    _pyroDaemon = FakeDaemon()

    def __init__(self):
        self.invoked = []

    def invokeModule(self, dottedname, args, kwargs):
        self.invoked.append((dottedname, args, kwargs))
        return "result"


def _vector_result(index):
    with open(os.path.join(VECTOR_DIR, "flame_pickle.json")) as vector_file:
        return bytes.fromhex(json.load(vector_file)["messages"][index]["data_hex"])


def test_pickled_flame_objects_match_the_vector():
    builtin = flame.FlameBuiltin(FakeFlameServer(), "max")
    module = flame.FlameModule(FakeFlameServer(), "os.path")
    assert pickle.dumps(builtin, protocol=5) == _vector_result(7)
    assert pickle.dumps(module, protocol=5) == _vector_result(11)
    received = pickle.loads(_vector_result(11))
    assert type(received) is flame.FlameModule and received.module == "os.path"
    assert str(received.flameserver._pyroUri) == "PYRO:Pyro.Flame@127.0.0.1:37511"


def test_flame_module_call_names_module_and_attribute():
    module = flame.FlameModule(FakeFlameServer(), "os")
    receiver = FakeFlameServer()
    module.flameserver = receiver
    assert module.path.join("a", "b") == "result"
    assert module.getcwd() == "result"
    assert receiver.invoked == [("os.path.join", ("a", "b"), {}), ("os.getcwd", (), {})]
