"""A countdown service that reports its progress to a listener living in the client."""

import time

import Pyro4


@Pyro4.expose
class Countdown(object):
    def start(self, seconds, step, listener):
        """Counts down, telling the listener about every step; returns when it is done."""
        remaining = seconds
        while remaining > 0:
            listener.tick(remaining)
            time.sleep(step)
            remaining = round(remaining - step, 3)
        listener.finished("countdown of %s seconds" % seconds)
        return self._check(listener)

    @staticmethod
    def _check(listener):
        try:
            listener.verify("lift-off")
        except ValueError as exc:
            print("the listener refused: %s" % exc, flush=True)
            return "listener refused 'lift-off': %s" % exc
        return "listener accepted 'lift-off'"


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Countdown, "example.callback.countdown")
        print("countdown ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
