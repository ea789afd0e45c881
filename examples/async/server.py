"""A calculator whose methods take their time, so that waiting for them is worth avoiding."""

import time

import Pyro4


@Pyro4.expose
class SlowCalculator(object):
    def divide(self, a, b, seconds):
        time.sleep(seconds)
        return a / b  # b == 0 raises ZeroDivisionError, which travels back to the client

    def add(self, a, b, seconds):
        time.sleep(seconds)
        return a + b


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(SlowCalculator, "example.async.calculator")
        print("calculator ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
