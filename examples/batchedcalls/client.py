"""Compares single calls with batched ones, and shows how batches treat errors."""

import argparse
import time

import Pyro4


def single_against_batched(tally, count):
    tally.reset()
    started = time.time()
    for number in range(count):
        tally.add(number)
    single = time.time() - started
    print("%d single calls: %.3f seconds, total %d" % (count, single, tally.current()))
    tally.reset()
    batch = Pyro4.batch(tally)
    started = time.time()
    for number in range(count):
        batch.add(number)
    results = list(batch())
    batched = time.time() - started
    print("the same calls in one batch: %.3f seconds, last result %d" % (batched, results[-1]))


def stop_at_first_error(tally):
    tally.reset()
    batch = Pyro4.batch(tally)
    for number in (3, 2, -1, 5):
        batch.check_positive(number)
        batch.add(number)
    results = batch()
    try:
        for result in results:
            print("batch result:", result)
    except ValueError as exc:
        print("the batch stopped at:", exc)
    print("the calls after the error did not run: total is", tally.current())


def oneway_batch(tally):
    tally.reset()
    batch = Pyro4.batch(tally)
    for number in range(10):
        batch.add(number)
    print("oneway batch returned", batch(oneway=True))
    print("total after the oneway batch:", tally.current())  # this call waits behind the batch


def asynchronous_batch(tally):
    tally.reset()
    batch = Pyro4.batch(tally)
    batch.add(100)
    batch.add(200)
    batch.current()
    future = batch(asynchronous=True)
    print("asynchronous batch gave a", type(future).__name__)
    print("its results:", list(future.value))


def main():
    parser = argparse.ArgumentParser(description="batched calls")
    parser.add_argument("uri", nargs="?", help="uri of the tally (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="fewer calls, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the tally: ").strip()
    with Pyro4.Proxy(uri) as tally:
        single_against_batched(tally, 300 if options.demo else 5000)
        stop_at_first_error(tally)
        oneway_batch(tally)
        asynchronous_batch(tally)
    print("done")


if __name__ == "__main__":
    main()
