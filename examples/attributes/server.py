"""A thermostat with a mix of exposed and unexposed members."""

import Pyro4


class Thermostat(object):
    def __init__(self):
        self.serial_number = "TH-0042"  # a plain attribute: never visible remotely
        self._target = 20.0
        self._history = [20.0]

    @Pyro4.expose
    @property
    def target(self):
        return self._target

    @Pyro4.expose
    @target.setter
    def target(self, degrees):
        # a setter runs on the server, so it can guard the object's state
        if not 5 <= degrees <= 30:
            raise ValueError("target must be between 5 and 30 degrees, not %s" % degrees)
        self._target = degrees
        self._history.append(degrees)

    @Pyro4.expose
    @property
    def history(self):
        return self._history

    @Pyro4.expose
    def warmer(self, step=1.0):
        self.target = self._target + step
        return self._target

    def calibrate(self):
        """Not exposed: only code in the server process may call this."""
        self._target = 20.0

    def _reset(self):
        self._history = []


def main():
    with Pyro4.Daemon() as daemon:
        # one shared instance, so that the changes of one connection are seen by the next
        uri = daemon.register(Thermostat(), "example.attributes.thermostat")
        print("thermostat ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
