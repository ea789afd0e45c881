"""A shop whose methods fail in several ways."""

import Pyro4

from stockerrors import OutOfStock


@Pyro4.expose
class Shop(object):
    def __init__(self):
        self.stock = {"apples": 10, "pears": 2}

    def average_price(self, total, count):
        return total / count

    def price_of(self, item):
        prices = {"apples": 0.5, "pears": 0.75}
        return prices[item]

    def buy(self, item, count):
        available = self.stock.get(item, 0)
        if count > available:
            raise OutOfStock(item, available)
        self.stock[item] = available - count
        return "bought %d %s" % (count, item)

    @Pyro4.oneway
    def restock(self, item, count):
        if count < 0:
            raise ValueError("cannot restock a negative amount")
        self.stock[item] = self.stock.get(item, 0) + count


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Shop(), "example.exceptions.shop")
        print("shop ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
