"""Calls the slow service with a timeout, then shows a connect that times out against a silent socket."""

import argparse
import socket

import Pyro4
import Pyro4.errors


def timed_call(snail, seconds):
    try:
        print("  crawl(%.1f): %s" % (seconds, snail.crawl(seconds)))
    except Pyro4.errors.TimeoutError as exc:
        print("  crawl(%.1f) timed out: %s" % (seconds, exc))


def call_timeouts(uri, timeout):
    with Pyro4.Proxy(uri) as snail:
        snail._pyroTimeout = timeout
        print("proxy timeout: %.1f s" % snail._pyroTimeout)
        timed_call(snail, 0.1)
        timed_call(snail, timeout * 2)
        print("  connected after the timeout:", snail._pyroConnection is not None)
        timed_call(snail, 0.1)  # reconnects by itself


def connect_timeout(timeout):
    # listens, so the TCP connect succeeds, but never says a word, so the Pyro handshake can't complete
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        uri = "PYRO:nobody@127.0.0.1:%d" % silent.getsockname()[1]
        Pyro4.config.COMMTIMEOUT = timeout  # the default for proxies made from now on
        with Pyro4.Proxy(uri) as proxy:
            try:
                proxy._pyroBind()
            except Pyro4.errors.TimeoutError as exc:
                print("connecting to a silent server timed out: %s" % exc)


def main():
    parser = argparse.ArgumentParser(description="call and connect timeouts")
    parser.add_argument("uri", nargs="?", help="uri of the snail (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="short delays, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the snail: ").strip()
    timeout = 1.0 if options.demo else 3.0
    call_timeouts(uri, timeout)
    connect_timeout(timeout)


if __name__ == "__main__":
    main()
