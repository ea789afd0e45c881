"""A server that hangs up on clients that stay silent for too long."""

import argparse

import Pyro4


@Pyro4.expose
class Greeter(object):
    def __init__(self):
        self.greetings = 0

    def greet(self, name):
        self.greetings += 1
        return "hello %s (greeting %d of this connection)" % (name, self.greetings)


def main():
    parser = argparse.ArgumentParser(description="a server that drops idle connections")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds of silence before hanging up")
    options = parser.parse_args()
    # read when a client connects: every accepted connection gets this socket timeout
    Pyro4.config.COMMTIMEOUT = options.timeout
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Greeter, "example.disconnects.greeter")
        print("greeter ready (drops connections idle for %s s), uri: %s" % (options.timeout, uri), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
