"""Starts a countdown on the server and listens to its callbacks."""

import argparse
import threading

import Pyro4


class Listener(object):
    @Pyro4.expose
    def tick(self, remaining):
        print("  callback: %s seconds to go" % remaining)

    @Pyro4.expose
    def finished(self, what):
        print("  callback: finished", what)

    @Pyro4.expose
    @Pyro4.callback
    def verify(self, word):
        # @callback: this error also surfaces in our own daemon (and its log), not only at the server
        raise ValueError("%r is not a word this listener accepts" % word)


def serve_in_background(daemon):
    thread = threading.Thread(target=daemon.requestLoop, name="listener daemon", daemon=True)
    thread.start()
    return thread


def main():
    parser = argparse.ArgumentParser(description="callbacks from server to client")
    parser.add_argument("uri", nargs="?", help="uri of the countdown server (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="count down quickly, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the countdown server: ").strip()
    seconds, step = (1.0, 0.25) if options.demo else (5.0, 1.0)
    with Pyro4.Daemon() as daemon:
        listener = Listener()
        print("listener registered as", daemon.register(listener))
        thread = serve_in_background(daemon)
        with Pyro4.Proxy(uri) as countdown:
            # the listener is registered, so it travels to the server as a proxy
            outcome = countdown.start(seconds, step, listener)
        print("the server said:", outcome)
        daemon.shutdown()
        thread.join(5)
    print("done")


if __name__ == "__main__":
    main()
