"""Times a fixed number of calls of each kind and prints calls per second."""

import argparse
import copy
import time

import Pyro4

SMALL = {"name": "benchmark", "values": [1, 2, 3], "ratio": 0.5}
BLOB = b"x" * 100000


def report(what, count, seconds):
    rate = count / seconds if seconds > 0 else float("inf")
    print("%-34s %8.0f calls/s" % (what, rate))


def timed(what, count, call):
    started = time.perf_counter()
    for _ in range(count):
        call()
    report(what, count, time.perf_counter() - started)


def batched(bench, count):
    batch = Pyro4.batch(bench)
    started = time.perf_counter()
    for _ in range(count):
        batch.mirror(SMALL)
    for _ in batch():
        pass
    report("batched mirror(small dict)", count, time.perf_counter() - started)


def per_serializer(bench, count):
    for name in ("serpent", "json", "marshal", "msgpack"):
        with copy.copy(bench) as proxy:
            proxy._pyroSerializer = name
            try:
                proxy._pyroBind()
                timed("mirror(small dict) with " + name, count, lambda: proxy.mirror(SMALL))
            except Pyro4.errors.CommunicationError as exc:  # not installed here, or refused there
                print("%-34s not available: %s" % (name, exc))


def main():
    parser = argparse.ArgumentParser(description="Pyro call rates")
    parser.add_argument("uri", nargs="?", help="uri of the benchmark server (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="200 calls per measurement")
    options = parser.parse_args()
    uri = options.uri or input("uri of the benchmark server: ").strip()
    count = 200 if options.demo else 5000
    with Pyro4.Proxy(uri) as bench:
        bench._pyroBind()  # connect first, so the connection set-up is not timed
        timed("nothing()", count, bench.nothing)
        timed("mirror(small dict)", count, lambda: bench.mirror(SMALL))
        timed("measure(100 KB)", count // 10, lambda: bench.measure(BLOB))
        timed("oneway drop(small dict)", count, lambda: bench.drop(SMALL))
        batched(bench, count)
        per_serializer(bench, count)
    print("done")


if __name__ == "__main__":
    main()
