"""A shop that hands every customer a shopping cart: a Pyro object of its own, created on demand."""

import threading

import Pyro4

SHOP_NAME = "example.shoppingcart.shop"
PRICES = {"apple": 35, "bread": 249, "cheese": 480, "coffee": 699}  # cents
STOCK = {"apple": 50, "bread": 5, "cheese": 8, "coffee": 3}


@Pyro4.expose
class Cart(object):
    """Lives in the server; the customer only ever holds a proxy to it."""

    def __init__(self, shop, customer):
        self._shop = shop
        self.customer = customer
        self._items = {}

    def add(self, item, quantity=1):
        self._shop.price(item)  # unknown items are refused right away
        self._items[item] = self._items.get(item, 0) + quantity

    def remove(self, item):
        self._items.pop(item, None)

    def contents(self):
        return dict(self._items)

    def total(self):
        return sum(self._shop.price(item) * quantity for item, quantity in self._items.items())

    def checkout(self):
        receipt = self._shop.sell(self.customer, self._items)
        # a cart is used once: after checkout, its proxy stops working
        self._pyroDaemon.unregister(self)
        return receipt


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Shop(object):
    def __init__(self):
        self._stock = dict(STOCK)
        self._lock = threading.Lock()

    def price(self, item):
        if item not in PRICES:
            raise KeyError("we don't sell %s" % item)
        return PRICES[item]

    def stock(self):
        with self._lock:
            return dict(self._stock)

    def new_cart(self, customer):
        cart = Cart(self, customer)
        self._pyroDaemon.register(cart)
        return cart  # a registered object is sent as a proxy (autoproxy), not as a copy

    def sell(self, customer, items):
        with self._lock:
            short = sorted(item for item, quantity in items.items() if quantity > self._stock[item])
            if short:
                raise ValueError("not enough in stock: " + ", ".join(short))
            for item, quantity in items.items():
                self._stock[item] -= quantity
        total = sum(PRICES[item] * quantity for item, quantity in items.items())
        return "%s paid %d.%02d for %s" % (customer, total // 100, total % 100, _describe(items))


def _describe(items):
    return ", ".join("%d x %s" % (quantity, item) for item, quantity in sorted(items.items()))


def main():
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        uri = daemon.register(Shop, SHOP_NAME)
        ns.register(SHOP_NAME, uri)
        try:
            print("shop open as %s, uri: %s" % (SHOP_NAME, uri), flush=True)
            daemon.requestLoop()
        finally:
            ns.remove(SHOP_NAME)


if __name__ == "__main__":
    main()
