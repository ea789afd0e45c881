"""A ticket dispenser that listens on a unix domain socket inside a private temporary directory."""

import itertools
import os
import shutil
import signal
import stat
import tempfile
import threading

import Pyro4


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class TicketDispenser(object):
    def __init__(self):
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def next_ticket(self):
        with self._lock:
            return next(self._numbers)

    def where(self):
        return self._pyroDaemon.locationStr


def _stop_on_sigterm(signum, frame):
    # the request loop ends on KeyboardInterrupt, so the with-blocks below get to clean up
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    directory = tempfile.mkdtemp(prefix="pyro-unixsock-")
    try:
        path = os.path.join(directory, "tickets.sock")
        with Pyro4.Daemon(unixsocket=path) as daemon:
            uri = daemon.register(TicketDispenser, "example.tickets")
            print("socket directory mode: %o" % stat.S_IMODE(os.stat(directory).st_mode))
            print("ticket dispenser ready, uri:", uri, flush=True)
            daemon.requestLoop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print("socket and its directory removed")


if __name__ == "__main__":
    main()
