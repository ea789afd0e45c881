"""The server half of the interop scenarios. Runs unchanged under our Pyro4 or real Pyro4 4.82.

    python scenario_server.py '{"servertype": "thread", "hmac": null, "ssl": null, "unix": null, "host": "127.0.0.1"}'

Prints one JSON line {"uri": ..., "version": ...} when it serves, and serves until a client calls
``shutdown()`` or stdin closes (so a test that dies never leaves it behind).
"""

import json
import sys
import threading
import time

import Pyro4
from scenario_common import describe

SERIALIZERS = {"serpent", "json", "marshal", "msgpack", "pickle", "dill", "cloudpickle"}


@Pyro4.expose
class Resource(object):
    """A resource tracked on the connection that asked for it; closed when that client goes away."""

    registry = []

    def __init__(self):
        self.closed = False
        Resource.registry.append(self)

    def close(self):
        self.closed = True


@Pyro4.expose
class Child(object):
    def name(self):
        return "child"


@Pyro4.behavior(instance_mode="single")
@Pyro4.expose
class Service(object):
    def __init__(self, daemon):
        self.daemon = daemon
        self.fired = threading.Event()
        self._value = 7

    # plain calls
    def echo(self, value):
        return value

    def describe(self, value):
        return describe(value)

    def add(self, a, b):
        return a + b

    def kwargs(self, *args, **kwargs):
        return [list(args), sorted(kwargs.items())]

    def divide(self, a, b):
        return a / b

    def fail_custom(self):
        raise ValueError("custom failure", 42)

    def sleep(self, seconds):
        time.sleep(seconds)
        return "slept"

    # attributes
    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, new):
        self._value = new

    # oneway
    @Pyro4.oneway
    def fire(self):
        self.fired.set()

    def was_fired(self):
        return self.fired.wait(5)

    # autoproxy
    def get_child(self):
        # a new one each time: serializing a registered object with marshal unregisters it from
        # autoproxying (WIRE.md 5.3), which must not leak into the next scenario
        child = Child()
        self.daemon.register(child)
        return child

    # callbacks
    def call_back(self, callback, value):
        return callback.answer(value)

    def call_back_failing(self, callback):
        return callback.fail()

    # streaming
    def generate(self, count):
        return (i * i for i in range(count))

    def endless(self):
        return (i for i in range(10 ** 9))

    def open_streams(self):
        return len(self.daemon.streaming_responses)

    # context: annotations and correlation ids
    def context(self):
        ctx = Pyro4.current_context
        ctx.response_annotations = {"XRSP": b"from server"}
        annotations = {key: bytes(value).decode("latin-1") for key, value in ctx.annotations.items()
                       if key not in ("CORR", "HMAC")}
        return {"annotations": annotations, "correlation_id": str(ctx.correlation_id),
                "seq": ctx.seq, "serializer_id": ctx.serializer_id}

    # blobs
    def blob_info(self, blob):
        return [type(blob).__name__, blob.info, describe(blob.deserialized())]

    # resource tracking
    def track(self):
        resource = Resource()
        Pyro4.current_context.track_resource(resource)
        return len(Resource.registry) - 1

    def resource_closed(self, index):
        for _ in range(100):
            if Resource.registry[index].closed:
                return True
            time.sleep(0.05)
        return False

    def shutdown(self):
        threading.Thread(target=self.daemon.shutdown).start()


class SecretDaemon(Pyro4.Daemon):
    """Accepts only clients whose handshake data is the expected secret."""

    def validateHandshake(self, conn, data):
        if isinstance(data, dict) and data.get("secret") == "open sesame":
            return {"welcome": data.get("who")}
        if data == "hello" or data is None:
            return "plain handshake"
        raise Pyro4.errors.SecurityError("wrong secret")


def configure(options):
    Pyro4.config.SERVERTYPE = options.get("servertype", "thread")
    Pyro4.config.SERIALIZERS_ACCEPTED = set(SERIALIZERS)
    Pyro4.config.POLLTIMEOUT = 0.1
    Pyro4.config.COMMTIMEOUT = options.get("commtimeout", 0.0)
    if options.get("ssl"):
        certs = options["ssl"]
        Pyro4.config.SSL = True
        Pyro4.config.SSL_REQUIRECLIENTCERT = True
        Pyro4.config.SSL_SERVERCERT = certs["server_cert"]
        Pyro4.config.SSL_SERVERKEY = certs["server_key"]
        Pyro4.config.SSL_CACERTS = certs["ca_cert"]


def watch_stdin(daemon):
    """Shut down when the test that started us goes away (its end of our stdin closes)."""
    sys.stdin.read()
    daemon.shutdown()


def main():
    options = json.loads(sys.argv[1])
    configure(options)
    if options.get("unix"):
        daemon = SecretDaemon(unixsocket=options["unix"])
    else:
        daemon = SecretDaemon(host=options.get("host", "127.0.0.1"), port=0)
    if options.get("hmac"):
        daemon._pyroHmacKey = options["hmac"].encode()
    uri = daemon.register(Service(daemon), "interop.service")
    threading.Thread(target=watch_stdin, args=(daemon,), daemon=True).start()
    print(json.dumps({"uri": str(uri), "version": Pyro4.__file__}), flush=True)
    daemon.requestLoop()
    daemon.close()


if __name__ == "__main__":
    main()
