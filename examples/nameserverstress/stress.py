"""Hammers the name server from several threads at once and checks that every answer adds up."""

import argparse
import random
import threading
import time

import Pyro4
import Pyro4.errors

PREFIX = "example.stress."


class Tally(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.operations = 0
        self.problems = []

    def add(self, operations, problems):
        with self.lock:
            self.operations += operations
            self.problems.extend(problems)


class Worker(threading.Thread):
    """Works on names under a prefix of its own, so it knows exactly what the name server should hold."""

    def __init__(self, number, rounds, tally):
        super(Worker, self).__init__(name="stress-%d" % number)
        self.prefix = "%s%d." % (PREFIX, number)
        self.rounds = rounds
        self.tally = tally
        self.random = random.Random(number)  # reproducible mix of operations per worker
        self.expected = {}
        self.operations = 0
        self.problems = []

    def run(self):
        with Pyro4.locateNS() as ns:  # a proxy of its own: threads sharing one would take turns
            for round_number in range(self.rounds):
                self.one_round(ns, round_number)
            self.check(ns.list(prefix=self.prefix), "final listing")
            self.call(ns.remove, prefix=self.prefix)
        self.tally.add(self.operations, self.problems)

    def call(self, method, *args, **kwargs):
        self.operations += 1
        return method(*args, **kwargs)

    def check(self, actual, what):
        if actual != self.expected:
            problem = "%s %s: expected %d names, got %d" % (self.name, what, len(self.expected), len(actual))
            self.problems.append(problem)

    def one_round(self, ns, round_number):
        name = "%sobject%d" % (self.prefix, round_number)
        uri = "PYRO:obj_%d@localhost:%d" % (round_number, 50000 + round_number)
        self.call(ns.register, name, uri, metadata={"round:%d" % round_number, "stress"})
        self.expected[name] = uri
        if str(self.call(ns.lookup, name)) != uri:
            self.problems.append("%s: lookup of %s gave a different uri" % (self.name, name))
        self.call(ns.set_metadata, name, {"stress", "checked"})
        if self.random.random() < 0.3:
            victim = self.random.choice(sorted(self.expected))
            if self.call(ns.remove, victim) != 1:
                self.problems.append("%s: removing %s removed nothing" % (self.name, victim))
            del self.expected[victim]
        self.check(self.call(ns.list, prefix=self.prefix), "listing in round %d" % round_number)


def run(threads, rounds):
    tally = Tally()
    with Pyro4.locateNS() as ns:
        names_before = ns.count()
        workers = [Worker(number, rounds, tally) for number in range(threads)]
        started = time.time()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        duration = time.time() - started
        names_after = ns.count()
        tagged = len(ns.list(metadata_any={"stress"}))
    print("%d threads did %d name server operations in %.2f seconds" % (threads, tally.operations, duration))
    print("problems found: %d" % len(tally.problems))
    for problem in tally.problems[:10]:
        print("   ", problem)
    print(
        "registrations before: %d, after cleaning up: %d, stress-tagged names left: %d"
        % (names_before, names_after, tagged)
    )
    return not tally.problems and names_before == names_after and tagged == 0


def main():
    parser = argparse.ArgumentParser(description="name server stress test")
    parser.add_argument("--threads", type=int, default=8, help="number of threads (default 8)")
    parser.add_argument("--rounds", type=int, default=100, help="rounds per thread (default 100)")
    parser.add_argument("--demo", action="store_true", help="a small run: 4 threads of 25 rounds")
    options = parser.parse_args()
    threads, rounds = (4, 25) if options.demo else (options.threads, options.rounds)
    try:
        ok = run(threads, rounds)
    except Pyro4.errors.NamingError as exc:
        raise SystemExit("cannot reach a name server (start one with: python -m Pyro4.naming): %s" % exc) from None
    print("all consistent" if ok else "INCONSISTENT")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
