"""Draws tickets from the dispenser through its unix domain socket."""

import argparse

import Pyro4


def main():
    parser = argparse.ArgumentParser(description="client of a daemon on a unix domain socket")
    parser.add_argument("uri", nargs="?", help="uri of the dispenser (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = Pyro4.URI(options.uri or input("uri of the ticket dispenser: ").strip())
    print("uri location: %s, socket file: %s" % (uri.location, uri.sockname))
    with Pyro4.Proxy(uri) as dispenser:
        tickets = [dispenser.next_ticket() for _ in range(3)]
        print("proxy:", dispenser)  # its repr names the connection's socket family
        print("daemon says it is bound on", dispenser.where())
    print("drew tickets", tickets)


if __name__ == "__main__":
    main()
