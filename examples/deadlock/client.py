"""Rings the doorbell twice: once unable to answer the callback, once with a thread that answers it."""

import argparse
import threading

import Pyro4


@Pyro4.expose
class Visitor(object):
    def who_is_there(self):
        return "it's me, the client"


def ring_without_serving(doorbell, visitor, timeout):
    print("ringing while nobody serves our daemon (this takes %s seconds)..." % timeout)
    print("  ", doorbell.ring(visitor, timeout))


def ring_while_serving(doorbell, daemon, visitor, timeout):
    print("ringing while a background thread serves our daemon...")
    thread = threading.Thread(target=daemon.requestLoop, daemon=True)
    thread.start()
    try:
        print("  ", doorbell.ring(visitor, timeout))
    finally:
        daemon.shutdown()
        thread.join(5)


def main():
    parser = argparse.ArgumentParser(description="callback deadlock and its cure")
    parser.add_argument("uri", nargs="?", help="uri of the doorbell (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="short timeout, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the doorbell: ").strip()
    timeout = 1.0 if options.demo else 5.0
    with Pyro4.Daemon() as daemon, Pyro4.Proxy(uri) as doorbell:
        visitor = Visitor()
        daemon.register(visitor)
        ring_without_serving(doorbell, visitor, timeout)
        ring_while_serving(doorbell, daemon, visitor, timeout)
    print("done")


if __name__ == "__main__":
    main()
