"""Serializers against real Pyro4 4.82 (a separate process in its own virtualenv).

For every serializer, value and form (plain value, or inside a call): real 4.82 decodes our bytes
exactly as it decodes its own, and we decode 4.82's bytes exactly as 4.82 does (or fail the same way).
"""
import json
import os
import subprocess
import textwrap

import pytest
import realpyro

import Pyro4.util

REAL_PYTHON = realpyro.real_python()  # builds the venv on first use; an error fails the module

pytestmark = pytest.mark.interop

SERIALIZERS = ["serpent", "json", "marshal", "msgpack", "pickle"]

# Runs on both sides (ours and real 4.82): the values, and a text that describes a decoded result.
SHARED = textwrap.dedent('''
    import datetime, uuid
    import Pyro4.core, Pyro4.errors, Pyro4.futures

    def make_values():
        remote = ZeroDivisionError("division by zero")
        remote._pyroTraceback = ["Traceback (most recent call last):\\n", "ZeroDivisionError: division by zero\\n"]
        remote.extra = {"a": [1, 2]}
        proxy = Pyro4.core.Proxy("PYRO:obj@127.0.0.1:5555")
        proxy._pyroMethods = {"a", "b"}
        proxy._pyroOneway = {"b"}
        proxy._pyroAttrs = {"x"}
        proxy._pyroHmacKey = b"secret"
        return {
            "basic": [1, "two", 3.5, None, True, {"k": [1, (2, 3)]}, "h\\u00e9"],
            "bigint": 2 ** 70, "complex": 1 - 2j, "uuid": uuid.UUID(int=7), "set": {1, 2},
            "datetime": datetime.datetime(2021, 2, 3, 4, 5, 6), "date": datetime.date(2021, 2, 3),
            "exception": remote, "pyro_error": Pyro4.errors.CommunicationError("lost"),
            "uri": Pyro4.core.URI("PYRO:obj@[::1]:5555"), "uri_unix": Pyro4.core.URI("PYRO:obj@./u:/tmp/s"),
            "proxy": proxy, "wrapper": Pyro4.futures._ExceptionWrapper(KeyError("k")),
            "nested": {"list": [Pyro4.core.URI("PYRONAME:x.y")], "exc": [ValueError("v")]},
            "refused": {"__class__": "mymodule.Thing", "x": 1},
        }

    def encode(serializer, form, value):
        if form == "call":
            return serializer.dumpsCall("obj", "meth", (value,), {"kw": value})
        return serializer.dumps(value)

    def decode(serializer, form, data):
        try:
            if form == "call":
                return describe(list(serializer.loadsCall(data)))
            return describe(serializer.loads(data))
        except Exception as x:
            return "ERROR %s: %s" % (type(x).__name__, x)

    def describe(v):
        if isinstance(v, BaseException):
            return "EXC %s.%s%r %r" % (type(v).__module__, type(v).__name__, v.args, sorted(vars(v).items()))
        if isinstance(v, Pyro4.core.Proxy):
            return "PROXY %s %r %r %r %r" % (v._pyroUri, sorted(v._pyroMethods), sorted(v._pyroOneway),
                                             sorted(v._pyroAttrs), v._pyroHmacKey)
        if isinstance(v, Pyro4.core.URI):
            return "URI " + str(v)
        if isinstance(v, Pyro4.futures._ExceptionWrapper):
            return "WRAP " + describe(v.exception)
        if isinstance(v, (list, tuple)):
            return type(v).__name__ + "[" + ",".join(describe(x) for x in v) + "]"
        if isinstance(v, dict):
            return "dict{" + ",".join("%r:%s" % (k, describe(x)) for k, x in sorted(v.items(), key=repr)) + "}"
        if isinstance(v, (set, frozenset)):
            return type(v).__name__ + repr(sorted(v, key=repr))
        return "%s:%r" % (type(v).__name__, v)
''')

REAL_SCRIPT = SHARED + textwrap.dedent('''
    import json, sys
    import Pyro4.util
    request = json.loads(sys.stdin.read())
    values = make_values()
    out = {}
    for ser_name, form, name, our_hex in request:
        serializer = Pyro4.util.get_serializer(ser_name)
        key = "%s/%s/%s" % (ser_name, form, name)
        try:
            own = encode(serializer, form, values[name])
        except Exception as x:
            own = None
            own_error = "ERROR %s: %s" % (type(x).__name__, x)
        out[key] = {
            "hex": own.hex() if own is not None else None,
            "own": decode(serializer, form, own) if own is not None else own_error,
            "ours": decode(serializer, form, bytes.fromhex(our_hex)) if our_hex is not None else None,
        }
    print(json.dumps(out))
''')


def _shared_namespace():
    namespace = {}
    exec(SHARED, namespace)
    return namespace


@pytest.fixture(scope="module")
def exchange():
    """Our encodings and real 4.82's, each decoded by real 4.82 (one peer process for all)."""
    shared = _shared_namespace()
    values = shared["make_values"]()
    request, ours = [], {}
    for ser_name in SERIALIZERS:
        serializer = Pyro4.util.get_serializer(ser_name)
        for form in ("data", "call"):
            for name, value in values.items():
                try:
                    data = shared["encode"](serializer, form, value)
                except Exception as x:
                    data, ours["%s/%s/%s" % (ser_name, form, name)] = None, "ERROR %s: %s" % (type(x).__name__, x)
                request.append((ser_name, form, name, data.hex() if data is not None else None))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYRO"))}
    proc = subprocess.run([REAL_PYTHON, "-c", REAL_SCRIPT], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120, env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return shared, json.loads(proc.stdout.strip().splitlines()[-1]), ours


def _keys():
    names = sorted(_shared_namespace()["make_values"]())
    return ["%s/%s/%s" % (s, f, n) for s in SERIALIZERS for f in ("data", "call") for n in names]


@pytest.mark.parametrize("key", _keys())
def test_same_behaviour_as_4_82(key, exchange):
    shared, real, our_errors = exchange
    ser_name, form, _ = key.split("/")
    result = real[key]
    if key in our_errors:  # we could not encode it: neither could 4.82
        assert result["hex"] is None
        assert our_errors[key] == result["own"]
        return
    assert result["hex"] is not None, "4.82 failed to encode what we encoded: " + result["own"]
    # 4.82 reads our bytes as it reads its own ...
    assert result["ours"] == result["own"]
    # ... and we read 4.82's bytes as 4.82 does
    serializer = Pyro4.util.get_serializer(ser_name)
    assert shared["decode"](serializer, form, bytes.fromhex(result["hex"])) == result["own"]
