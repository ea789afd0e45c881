"""Shows what Pyro4.Future can do, with local functions and with a remote call."""

import argparse
import time

import Pyro4


def slow_multiply(a, b, seconds):
    time.sleep(seconds)
    return a * b


def call_and_wait(pause):
    result = Pyro4.Future(slow_multiply)(6, 7, pause)
    print("right after the call, ready =", result.ready)
    print("value:", result.value, "- ready =", result.ready)


def chain(pause):
    future = Pyro4.Future(slow_multiply).then(lambda product, extra: product + extra, 8).then("result %d".__mod__)
    print("chained:", future(6, 7, pause).value)


def failing_chain(pause):
    future = Pyro4.Future(slow_multiply).then(lambda product: product / 0)
    future.iferror(lambda exc: print("iferror handler got", type(exc).__name__))
    result = future(2, 3, pause)
    try:
        result.value
    except ZeroDivisionError as exc:
        print("value raised", type(exc).__name__ + ":", exc)


def delayed(pause):
    future = Pyro4.Future(time.time)
    future.delay(pause)
    started = time.time()
    result = future()
    print("the delayed call started after %.1f seconds" % (result.value - started))


def cancelled(pause):
    future = Pyro4.Future(print)
    future.delay(pause)
    result = future("this is never printed")
    print("cancel() ->", future.cancel())
    try:
        result.value
    except RuntimeError as exc:
        print("value raised RuntimeError:", exc)
    try:
        future()
    except RuntimeError as exc:
        print("calling it again raised RuntimeError:", exc)


def remote_call(uri, pause):
    with Pyro4.Proxy(uri) as weather:
        result = Pyro4.Future(weather.forecast).then(str.upper)("Lisbon", pause)
        waited = 0
        while not result.wait(pause / 5) and waited < 50:
            waited += 1  # the main thread is free meanwhile
        print("forecast for Lisbon: %s (the main thread looked %d times meanwhile)" % (result.value, waited))


def main():
    parser = argparse.ArgumentParser(description="Pyro4.Future")
    parser.add_argument("uri", nargs="?", help="uri of the weather service (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="short delays, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the weather service: ").strip()
    pause = 0.5 if options.demo else 2.0
    for show in (call_and_wait, chain, failing_chain, delayed, cancelled):
        print("---", show.__name__.replace("_", " "))
        show(pause)
    print("--- remote call")
    remote_call(uri, pause)
    print("done")


if __name__ == "__main__":
    main()
