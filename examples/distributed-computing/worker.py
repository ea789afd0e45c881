"""A worker: takes numbers from the dispatcher, factorizes them and hands the factors back."""

import argparse
import os
import socket

import Pyro4


def smallest_factor(number, start):
    """The smallest divisor of number that is at least start (factors below start are gone already)."""
    candidate = start
    while candidate * candidate <= number:
        if number % candidate == 0:
            return candidate
        candidate += 1 if candidate == 2 else 2  # after 2, only odd candidates
    return number


def factorize(number):
    factors = []
    divisor = 2
    while number > 1:
        divisor = smallest_factor(number, divisor)
        factors.append(divisor)
        number //= divisor
    return factors


def main():
    parser = argparse.ArgumentParser(description="a worker that factorizes numbers")
    parser.add_argument("--max-items", type=int, default=100000, help="stop after this many numbers")
    options = parser.parse_args()
    name = "worker-%s-%d" % (socket.gethostname(), os.getpid())
    with Pyro4.Proxy("PYRONAME:example.distributed.dispatcher") as dispatcher:
        dispatcher._pyroBind()
        print("%s ready for work" % name, flush=True)
        done = 0
        while done < options.max_items:
            work = dispatcher.get_work(2.0)
            if work is None:
                continue  # nothing to do yet: ask again (ctrl-C stops the worker)
            batch, number = work
            dispatcher.put_result(batch, number, factorize(number), name)
            done += 1


if __name__ == "__main__":
    main()
