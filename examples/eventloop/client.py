"""Talks to the event loop server: Pyro calls, a look at the status port, then stop."""

import argparse
import socket
import time

import Pyro4


def read_status_port(station_uri, port):
    host = Pyro4.URI(station_uri).host
    with socket.create_connection((host, port), timeout=5) as connection:
        return connection.makefile().readline().strip()


def main():
    parser = argparse.ArgumentParser(description="client of the event loop server")
    parser.add_argument("uri", nargs="?", help="uri of the station (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions, stop the server at the end")
    options = parser.parse_args()
    uri = options.uri or input("uri of the station: ").strip()
    with Pyro4.Proxy(uri) as station:
        for _ in range(3):
            print("ping ->", station.ping())
        time.sleep(1.2)  # the server's timer keeps running between our calls
        status = station.status()
        print("the timer ticked meanwhile:", status["ticks"] >= 2, "- calls so far:", status["calls"])
        print("the status port says:", read_status_port(uri, station.status_port))
        if options.demo or input("stop the server? (y/n) ").strip().lower() == "y":
            station.stop()
            print("asked the server to stop")
    print("done")


if __name__ == "__main__":
    main()
