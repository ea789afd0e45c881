"""The benchmark's server: methods that do as little as possible."""

import Pyro4


@Pyro4.expose
class Bench(object):
    def nothing(self):
        pass

    def mirror(self, data):
        return data

    def measure(self, blob):
        return len(blob)

    @Pyro4.oneway
    def drop(self, data):
        pass


def accepted_serializers():
    names = {"serpent", "json", "marshal"}
    try:
        import msgpack  # noqa: F401  (only accepted when the module is there to decode it)
        names.add("msgpack")
    except ImportError:
        pass
    return names


def main():
    Pyro4.config.SERIALIZERS_ACCEPTED = accepted_serializers()
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Bench, "example.benchmark")
        print("benchmark server ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
