"""A tally keeper whose methods are cheap, so that the network round trips dominate."""

import Pyro4


@Pyro4.expose
class Tally(object):
    def __init__(self):
        self.total = 0

    def add(self, number):
        self.total += number
        return self.total

    def check_positive(self, number):
        if number <= 0:
            raise ValueError("not positive: %r" % number)
        return number

    def reset(self):
        self.total = 0

    def current(self):
        return self.total


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Tally, "example.batchedcalls.tally")
        print("tally ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
