"""A factory that hands out counters living in this server."""

import Pyro4


@Pyro4.expose
class Counter(object):
    def __init__(self, label):
        self.label = label
        self.count = 0

    def increment(self, amount=1):
        self.count += amount
        return self.count

    def describe(self):
        return "counter %r at %d" % (self.label, self.count)


@Pyro4.expose
class CounterFactory(object):
    def __init__(self):
        self.counters = {}

    def create(self, label):
        counter = Counter(label)
        # registering is what makes the return value travel as a proxy
        uri = self._pyroDaemon.register(counter)
        self.counters[uri.object] = counter
        return counter

    def totals(self):
        return {counter.label: counter.count for counter in self.counters.values()}

    def discard(self, counter_proxy):
        # the client sent a proxy; its uri names the real object in this daemon
        object_id = counter_proxy._pyroUri.object
        counter = self.counters.pop(object_id)
        self._pyroDaemon.unregister(counter)
        return "discarded " + counter.label


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(CounterFactory(), "example.autoproxy.factory")
        print("counter factory ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
