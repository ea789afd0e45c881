"""Interop with real Pyro4 4.82, run as a separate peer process in its own virtualenv.

* a real 4.82 proxy calls our daemon (all serializers, batch, stream, oneway, attributes, HMAC, errors);
* our proxy calls a real 4.82 daemon.
"""

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
import realpyro
from server_helpers import SERVERTYPES, serving

import Pyro4
from Pyro4.configuration import config

REAL_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module

pytestmark = pytest.mark.interop


def run_real(script, *args, timeout=60):
    """Run a script with the real Pyro4 4.82; returns its JSON output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO"))}
    proc = subprocess.run(
        [REAL_PYTHON, "-c", textwrap.dedent(script)] + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@Pyro4.expose
class Calc(object):
    def __init__(self):
        self._value = 7
        self.fired = threading.Event()

    def add(self, a, b):
        return a + b

    def div(self, a, b):
        return a / b

    def gen(self, n):
        return (i * 2 for i in range(n))

    @Pyro4.oneway
    def fire(self):
        self.fired.set()

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, v):
        self._value = v


CLIENT_SCRIPT = """
import json, sys
import Pyro4
uri, serializer, key = sys.argv[1], sys.argv[2], sys.argv[3]
Pyro4.config.SERIALIZER = serializer
out = {}
with Pyro4.Proxy(uri) as p:
    if key != "-":
        p._pyroHmacKey = key
    out["add"] = p.add(1, 2)
    try:
        p.div(1, 0)
    except ZeroDivisionError as x:
        out["error"] = "".join(Pyro4.util.getPyroTraceback()).count("Remote traceback")
    if serializer != "marshal":
        out["value"] = p.value
        p.value = 9
        out["value2"] = p.value
        b = Pyro4.batch(p)
        b.add(1, 1)
        b.add(2, 2)
        out["batch"] = list(b())
    out["gen"] = list(p.gen(3))
    p.fire()
    out["after_oneway"] = p.add(3, 4)
print(json.dumps(out))
"""


@pytest.mark.parametrize("servertype", SERVERTYPES)
@pytest.mark.parametrize("serializer", ["serpent", "json", "marshal", "msgpack", "pickle"])
def test_real_proxy_calls_our_daemon(serializer, servertype):
    config.SERVERTYPE = servertype
    config.POLLTIMEOUT = 0.2
    config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack", "pickle"}
    daemon = Pyro4.Daemon(host="127.0.0.1")
    calc = Calc()
    uri = daemon.register(calc, "calc")
    with serving(daemon):
        out = run_real(CLIENT_SCRIPT, uri, serializer, "-")
    assert out["add"] == 3
    assert out["error"] == 1
    assert out["gen"] == [0, 2, 4]
    assert out["after_oneway"] == 7
    assert calc.fired.is_set()
    if serializer != "marshal":
        assert (out["value"], out["value2"]) == (7, 9)
        assert out["batch"] == [2, 4]


def test_real_proxy_with_hmac():
    daemon = Pyro4.Daemon(host="127.0.0.1")
    daemon._pyroHmacKey = "secret"
    uri = daemon.register(Calc(), "calc")
    with serving(daemon):
        out = run_real(CLIENT_SCRIPT, uri, "serpent", "secret")
    assert out["add"] == 3


SERVER_SCRIPT = """
import json, sys, threading
import Pyro4

@Pyro4.expose
class Calc(object):
    def add(self, a, b):
        return a + b
    def div(self, a, b):
        return a / b
    def gen(self, n):
        return (i for i in range(n))
    def stop(self):
        threading.Thread(target=daemon.shutdown).start()

Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack", "pickle"}
daemon = Pyro4.Daemon(host="127.0.0.1")
uri = daemon.register(Calc(), "calc")
print(uri, flush=True)
daemon.requestLoop()
daemon.close()
print(json.dumps("done"), flush=True)
"""


def test_our_proxy_calls_real_daemon():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO"))}
    proc = subprocess.Popen(
        [REAL_PYTHON, "-c", textwrap.dedent(SERVER_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd="/",
    )
    try:
        uri = proc.stdout.readline().strip()
        assert uri.startswith("PYRO:calc@127.0.0.1:"), proc.stderr.read()
        for serializer in ["serpent", "json", "marshal", "msgpack", "pickle"]:
            with Pyro4.Proxy(uri) as p:
                p._pyroSerializer = serializer
                assert p.add(1, 2) == 3
                with pytest.raises(ZeroDivisionError):
                    p.div(1, 0)
                assert list(p.gen(3)) == [0, 1, 2]
        with Pyro4.Proxy(uri) as p:
            p.stop()
        proc.wait(timeout=30)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_interpreter_is_separate():
    out = run_real("import json, Pyro4; print(json.dumps(Pyro4.__file__))")
    assert os.path.dirname(os.path.dirname(REAL_PYTHON)) in out
    assert os.path.dirname(os.path.dirname(REAL_PYTHON)) not in Pyro4.__file__
    assert sys.executable != REAL_PYTHON
