"""A warehouse where visitors store and collect things; registered in the name server."""

import collections
import threading

import Pyro4

NAME = "example.warehouse"


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")  # one warehouse for everybody, so calls need the lock
class Warehouse(object):
    def __init__(self):
        self._shelves = collections.Counter({"umbrella": 2, "ladder": 1, "toolbox": 1})
        self._log = []
        self._lock = threading.Lock()

    def contents(self):
        with self._lock:
            return dict(self._shelves)

    def store(self, visitor, item):
        with self._lock:
            self._shelves[item] += 1
            self._log.append("%s stored a %s" % (visitor, item))

    def collect(self, visitor, item):
        with self._lock:
            self._take_from_shelf(item)
            self._log.append("%s collected a %s" % (visitor, item))

    def history(self):
        with self._lock:
            return list(self._log)

    def _take_from_shelf(self, item):
        # private (leading underscore): not callable remotely, but its frames show in remote tracebacks
        if self._shelves[item] == 0:
            raise LookupError("there is no %s in the warehouse" % item)
        self._shelves[item] -= 1
        if self._shelves[item] == 0:
            del self._shelves[item]


def main():
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        uri = daemon.register(Warehouse, NAME)
        ns.register(NAME, uri)
        try:
            print("warehouse open as %s, uri: %s" % (NAME, uri), flush=True)
            daemon.requestLoop()
        finally:
            ns.remove(NAME)


if __name__ == "__main__":
    main()
