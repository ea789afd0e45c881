"""A server that is stopped and started again; its uri stays the same because the id and port do."""

import argparse
import time

import Pyro4

OBJECT_ID = "example.autoreconnect.clock"


@Pyro4.expose
class Clock(object):
    def __init__(self, run):
        self.run = run
        self.calls = 0

    def tick(self):
        self.calls += 1
        return "server run %d, call %d" % (self.run, self.calls)


def serve(port, run, max_calls=None):
    """Serves until ctrl-C, or until max_calls calls have been served (the simulated crash)."""
    clock = Clock(run)
    with Pyro4.Daemon(port=port) as daemon:
        uri = daemon.register(clock, OBJECT_ID)
        print("server run %d ready, uri: %s" % (run, uri), flush=True)
        if max_calls is None:
            daemon.requestLoop()
        else:
            daemon.requestLoop(lambda: clock.calls < max_calls)
    print("server run %d stopped" % run, flush=True)


def main():
    parser = argparse.ArgumentParser(description="a server that can be restarted")
    parser.add_argument("--port", type=int, default=9192, help="fixed port to listen on")
    parser.add_argument("--demo", action="store_true", help="go down once after 3 calls, then come back")
    options = parser.parse_args()
    if options.demo:
        # check the loop condition often, so the simulated crash happens right after the third call
        Pyro4.config.POLLTIMEOUT = 0.1
        serve(options.port, 1, max_calls=3)
        time.sleep(0.5)  # the client notices the server is gone and starts reconnecting
    serve(options.port, 2 if options.demo else 1)


if __name__ == "__main__":
    main()
