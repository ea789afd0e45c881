"""Sends a group of simultaneous callers to each server and reports whether they could meet."""

import argparse
import threading

import Pyro4

GROUP_SIZE = 3
# a thread pool server lets the group meet as soon as everyone has connected, so the timeout is
# just a safety net; on a multiplex server the first caller holds the only thread, the others can
# never arrive, and every call waits its full timeout: keep that one short
MEETING_TIMEOUT = {"thread": 10.0, "multiplex": 0.5}


def send_group(uri, timeout):
    outcomes = []

    def caller():
        with Pyro4.Proxy(uri) as meeting_point:  # a proxy per thread, so the calls can overlap
            outcomes.append(meeting_point.meet(GROUP_SIZE, timeout))

    threads = [threading.Thread(target=caller) for _ in range(GROUP_SIZE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def try_server(uri):
    with Pyro4.Proxy(uri) as meeting_point:
        servertype = meeting_point.servertype()
        daemon_uri = "PYRO:%s@%s" % (Pyro4.constants.DAEMON_NAME, meeting_point._pyroUri.location)
    with Pyro4.Proxy(daemon_uri) as daemon:
        print("[%s] daemon info: %s" % (servertype, daemon.info()))
    outcomes = send_group(uri, MEETING_TIMEOUT[servertype])
    print("[%s] %d of %d callers met the others" % (servertype, outcomes.count(True), GROUP_SIZE))


def main():
    parser = argparse.ArgumentParser(description="thread pool versus multiplex server")
    parser.add_argument("uris", nargs="*", help="uris of the servers to try (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uris = options.uris or input("uris of the servers, separated by spaces: ").split()
    for uri in uris:
        try_server(uri)


if __name__ == "__main__":
    main()
