"""Benchmark client: measures the rows of one workload group against a server started by server.py.

    python client.py GROUP URI SECONDS ROW_NAMES_JSON

Written against the API that our Pyro4 and real Pyro4 4.82 share. Prints one JSON line: the Pyro4
this python imported, and the figure of every requested row (units as in workloads.py).
"""
import json
import multiprocessing
import sys
import time

import message_micro
import server
import timing
import workloads

import Pyro4

_SMALL_ARGS = (42, "a short string", [1, 2, 3])
_MIB = 1024.0 * 1024.0


def _proxy(uri, serializer="serpent"):
    Pyro4.config.SERIALIZER = serializer  # read by the proxy at every call: set it before each workload
    proxy = Pyro4.Proxy(uri)
    proxy._pyroBind()
    return proxy


def _sync_call(uri, row, seconds):
    serializer = row.split()[-1]
    with _proxy(uri, serializer) as proxy:
        return timing.seconds_per_op(lambda: proxy.small(*_SMALL_ARGS), seconds) * 1e6


def _oneway(uri, row, seconds):
    with _proxy(uri) as proxy:
        if row.endswith("burst"):
            per_call = timing.seconds_per_op(lambda: proxy.oneway(1), seconds)
            proxy.small(*_SMALL_ARGS)  # the server has taken every oneway message off the wire
            return 1.0 / per_call

        def pair():
            proxy.oneway(1)
            proxy.small(*_SMALL_ARGS)
        return 1.0 / timing.seconds_per_op(pair, seconds)


def _batch(uri, row, seconds):
    with _proxy(uri) as proxy:
        def one_batch():
            batch = Pyro4.batch(proxy)
            for number in range(workloads.BATCH_SIZE):
                batch.small(number, "x", None)
            for _ in batch():
                pass
        return workloads.BATCH_SIZE / timing.seconds_per_op(one_batch, seconds)


def _connect_call_release(uri, row, seconds):
    Pyro4.config.SERIALIZER = "serpent"

    def once():
        with Pyro4.Proxy(uri) as proxy:
            proxy.small(*_SMALL_ARGS)
    return timing.seconds_per_op(once, seconds) * 1e6


def _echo(uri, row, seconds):
    data = b"\x01" * workloads.echo_size(row)
    with _proxy(uri, row.split()[-1]) as proxy:
        return len(data) / _MIB / timing.seconds_per_op(lambda: proxy.echo(data), seconds)


def _parallel_client(uri, seconds, barrier, results):
    proxy = _proxy(uri)
    barrier.wait()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        proxy.small(*_SMALL_ARGS)
        count += 1
    results.put(count / (time.perf_counter() - start))
    proxy._pyroRelease()


def _parallel(uri, row, seconds):
    """Aggregate calls per second of N client processes calling at the same time."""
    count = workloads.parallel_clients(row)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(count)
    results = context.Queue()
    children = [context.Process(target=_parallel_client, args=(uri, seconds, barrier, results))
                for _ in range(count)]
    for child in children:
        child.start()
    rates = [results.get(timeout=60 + 2 * seconds) for _ in children]
    for child in children:
        child.join(30)
    return sum(rates)


def _ns_lookup(uri, row, seconds):
    host_port = uri.split("@", 1)[1]
    with Pyro4.Proxy(uri) as ns:
        ns.register("bench.obj", "PYRO:bench@127.0.0.1:1", safe=False)
        if row == "W7 ns lookup":
            return timing.seconds_per_op(lambda: ns.lookup("bench.obj"), seconds) * 1e6
    name = "PYRONAME:bench.obj@" + host_port
    return timing.seconds_per_op(lambda: Pyro4.resolve(name), seconds) * 1e6


_MEASURE = {"W1": _sync_call, "W2": _oneway, "W3": _batch, "W4": _connect_call_release, "W5": _echo,
            "W6": _parallel, "W7": _ns_lookup}


def main(group, uri, seconds, rows):
    if group == "W8":
        figures = message_micro.measure(rows, seconds)
    else:
        measure = _MEASURE[group.split("-")[0]]
        figures = dict((row, measure(uri, row, seconds)) for row in rows)
    sys.stdout.write(json.dumps({"identity": server.identity(), "figures": figures}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4]))
