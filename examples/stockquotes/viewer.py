"""Follows a few stocks: receives their quotes as callbacks from the market, in a daemon of its own."""

import argparse
import threading

import Pyro4

MARKET = "PYRONAME:example.stockmarket"


class Viewer(object):
    def __init__(self, wanted):
        self.received = []
        self._wanted = wanted
        self._enough = threading.Event()
        self._lock = threading.Lock()

    @Pyro4.expose  # only this method: wait() is for local use
    @Pyro4.oneway
    def quote(self, symbol, price):
        with self._lock:
            if len(self.received) >= self._wanted:
                return  # quotes still on their way while we unsubscribe
            self.received.append((symbol, price))
            if len(self.received) == self._wanted:
                self._enough.set()
        print("  %-8s %8.2f" % (symbol, price), flush=True)

    def wait(self, timeout):
        return self._enough.wait(timeout)


def follow(symbols, wanted, timeout):
    viewer = Viewer(wanted)
    with Pyro4.Daemon() as daemon:
        daemon.register(viewer)
        listener = threading.Thread(target=daemon.requestLoop, daemon=True)
        listener.start()
        with Pyro4.Proxy(MARKET) as market:
            print("the market lists:", ", ".join(market.symbols()))
            market.subscribe(viewer, symbols)  # the registered viewer is sent as a proxy (autoproxy)
            print("following", ", ".join(symbols))
            got_enough = viewer.wait(timeout)
            market.unsubscribe(viewer)
        daemon.shutdown()
        listener.join(5)
    return got_enough, viewer.received


def main():
    parser = argparse.ArgumentParser(description="stock quote viewer")
    parser.add_argument("symbols", nargs="*", help="symbols to follow (default: all but one)")
    parser.add_argument("--quotes", type=int, default=20, help="stop after this many quotes")
    parser.add_argument("--demo", action="store_true", help="ten quotes of three symbols")
    options = parser.parse_args()
    symbols = options.symbols or ["ACME", "GLOBX", "UMBRL"]
    wanted = 10 if options.demo else options.quotes
    got_enough, received = follow(symbols, wanted, timeout=20.0)
    followed = {symbol for symbol, _ in received} <= set(symbols)
    print(
        "received %d quotes%s, all for followed symbols: %s"
        % (len(received), "" if got_enough else " (gave up waiting)", followed)
    )


if __name__ == "__main__":
    main()
