"""A note store that refuses messages over a size limit, set with Pyro4.config.MAX_MESSAGE_SIZE."""

import argparse

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class NoteStore(object):
    def __init__(self):
        self._notes = {}

    def store(self, name, text):
        self._notes[name] = text
        return len(text)

    def fetch(self, name):
        return self._notes[name]

    def padded(self, name, size):
        """The note padded with dots to `size` characters: a way to ask for a big reply."""
        return self._notes[name].ljust(size, ".")


def main():
    parser = argparse.ArgumentParser(description="note store with a message size limit")
    parser.add_argument("--limit", type=int, default=4096, help="max message size in bytes (default 4096)")
    options = parser.parse_args()
    # applies to every message this process sends or receives; 0 (the default) means no limit
    Pyro4.config.MAX_MESSAGE_SIZE = options.limit
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(NoteStore, "example.maxsize.notes")
        print("note store with a %d byte limit ready, uri: %s" % (options.limit, uri), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
