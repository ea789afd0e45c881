"""A Flame server: it exposes this whole Python process to its clients."""

import Pyro4
import Pyro4.utils.flame


def main():
    # both settings are needed: Flame refuses to start without them
    Pyro4.config.FLAME_ENABLED = True
    Pyro4.config.SERIALIZERS_ACCEPTED = {"pickle"}
    with Pyro4.Daemon() as daemon:
        uri = Pyro4.utils.flame.start(daemon)
        print("flame server ready, location: %s (uri %s)" % (uri.location, uri), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
