"""A tidy client that closes its scratch file and a careless one that just disconnects."""

import argparse
import time

import Pyro4

MONITOR_ID = "example.resources.monitor"
POLLS = 100


def tidy(uri, monitor):
    with Pyro4.Proxy(uri) as pad:
        pad.open()
        pad.write("written by the tidy client")
        print("tidy client read back: %r" % pad.read())
        pad.close()
        print("tidy client closed its file; open files on the server:", monitor.open_files())


def careless(uri, monitor):
    pad = Pyro4.Proxy(uri)
    pad.open()
    pad.write("written by the careless client")
    print("careless client leaves its file open; open files on the server:", monitor.open_files())
    pad._pyroRelease()  # gone, without a word to the server
    print("careless client disconnected")


def wait_for_cleanup(monitor, interval):
    # the server notices the closed connection on its own time, so look a few times
    for _ in range(POLLS):
        still_open = monitor.open_files()
        if still_open == 0:
            break
        time.sleep(interval)
    print("open files on the server after the disconnect:", still_open)


def main():
    parser = argparse.ArgumentParser(description="resources tracked per client connection")
    parser.add_argument("uri", nargs="?", help="uri of the scratchpad (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = Pyro4.URI(options.uri or input("uri of the scratchpad: ").strip())
    monitor_uri = "PYRO:%s@%s" % (MONITOR_ID, uri.location)
    with Pyro4.Proxy(monitor_uri) as monitor:
        print("open files on the server at the start:", monitor.open_files())
        tidy(uri, monitor)
        careless(uri, monitor)
        wait_for_cleanup(monitor, 0.05)


if __name__ == "__main__":
    main()
