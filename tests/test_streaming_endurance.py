"""Remote iterators over the long run: thousands of items without memory growth, and a client that
vanishes mid-stream leaves no stream and no busy worker behind (the daemon's own counters say so)."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import pytest
from server_helpers import SERVERTYPES, serving

import Pyro4
from Pyro4.configuration import config

SERIALIZERS = ["serpent", "json", "marshal", "msgpack", "pickle"]
ITEMS = 4000
WAIT = 10.0


@Pyro4.expose
class Counter(object):
    def __init__(self):
        self.started = threading.Event()

    def count(self, limit):
        self.started.set()
        return ({"n": n, "text": "item %d" % n} for n in range(limit))

    def endless(self):
        self.started.set()
        number = 0
        while True:
            yield number
            number += 1


def _eventually(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(params=SERVERTYPES)
def counter_daemon(request):
    config.SERVERTYPE = request.param
    config.POLLTIMEOUT = 0.1
    config.SERIALIZERS_ACCEPTED = set(SERIALIZERS)
    daemon = Pyro4.Daemon(host="127.0.0.1")
    counter = Counter()
    uri = daemon.register(counter, "counter")
    with serving(daemon):
        yield daemon, counter, uri


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_thousands_of_items_in_constant_memory(counter_daemon, serializer):
    daemon, _, uri = counter_daemon
    with Pyro4.Proxy(uri) as proxy:
        proxy._pyroSerializer = serializer
        stream = proxy.count(ITEMS)
        tracemalloc.start()
        try:
            for expected in range(ITEMS // 4):
                assert next(stream)["n"] == expected
            gc.collect()  # serpent's parser leaves cyclic garbage behind: count only what stays alive
            after_first_quarter = tracemalloc.get_traced_memory()[0]
            received = ITEMS // 4 + sum(1 for _ in stream)
            gc.collect()
            at_the_end = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert received == ITEMS
        # client and daemon share this process: neither may keep what it streamed (the three
        # quarters after the first would be several hundred KiB if items were kept)
        assert at_the_end - after_first_quarter < 100 * 1024
        assert _eventually(lambda: not daemon.streaming_responses)


VANISHING_CLIENT = """
    import sys, time
    import Pyro4
    stream = Pyro4.Proxy(sys.argv[1]).endless()
    for _ in range(100):
        next(stream)
    print("streaming", flush=True)
    time.sleep(60)   # killed by the test long before this ends
"""


@pytest.mark.parametrize("linger", [0, 0.5])
def test_client_killed_mid_stream_leaves_nothing_behind(counter_daemon, linger):
    # a stream of a lost client lingers ITER_STREAM_LINGER seconds for a reconnect, then housekeeping drops it
    daemon, counter, uri = counter_daemon
    config.ITER_STREAM_LINGER = linger
    threads_before = threading.active_count()
    client = subprocess.Popen([sys.executable, "-c", textwrap.dedent(VANISHING_CLIENT), str(uri)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              env={k: v for k, v in os.environ.items() if not k.startswith("PYRO")})
    try:
        assert client.stdout.readline() == "streaming\n", client.stderr.read()
        assert len(daemon.streaming_responses) == 1
        os.kill(client.pid, signal.SIGKILL)
        client.wait(WAIT)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(WAIT)
        client.stdout.close()
        client.stderr.close()
    assert _eventually(lambda: not daemon.streaming_responses), daemon.streaming_responses
    # the worker that served the client is idle again (or gone): no thread stays on the dead stream
    assert _eventually(lambda: threading.active_count() <= threads_before + 1)
    with Pyro4.Proxy(uri) as proxy:
        assert sum(item["n"] for item in proxy.count(10)) == 45
