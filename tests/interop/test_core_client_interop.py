"""Our proxy against a real Pyro4 4.82 daemon, run as a separate process in its own virtualenv:
every client feature, every serializer."""
import os
import subprocess
import textwrap
import uuid

import pytest
import realpyro

import Pyro4
from Pyro4 import core, errors, futures
from Pyro4.core import Proxy, SerializedBlob

REAL_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module
SERIALIZERS = ["serpent", "json", "marshal", "msgpack", "pickle"]

pytestmark = pytest.mark.interop

SERVER_SCRIPT = """
import sys, threading
import Pyro4

key = sys.argv[1]

@Pyro4.expose
class Item(object):
    def name(self):
        return "item"

@Pyro4.expose
class Calc(object):
    def __init__(self):
        self._value = 7
        self.fired = 0
    def add(self, a, b):
        return a + b
    def div(self, a, b):
        return a // b
    def echo(self, x):
        return x
    def gen(self, n):
        return (i for i in range(n))
    @Pyro4.oneway
    def fire(self):
        self.fired += 1
    def fired_count(self):
        return self.fired
    @property
    def value(self):
        return self._value
    @value.setter
    def value(self, v):
        self._value = v
    def blob(self, b):
        return [b.info, b.deserialized()]
    def context(self):
        ctx = Pyro4.current_context
        ctx.response_annotations = {"XRSP": b"reply"}
        return [str(ctx.correlation_id), sorted(ctx.annotations)]
    def make_item(self):
        item = Item()
        self._pyroDaemon.register(item)
        return item
    def stop(self):
        threading.Thread(target=daemon.shutdown).start()

Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack", "pickle"}
daemon = Pyro4.Daemon(host="127.0.0.1")
if key != "-":
    daemon._pyroHmacKey = key
uri = daemon.register(Calc(), "calc")
print(uri, flush=True)
daemon.requestLoop()
daemon.close()
"""


def start_real_daemon(key="-"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO"))}
    proc = subprocess.Popen([REAL_PYTHON, "-c", textwrap.dedent(SERVER_SCRIPT), key], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd="/")
    uri = proc.stdout.readline().strip()
    if not uri.startswith("PYRO:calc@127.0.0.1:"):
        proc.kill()
        proc.wait(10)
        raise AssertionError("real daemon did not start: " + proc.stderr.read())
    return proc, uri


def stop_real_daemon(proc, uri, key=None):
    try:
        with Proxy(uri) as proxy:
            proxy._pyroHmacKey = key
            proxy.stop()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="module")
def real_daemon():
    proc, uri = start_real_daemon()
    yield uri
    stop_real_daemon(proc, uri)


@pytest.fixture(autouse=True)
def clean_context():
    core.current_context.correlation_id = None
    core.current_context.annotations = {}
    yield
    core.current_context.correlation_id = None


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_calls(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        assert proxy.add(1, 2) == 3
        assert proxy._pyroMethods >= {"add", "div", "gen", "fire", "blob"}
        assert proxy._pyroOneway == {"fire"} and proxy._pyroAttrs == {"value"}
        assert proxy.echo("h\u00e9llo") == "h\u00e9llo"
        with pytest.raises(ZeroDivisionError) as excinfo:
            proxy.div(1, 0)
        assert excinfo.value._pyroTraceback
        assert proxy.fire() is None
        assert proxy.add(2, 2) == 4


@pytest.mark.parametrize("serializer", ["serpent", "json", "msgpack", "pickle"])
def test_attributes(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        proxy.value = 11
        assert proxy.value == 11
        proxy.value = 7


@pytest.mark.parametrize("serializer", ["serpent", "json", "msgpack", "pickle"])
def test_batch(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        batch = Pyro4.batch(proxy)
        batch.add(1, 2)
        batch.echo("x")
        batch.div(1, 0)
        batch.add(3, 4)
        results = batch()
        assert [next(results), next(results)] == [3, "x"]
        with pytest.raises(ZeroDivisionError):
            next(results)
        batch.add(1, 1)
        assert batch(oneway=True) is None
        batch.add(5, 5)
        assert list(batch(asynchronous=True).value) == [10]


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_stream(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        assert list(proxy.gen(4)) == [0, 1, 2, 3]
        partial = proxy.gen(10)
        assert next(partial) == 0
        partial.close()
        assert proxy.add(1, 1) == 2


@pytest.mark.parametrize("serializer", ["serpent", "json", "msgpack", "pickle"])
def test_blob(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        info, data = proxy.blob(SerializedBlob("blobinfo", ("a", 1)))
        assert info == "blobinfo"
        if serializer == "json":
            assert data == "params"   # the 4.82 json blob bug, seen from a real 4.82 server
        else:
            assert list(data) == ["a", 1]


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_async(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        Pyro4.asyncproxy(proxy)
        result = proxy.add(20, 22)
        assert isinstance(result, futures.FutureResult)
        assert result.then(lambda v: v + 1).value == 43


def test_correlation_id_and_annotations(real_daemon):
    corr = uuid.uuid4()
    with Proxy(real_daemon) as proxy:
        core.current_context.correlation_id = corr
        core.current_context.annotations = {"XTRA": b"custom"}
        server_corr, keys = proxy.context()
        assert server_corr == str(corr)
        assert keys == ["CORR", "XTRA"]
        assert core.current_context.response_annotations["XRSP"] == b"reply"
        assert core.current_context.response_annotations["CORR"] == corr.bytes


@pytest.mark.parametrize("serializer", ["serpent", "json", "msgpack", "pickle"])
def test_autoproxy(real_daemon, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Proxy(real_daemon) as proxy:
        item = proxy.make_item()
        assert isinstance(item, Proxy) and item._pyroMethods == {"name"}
        with item:
            assert item.name() == "item"


def test_metadata_off(real_daemon):
    Pyro4.config.METADATA = False
    with Proxy(real_daemon) as proxy:
        assert proxy.add(1, 2) == 3
        proxy._pyroGetMetadata()
        assert "add" in proxy._pyroMethods


def test_compression(real_daemon):
    Pyro4.config.COMPRESSION = True
    with Proxy(real_daemon) as proxy:
        assert proxy.echo("x" * 5000) == "x" * 5000


def test_daemon_object(real_daemon):
    with Proxy(real_daemon) as proxy:
        proxy._pyroBind()
        daemon_uri = "PYRO:Pyro.Daemon@" + proxy._pyroUri.location
    with Proxy(daemon_uri) as daemon_proxy:
        assert daemon_proxy.ping() is None
        assert "calc" in daemon_proxy.registered()


def test_hmac():
    proc, uri = start_real_daemon("secret")
    try:
        with Proxy(uri) as proxy:
            proxy._pyroHmacKey = "secret"
            assert proxy.add(1, 2) == 3
        with Proxy(uri) as proxy:
            proxy._pyroHmacKey = "wrong"
            with pytest.raises(errors.CommunicationError) as excinfo:
                proxy._pyroBind()
            assert str(excinfo.value).endswith("message hmac mismatch")
        with Proxy(uri) as proxy:
            with pytest.raises(errors.CommunicationError) as excinfo:
                proxy._pyroBind()
            assert str(excinfo.value).endswith("hmac key config not symmetric")
    finally:
        stop_real_daemon(proc, uri, key=b"secret")
