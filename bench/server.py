"""Benchmark server: one daemon (or a name server) on loopback, for whichever Pyro4 this python imports.

    python server.py thread|multiplex|ns

Written against the API that our Pyro4 and real Pyro4 4.82 share. Prints one JSON line (the Pyro4
it runs, and the URI to use), then serves until its stdin is closed: the driver ends it that way,
so no signal is needed and the daemon shuts down cleanly.
"""
import json
import sys
import threading

import Pyro4
import Pyro4.naming


@Pyro4.expose
class Bench(object):
    def small(self, number, text, values):
        return number

    @Pyro4.oneway
    def oneway(self, number):
        pass

    def echo(self, data):
        return data


def identity():
    """What the driver checks to make sure each process runs the implementation it asked for."""
    speedups = sys.modules.get("Pyro4._speedups")
    return {"file": Pyro4.__file__, "version": Pyro4.__version__,
            "twins": getattr(speedups, "ACTIVE", None)}


def _object_daemon(servertype):
    Pyro4.config.SERVERTYPE = servertype
    Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "pickle", "msgpack", "dill",
                                         "cloudpickle"}
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    return daemon, daemon.register(Bench(), "bench")


def _name_server():
    uri, daemon, _ = Pyro4.naming.startNS(host="127.0.0.1", port=0, enableBroadcast=False)
    return daemon, uri


def _shutdown_when_stdin_closes(daemon):
    sys.stdin.read()
    daemon.shutdown()


def main(kind):
    daemon, uri = _name_server() if kind == "ns" else _object_daemon(kind)
    sys.stdout.write(json.dumps({"identity": identity(), "uri": str(uri)}) + "\n")
    sys.stdout.flush()
    watcher = threading.Thread(target=_shutdown_when_stdin_closes, args=(daemon,))
    watcher.daemon = True
    watcher.start()
    try:
        daemon.requestLoop()
    finally:
        daemon.close()


if __name__ == "__main__":
    main(sys.argv[1])
