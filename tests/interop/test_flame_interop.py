"""Flame against real Pyro4 4.82 (its own virtualenv, separate processes): both directions."""

import json
import os

import pytest
import realpyro
from test_echoserver import tool_processes  # noqa: F401  (fixture)

import Pyro4
from Pyro4.utils import flame

REAL_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module

pytestmark = pytest.mark.interop

_FLAME_ENV = {"PYRO_FLAME_ENABLED": "true"}

_REAL_CLIENT = """
import json, sys
import Pyro4
from Pyro4.utils import flame
Pyro4.config.SERIALIZER = "pickle"
results = {"pyro4": Pyro4.__file__}
with flame.connect(sys.argv[1]) as f:
    results["evaluate"] = f.evaluate("3*14")
    f.execute("interopvar = 'set remotely'")
    results["executed"] = f.evaluate("interopvar")
    with f.module("os.path") as remote_path:
        results["join"] = remote_path.join("a", "b")
        results["module_repr"] = repr(remote_path)
    with f.builtin("max") as remote_max:
        results["max"] = remote_max(4, 9, 2)
    f.sendmodule("interop_sent_mod", "def f():\\n    return 99\\n")
    results["invokeModule"] = f.invokeModule("interop_sent_mod.f", (), {})
    with f.console() as console:
        results["console"] = console.remoteconsole.push_and_get_output("print(6*7)")
print(json.dumps(results))
"""


def test_real_client_against_our_flameserver(tool_processes):  # noqa: F811
    server = tool_processes(["-m", "Pyro4.utils.flameserver", "-H", "127.0.0.1", "-p", "0"], env=_FLAME_ENV)
    location = Pyro4.URI(server.wait_for_line("server uri: ").split(": ", 1)[1]).location
    client = tool_processes(["-c", _REAL_CLIENT, location], executable=REAL_PYTHON)
    assert client.wait() == 0, client.stderr_lines
    results = json.loads(client.stdout_lines[-1])
    assert os.path.dirname(os.path.dirname(REAL_PYTHON)) in results["pyro4"]
    assert results["evaluate"] == 42
    assert results["executed"] == "set remotely"
    assert results["join"] == "a/b"
    assert "module 'os.path' at %s>" % location in results["module_repr"]
    assert results["max"] == 9
    assert results["invokeModule"] == 99
    assert results["console"] == ["42\n", False]


def test_our_client_against_real_flameserver(tool_processes):  # noqa: F811
    server = tool_processes(
        ["-m", "Pyro4.utils.flameserver", "-H", "127.0.0.1", "-p", "0"], env=_FLAME_ENV, executable=REAL_PYTHON
    )
    location = Pyro4.URI(server.wait_for_line("server uri: ").split(": ", 1)[1]).location
    Pyro4.config.SERIALIZER = "pickle"
    with flame.connect(location) as remote:
        assert remote.evaluate("1+2") == 3
        with remote.module("os.path") as remote_path:
            assert isinstance(remote_path, flame.FlameModule)
            assert remote_path.join("x", "y") == "x/y"
        with remote.builtin("max") as remote_max:
            assert remote_max(1, 5) == 5
        assert remote.evaluate("'abc'.upper()") == "ABC"
        with remote.console() as console:
            assert isinstance(console, flame.RemoteInteractiveConsole)
            assert console.remoteconsole.push_and_get_output("print('from 4.82')") == ("from 4.82\n", False)
