"""The client half of the interop scenarios. Runs unchanged under our Pyro4 or real Pyro4 4.82.

    python scenario_client.py '{"uri": ..., "serializer": "serpent", "scenarios": ["values", ...]}'

Prints one JSON object: scenario name -> what the client observed. Observations leave out what
legitimately differs between two runs (ports, memory addresses), so that the same scenario gives the
same observations whichever implementation runs the client and whichever runs the server.
"""

import array
import collections
import datetime
import decimal
import json
import socket
import struct
import sys
import threading
import time
import uuid

import Pyro4
import Pyro4.errors
import Pyro4.util
from scenario_common import Thing, describe

CORRELATION_ID = uuid.UUID("0badc0de-1234-5678-9abc-def012345678")


LOCATION = []  # the server's location, scrubbed from error texts: ports differ from run to run


def error(x, with_text=True):
    text = str(x) if with_text else None
    for location in LOCATION:
        text = text and text.replace(location, "<server>")
    return ["error", type(x).__name__, text]


def attempt(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as x:
        return error(x)


def sample_values():
    return [0, 1, -1, 2 ** 70, -(2 ** 70), 1.5, -0.0, 1e300, float("inf"), complex(1, 2), "", "text",
            "\u00fcnic\u00f8de \u2603", b"", b"bytes\x00\xff", bytearray(b"array"), None, True, False, [],
            [1, "a", None, [2.5]], (), (1, "two"), {1, 2}, frozenset({3}), {}, {"a": 1, "b": [1, 2]},
            {1: "int key"}, decimal.Decimal("1.25"), datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
            datetime.date(2020, 1, 2), datetime.time(1, 2, 3), uuid.UUID("12345678-1234-5678-1234-567812345678"),
            array.array("i", [1, 2]), collections.OrderedDict([("z", 1), ("a", 2)]), Thing("thing"),
            Pyro4.URI("PYRO:x@example.com:1"), ValueError("boom"), [[[["deep"]]]]]


def scenario_values(proxy, options):
    results = []
    for value in sample_values():
        received = attempt(proxy.describe, value)
        returned = attempt(proxy.echo, value)
        results.append([received, returned if returned and returned[0] == "error" else describe(returned)])
    results.append(attempt(proxy.kwargs, 1, 2, a=3, b=None))
    results.append(attempt(proxy.add, 1, 2))
    return results


def scenario_basic(proxy, options):
    return [attempt(proxy.add, 1, 2), attempt(proxy.echo, "hello"), describe(attempt(proxy.echo, [1, (2, 3)]))]


def scenario_oneway(proxy, options):
    proxy._pyroBind()
    return [sorted(proxy._pyroOneway), proxy.fire(), proxy.was_fired()]


def scenario_batch(proxy, options):
    batch = Pyro4.batch(proxy)
    batch.add(1, 2)
    batch.echo("x")
    batch.divide(1, 0)
    batch.add(3, 4)
    results = []
    try:
        for result in batch():
            results.append(result)
    except ZeroDivisionError as x:
        results.append(error(x))
    oneway = Pyro4.batch(proxy)
    oneway.fire()
    results.append(oneway(oneway=True))
    asynchronous = Pyro4.batch(proxy)
    asynchronous.add(5, 5)
    asynchronous.add(6, 6)
    results.append(list(asynchronous(asynchronous=True).value))
    return results


def scenario_async(proxy, options):
    async_proxy = Pyro4.Proxy(proxy._pyroUri)
    async_proxy._pyroSerializer = proxy._pyroSerializer
    Pyro4.asyncproxy(async_proxy)  # switches the proxy itself to async mode (and returns None)
    results = [async_proxy.add(2, 3).value]
    chained = async_proxy.add(1, 1).then(lambda value: value * 10).then(lambda value: value + 1)
    results.append(chained.wait(10))
    results.append(chained.value)
    failing = async_proxy.divide(1, 0)
    failing.wait(10)
    results.append(attempt(lambda: failing.value))
    future = Pyro4.Future(proxy.add)
    results.append(future(20, 22).value)
    async_proxy._pyroRelease()
    return results


def scenario_exceptions(proxy, options):
    results = []
    try:
        proxy.divide(1, 0)
    except ZeroDivisionError as x:
        traceback = "".join(Pyro4.util.getPyroTraceback(type(x), x, x.__traceback__))
        results.append([error(x), hasattr(x, "_pyroTraceback"), "Remote traceback" in traceback,
                        "in divide" in "".join(x._pyroTraceback)])
    try:
        proxy.fail_custom()
    except ValueError as x:
        results.append([error(x), list(x.args)])
    results.append(attempt(lambda: proxy.no_such_method()))
    results.append(attempt(getattr, proxy, "no_such_attribute"))
    return results


def scenario_attributes(proxy, options):
    proxy._pyroBind()
    results = [sorted(proxy._pyroMethods), sorted(proxy._pyroAttrs), sorted(proxy._pyroOneway), proxy.value]
    proxy.value = 99
    results.append(proxy.value)
    proxy.value = 7
    return results


def scenario_autoproxy(proxy, options):
    child = attempt(proxy.get_child)
    if isinstance(child, list):
        return child
    return [type(child).__name__, child._pyroUri.object.startswith("obj_"), child.name()]


@Pyro4.expose
class Callback(object):
    @Pyro4.callback
    def answer(self, value):
        return value * 2

    @Pyro4.callback
    def fail(self):
        raise ValueError("callback failed")


def scenario_callback(proxy, options):
    daemon = Pyro4.Daemon(host=options.get("callback_host", "127.0.0.1"))
    callback = Callback()
    daemon.register(callback)
    loop = threading.Thread(target=daemon.requestLoop, daemon=True)
    loop.start()
    try:
        return [attempt(proxy.call_back, callback, 21), attempt(proxy.call_back_failing, callback)]
    finally:
        daemon.shutdown()
        loop.join(10)


def scenario_streaming(proxy, options):
    results = [list(proxy.generate(5))]
    endless = proxy.endless()
    results.append([next(endless), next(endless), next(endless)])
    results.append(proxy.open_streams())
    endless.close()
    # the close is a oneway call on a separate connection (this proxy was used since): give it time
    for _ in range(100):
        if proxy.open_streams() == 0:
            break
        time.sleep(0.02)
    results.append(proxy.open_streams())
    return results


class AnnotatingProxy(Pyro4.Proxy):
    def _pyroAnnotations(self):
        return {"XCLI": b"from client"}

    def _pyroResponseAnnotations(self, annotations, msgtype):
        if "XRSP" in annotations:
            self.seen = [bytes(annotations["XRSP"]).decode(), msgtype]


def scenario_context(proxy, options):
    with AnnotatingProxy(proxy._pyroUri) as annotating:
        annotating._pyroSerializer = proxy._pyroSerializer
        Pyro4.current_context.correlation_id = CORRELATION_ID
        try:
            context = annotating.context()
        finally:
            Pyro4.current_context.correlation_id = None
        return [context, getattr(annotating, "seen", None)]


class SecretProxy(Pyro4.Proxy):
    def _pyroValidateHandshake(self, response):
        self.handshake_response = response


def scenario_handshake(proxy, options):
    results = []
    for secret in ("open sesame", "wrong"):
        with SecretProxy(proxy._pyroUri) as secret_proxy:
            secret_proxy._pyroSerializer = proxy._pyroSerializer
            secret_proxy._pyroHandshake = {"secret": secret, "who": "scenario"}
            results.append(attempt(secret_proxy.add, 1, 1))
            results.append(getattr(secret_proxy, "handshake_response", None))
    return results


def scenario_blob(proxy, options):
    blob = Pyro4.core.SerializedBlob("some info", {"a": [1, 2], "b": "text"})
    return attempt(proxy.blob_info, blob)


def scenario_resource(proxy, options):
    index = proxy.track()
    proxy._pyroRelease()
    with Pyro4.Proxy(proxy._pyroUri) as again:
        again._pyroSerializer = proxy._pyroSerializer
        return [again.resource_closed(index)]


def scenario_compression(proxy, options):
    Pyro4.config.COMPRESSION = True
    try:
        text = "compressible " * 20000
        return [proxy.echo(text) == text, proxy.add(1, 2)]
    finally:
        Pyro4.config.COMPRESSION = False


def scenario_timeout(proxy, options):
    proxy._pyroTimeout = 0.3
    results = [attempt(proxy.sleep, 2)]
    proxy._pyroTimeout = None
    proxy._pyroRelease()
    results.append(proxy.add(2, 2))
    return results


def describe_frame(frame):
    """A reply frame's fields; a CORR annotation only by its presence: 4.82 fills it with whatever
    correlation id its worker thread had before (WIRE.md 3.4), so its value is noise."""
    if len(frame) < 24:
        return frame.hex()
    tag, version, msg_type, flags, seq, data_size, serializer_id, ann_size = struct.unpack("!4s4HiHH", frame[:20])
    annotations, offset = [], 24
    while offset < 24 + ann_size:
        key, length = struct.unpack("!4sH", frame[offset:offset + 6])
        annotations.append(key.decode())
        offset += 6 + length
    return [tag.decode(), version, msg_type, flags, seq, serializer_id, sorted(set(annotations) - {"CORR"}),
            frame[offset:offset + data_size].hex(), len(frame) == offset + data_size]


def scenario_garbage(proxy, options):
    """Junk as the first bytes of a connection: the exact reply bytes, then the server still works."""
    uri = proxy._pyroUri
    replies = []
    for junk in (b"GET / HTTP/1.0\r\n\r\n" + b"x" * 10, b"PYRO" + b"\x00" * 20):
        with socket.create_connection((uri.host, uri.port), timeout=5) as sock:
            sock.sendall(junk)
            chunks = []
            for _ in range(100):
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            replies.append(describe_frame(b"".join(chunks)))
    proxy._pyroRelease()
    return [replies, proxy.add(1, 1)]


def scenario_wrong_hmac(proxy, options):
    results = []
    for key in (b"wrong key", None):
        with Pyro4.Proxy(proxy._pyroUri) as other:
            other._pyroSerializer = proxy._pyroSerializer
            other._pyroHmacKey = key
            try:
                other.add(1, 1)
                results.append("accepted")
            except Pyro4.errors.PyroError as x:
                results.append(error(x))
    return results


def scenario_echoserver(proxy, options):
    """Pyro's own test echo server (python -m Pyro4.test.echoserver) under either implementation."""
    proxy._pyroBind()
    return [sorted(proxy._pyroMethods), sorted(proxy._pyroAttrs), sorted(proxy._pyroOneway),
            proxy.echo("hello"), describe(proxy.echo((1, 2.5, "x"))), attempt(proxy.error),
            attempt(proxy.error_with_text), list(proxy.generator()), proxy.oneway_echo("gone"),
            repr(proxy.nan()), repr(proxy.inf()), proxy.verbose]


SCENARIOS = {name[len("scenario_"):]: function for name, function in globals().items() if name.startswith("scenario_")}


def configure(options):
    Pyro4.config.SERIALIZER = options["serializer"]
    Pyro4.config.COMMTIMEOUT = 10.0  # nothing may hang a test for long
    if options.get("ssl"):
        certs = options["ssl"]
        Pyro4.config.SSL = True
        Pyro4.config.SSL_CACERTS = certs["ca_cert"]
        Pyro4.config.SSL_CLIENTCERT = certs["client_cert"]
        Pyro4.config.SSL_CLIENTKEY = certs["client_key"]


def main():
    options = json.loads(sys.argv[1])
    configure(options)
    uri = Pyro4.URI(options["uri"])
    LOCATION.extend([uri.location, str((uri.host, uri.port))] if uri.host else [uri.sockname])
    results = {}
    for name in options["scenarios"]:
        with Pyro4.Proxy(options["uri"]) as proxy:
            if options.get("hmac"):
                proxy._pyroHmacKey = options["hmac"].encode()
            results[name] = attempt(SCENARIOS[name], proxy, options)
    print(json.dumps(results, default=repr))


if __name__ == "__main__":
    main()
