"""Hands out scratch files per client connection and lets Pyro close the ones that clients forget."""

import tempfile
import threading

import Pyro4


class OpenFiles(object):
    """Every scratch file this server opened, so the monitor can count the ones still open."""

    def __init__(self):
        self._files = []
        self._lock = threading.Lock()

    def add(self, file):
        with self._lock:
            self._files = [f for f in self._files if not f.closed] + [file]

    def count(self):
        with self._lock:
            return sum(1 for f in self._files if not f.closed)


OPEN_FILES = OpenFiles()


@Pyro4.expose
@Pyro4.behavior(instance_mode="session")
class Scratchpad(object):
    """One per client connection; its file is tracked as a resource of that connection."""

    def __init__(self):
        self._file = None

    def open(self):
        if self._file is None or self._file.closed:
            self._file = tempfile.TemporaryFile(mode="w+")  # deleted by the OS as soon as it is closed
            OPEN_FILES.add(self._file)
            # closed by Pyro when this client's connection ends, if the client doesn't close it first
            Pyro4.current_context.track_resource(self._file)

    def write(self, text):
        self._file.write(text)

    def read(self):
        self._file.seek(0)
        return self._file.read()

    def close(self):
        Pyro4.current_context.untrack_resource(self._file)
        self._file.close()


@Pyro4.expose
class Monitor(object):
    def open_files(self):
        return OPEN_FILES.count()


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Scratchpad, "example.resources.scratchpad")
        monitor_uri = daemon.register(Monitor, "example.resources.monitor")
        print("monitor uri:", monitor_uri)
        print("scratchpad ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
