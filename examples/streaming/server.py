"""A pretend sensor whose readings are returned as generators, so they are streamed item by item."""

import itertools
import math

import Pyro4

# the server decides whether iterators are streamed; this is the default, set here to be explicit
Pyro4.config.ITER_STREAMING = True


def _sample(number):
    return round(20.0 + 5.0 * math.sin(number / 3.0), 2)


@Pyro4.expose
class Sensor(object):
    def readings(self, count):
        """A finite generator: the client receives `count` samples, one call per sample."""
        for number in range(count):
            yield number, _sample(number)

    def live(self):
        """An endless generator: it is up to the client to stop."""
        return ((number, _sample(number)) for number in itertools.count())

    def flaky(self, fail_after):
        """Fails halfway; the exception reaches the client at the item where it happens."""
        for number in range(fail_after):
            yield number, _sample(number)
        raise IOError("sensor cable unplugged after %d samples" % fail_after)

    def as_list(self, count):
        """A list is no iterator: it is sent in one message, as usual."""
        return list(self.readings(count))


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Sensor, "example.streaming.sensor")
        print("sensor ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
