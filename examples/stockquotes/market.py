"""A stock market that pushes price changes to subscribed viewers through callbacks."""

import argparse
import random
import threading

import Pyro4
import Pyro4.errors

NAME = "example.stockmarket"
OPENING_PRICES = {"ACME": 42.0, "GLOBX": 130.5, "INITECH": 7.25, "UMBRL": 88.0}


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class StockMarket(object):
    def __init__(self):
        self._prices = dict(OPENING_PRICES)
        self._random = random.Random(2024)
        self._subscribers = {}  # viewer proxy -> set of symbols
        self._lock = threading.Lock()

    def symbols(self):
        return sorted(self._prices)

    def subscribe(self, viewer, symbols):
        # `viewer` arrives as a proxy: the viewer registered its object in a daemon of its own
        unknown = set(symbols) - set(self._prices)
        if unknown:
            raise ValueError("unknown symbols: " + ", ".join(sorted(unknown)))
        with self._lock:
            self._subscribers[viewer] = set(symbols)
        print("subscribed", viewer._pyroUri, "to", ", ".join(sorted(symbols)), flush=True)

    def unsubscribe(self, viewer):
        with self._lock:
            self._subscribers.pop(viewer, None)
        print("unsubscribed", viewer._pyroUri, flush=True)

    def tick(self):
        """One price change, sent to everyone who follows that symbol."""
        symbol = self._random.choice(sorted(self._prices))
        self._prices[symbol] = round(max(0.01, self._prices[symbol] * self._random.uniform(0.97, 1.03)), 2)
        with self._lock:
            followers = [viewer for viewer, symbols in self._subscribers.items() if symbol in symbols]
        for viewer in followers:
            self._send(viewer, symbol, self._prices[symbol])

    def _send(self, viewer, symbol, price):
        try:
            viewer.quote(symbol, price)  # oneway at the viewer, so a slow viewer doesn't hold up the market
        except Pyro4.errors.CommunicationError:
            print("viewer", viewer._pyroUri, "is gone; dropping it", flush=True)
            with self._lock:
                self._subscribers.pop(viewer, None)


def run_ticker(market, interval, stop):
    while not stop.wait(interval):
        market.tick()


def main():
    parser = argparse.ArgumentParser(description="stock market that pushes quotes")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between price changes")
    options = parser.parse_args()
    market = StockMarket()
    stop = threading.Event()
    ticker = threading.Thread(target=run_ticker, args=(market, options.interval, stop), daemon=True)
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        uri = daemon.register(market, NAME)
        ns.register(NAME, uri)
        ticker.start()
        try:
            print("market open as %s, uri: %s" % (NAME, uri), flush=True)
            daemon.requestLoop()
        finally:
            stop.set()
            ns.remove(NAME)


if __name__ == "__main__":
    main()
