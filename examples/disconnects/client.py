"""Calls a server that drops idle connections, in three ways that cope with it."""

import argparse
import time

import Pyro4


def reconnect_by_hand(uri, idle):
    with Pyro4.Proxy(uri) as greeter:
        print(greeter.greet("first"))
        time.sleep(idle)
        try:
            print(greeter.greet("second"))
        except Pyro4.errors.ConnectionClosedError as exc:
            print("the server hung up:", exc)
            greeter._pyroReconnect(tries=3)
            print("after reconnecting:", greeter.greet("second"))


def automatic_retry(uri, idle):
    with Pyro4.Proxy(uri) as greeter:
        greeter._pyroMaxRetries = 1
        print(greeter.greet("third"))
        time.sleep(idle)
        print("retried by the proxy itself:", greeter.greet("fourth"))


def release_while_idle(uri, idle):
    with Pyro4.Proxy(uri) as greeter:
        print(greeter.greet("fifth"))
        greeter._pyroRelease()
        time.sleep(idle)
        print("connected again on demand:", greeter.greet("sixth"))


def main():
    parser = argparse.ArgumentParser(description="living with servers that drop idle connections")
    parser.add_argument("uri", nargs="?", help="uri of the greeter (asked for when left out)")
    parser.add_argument("--idle", type=float, default=4.0, help="seconds to stay silent between calls")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the greeter: ").strip()
    for way in (reconnect_by_hand, automatic_retry, release_while_idle):
        print("---", way.__name__.replace("_", " "))
        way(uri, options.idle)
    print("done")


if __name__ == "__main__":
    main()
