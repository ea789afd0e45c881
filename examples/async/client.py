"""Calls a slow calculator asynchronously and shows what can be done with the futures it gets back."""

import argparse
import time

import Pyro4


def do_other_work_meanwhile(proxy, delay):
    print("asking for 22 / 7; the server takes %.1f seconds" % delay)
    result = proxy.divide(22, 7, delay)
    print("the call returned at once, with a", type(result).__name__)
    checks = 0
    # wait() with a timeout keeps this loop bounded even if the server never answers
    while not result.wait(delay / 4) and checks < 20:
        checks += 1
        print("  still busy... doing something else meanwhile (%d)" % checks)
    print("result ready:", result.ready, "- value: %.4f" % result.value)


def chain_steps(proxy, delay):
    print("adding 40 + 2, then doubling the sum and making it text, all without waiting")
    result = proxy.add(40, 2, delay).then(lambda total: total * 2).then(lambda doubled: "answer=%d" % doubled)
    print("chained value:", result.value)


def remote_error(proxy, delay):
    print("dividing by zero asynchronously")
    result = proxy.divide(1, 0, delay)
    result.iferror(lambda exc: print("  iferror handler was told:", type(exc).__name__))
    try:
        print(result.value)
    except ZeroDivisionError as exc:
        print("reading .value raised", type(exc).__name__ + ":", exc)


def in_parallel(proxy, delay):
    count = 4
    print("starting %d calls of %.1f seconds each" % (count, delay))
    started = time.time()
    results = [proxy.add(number, number, delay) for number in range(count)]
    values = [result.value for result in results]
    print("values:", values, "- all of them took %.1f seconds together" % (time.time() - started))


def back_to_normal(proxy, delay):
    Pyro4.asyncproxy(proxy, asynchronous=False)
    print("normal call again, this one blocks: 3 + 4 =", proxy.add(3, 4, delay))


def main():
    parser = argparse.ArgumentParser(description="asynchronous Pyro calls")
    parser.add_argument("uri", nargs="?", help="uri of the calculator (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="short delays, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the calculator: ").strip()
    delay = 0.5 if options.demo else 2.0
    with Pyro4.Proxy(uri) as proxy:
        Pyro4.asyncproxy(proxy)
        do_other_work_meanwhile(proxy, delay)
        chain_steps(proxy, delay)
        remote_error(proxy, delay)
        in_parallel(proxy, delay)
        back_to_normal(proxy, delay)
    print("done")


if __name__ == "__main__":
    main()
