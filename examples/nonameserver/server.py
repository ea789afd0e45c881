"""A guestbook served on a fixed port under a fixed object id, so clients can find it without a name server."""

import argparse
import datetime

import Pyro4

OBJECT_ID = "example.guestbook"


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Guestbook(object):
    def __init__(self):
        self._entries = []

    def sign(self, name, message):
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        self._entries.append((stamp, name, message))
        return len(self._entries)

    def entries(self):
        return list(self._entries)


def main():
    parser = argparse.ArgumentParser(description="guestbook server without a name server")
    parser.add_argument("--port", type=int, default=9191, help="port to listen on (default 9191)")
    options = parser.parse_args()
    with Pyro4.Daemon(port=options.port) as daemon:
        # a fixed id (instead of a generated obj_<random>) is what makes the uri predictable
        uri = daemon.register(Guestbook, OBJECT_ID)
        print("guestbook ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
