"""Keeps calling a server and reconnects when it has been restarted."""

import argparse
import time

import Pyro4

OBJECT_ID = "example.autoreconnect.clock"


def call_with_reconnect(clock):
    try:
        return clock.tick()
    except Pyro4.errors.CommunicationError as exc:
        print("lost the server (%s: %s), reconnecting..." % (type(exc).__name__, exc))
        # gives up with ConnectionClosedError after 15 tries, half a minute
        clock._pyroReconnect(tries=15)
        print("reconnected")
        return clock.tick()


def main():
    parser = argparse.ArgumentParser(description="a client that survives server restarts")
    parser.add_argument("--port", type=int, default=9192, help="the server's port")
    parser.add_argument("--demo", action="store_true", help="8 quick calls instead of 30 slow ones")
    options = parser.parse_args()
    calls, pause = (8, 0.1) if options.demo else (30, 1.0)
    uri = "PYRO:%s@%s:%d" % (OBJECT_ID, Pyro4.config.HOST, options.port)
    with Pyro4.Proxy(uri) as clock:
        for _ in range(calls):
            print(call_with_reconnect(clock))
            time.sleep(pause)
    print("done")


if __name__ == "__main__":
    main()
