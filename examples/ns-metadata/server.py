"""Registers a few printers in the name server, each tagged with metadata that describes it."""

import Pyro4
import Pyro4.naming

PREFIX = "example.printers."
PRINTERS = {
    "lobby": {"printer", "available", "floor:0", "paper:a4"},
    "design": {"printer", "available", "floor:2", "paper:a3", "color"},
    "office": {"printer", "available", "floor:2", "paper:a4", "color", "duplex"},
    "archive": {"printer", "available", "floor:-1", "paper:a4", "duplex"},
}


@Pyro4.expose
class Printer(object):
    def __init__(self, name, tags):
        self.name = name
        self.tags = set(tags)

    def print_page(self, text):
        return "%s printed %r" % (self.name, text)

    def jam(self):
        """Paper jam: the printer takes itself off the list of available ones, via its metadata."""
        self.tags.discard("available")
        with Pyro4.locateNS() as ns:
            ns.set_metadata(PREFIX + self.name, self.tags)


def register_all(daemon, ns):
    for name, tags in sorted(PRINTERS.items()):
        uri = daemon.register(Printer(name, tags), PREFIX + name)
        ns.register(PREFIX + name, uri, metadata=tags)
        print("registered %s with tags %s" % (PREFIX + name, ", ".join(sorted(tags))))


def main():
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        register_all(daemon, ns)
        try:
            print("printers ready", flush=True)
            daemon.requestLoop()
        finally:
            ns.remove(prefix=PREFIX)


if __name__ == "__main__":
    main()
