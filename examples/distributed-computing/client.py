"""Submits numbers to the dispatcher and prints their factors as the workers report them."""

import argparse
import collections
import random
import time

import Pyro4

DEMO_NUMBERS = [600851475143, 2 ** 31 - 1, 1000000007, 123456789012, 2 ** 40 + 1, 999999000001,
                87178291200, 53, 1234567890987, 4294967297, 18446688733643, 77777777777]


def gather(dispatcher, batch, count, deadline):
    per_worker = collections.Counter()
    results = []
    while len(results) < count and time.time() < deadline:
        for number, factors, worker in dispatcher.collect(batch, 1.0):
            results.append((number, factors))
            per_worker[worker] += 1
    return sorted(results), per_worker


def main():
    parser = argparse.ArgumentParser(description="distributed factorization")
    parser.add_argument("--demo", action="store_true", help="a fixed list of numbers, no questions")
    options = parser.parse_args()
    if options.demo:
        numbers = DEMO_NUMBERS
    else:
        numbers = [random.randint(10 ** 9, 10 ** 13) for _ in range(int(input("how many numbers? ")))]
    with Pyro4.Proxy("PYRONAME:example.distributed.dispatcher") as dispatcher:
        batch = dispatcher.submit(numbers)
        print("submitted %d numbers as batch %d; waiting for the workers..." % (len(numbers), batch))
        results, per_worker = gather(dispatcher, batch, len(numbers), time.time() + 60)
        dispatcher.forget(batch)
    for number, factors in results:
        print("%d = %s" % (number, " * ".join(str(factor) for factor in factors)))
    for worker, count in sorted(per_worker.items()):
        print("%s did %d" % (worker, count))
    print("got %d of %d results" % (len(results), len(numbers)))


if __name__ == "__main__":
    main()
