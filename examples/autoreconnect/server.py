"""A server that is stopped and started again; its uri stays the same because the id and port do."""

import argparse
import subprocess
import sys
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


def serve(port, run, max_calls=None, max_seconds=None):
    """Serves until ctrl-C, or until max_calls calls have been served or max_seconds have passed."""
    clock = Clock(run)
    deadline = time.monotonic() + max_seconds if max_seconds else None

    def keep_going():
        return (max_calls is None or clock.calls < max_calls) and (deadline is None or time.monotonic() < deadline)

    with Pyro4.Daemon(port=port) as daemon:
        uri = daemon.register(clock, OBJECT_ID)
        print("server run %d ready, uri: %s" % (run, uri), flush=True)
        daemon.requestLoop(keep_going)
    print("server run %d stopped" % run, flush=True)


def restart_once(port):
    """The first run is a process of its own that quits after 3 calls: a real stop, then a new start."""
    first_run = [sys.executable, __file__, "--port", str(port), "--run", "1", "--max-calls", "3", "--max-seconds", "30"]
    subprocess.run(first_run, timeout=60)
    time.sleep(0.5)  # down for a moment: the client notices and starts reconnecting
    serve(port, 2)


def main():
    parser = argparse.ArgumentParser(description="a server that can be restarted")
    parser.add_argument("--port", type=int, default=9192, help="fixed port to listen on")
    parser.add_argument("--run", type=int, default=1, help="number shown in the replies")
    parser.add_argument("--max-calls", type=int, help="stop after serving this many calls")
    parser.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--demo", action="store_true", help="stop once after 3 calls, then start again")
    options = parser.parse_args()
    # check the stop conditions often, so that a stop happens right after the last call
    Pyro4.config.POLLTIMEOUT = 0.1
    if options.demo:
        restart_once(options.port)
    else:
        serve(options.port, options.run, options.max_calls, options.max_seconds)


if __name__ == "__main__":
    main()
