"""Provokes the shop's errors and shows how they arrive."""

import argparse
import sys

import Pyro4
import Pyro4.util

from stockerrors import OutOfStock


def rebuild_out_of_stock(classname, data):
    # data["args"] holds the message; the constructor's own arguments are in the attributes
    attributes = data["attributes"]
    error = OutOfStock(attributes.pop("item"), attributes.pop("available"))
    for name, value in attributes.items():  # e.g. _pyroTraceback, which getPyroTraceback() needs
        setattr(error, name, value)
    return error


def builtin_errors(shop):
    for name, args in (("average_price", (10, 0)), ("price_of", ("plums",))):
        try:
            getattr(shop, name)(*args)
        except (ZeroDivisionError, KeyError) as exc:
            print("%s raised %s: %s" % (name, type(exc).__name__, exc))


def remote_traceback(shop):
    try:
        shop.average_price(1, 0)
    except ZeroDivisionError:
        text = "".join(Pyro4.util.getPyroTraceback())
        print("the traceback has a remote part:", "Remote traceback:" in text)
        print("and it names the server's line:", "return total / count" in text)


def application_error(shop):
    print(shop.buy("pears", 1))
    try:
        shop.buy("pears", 5)
    except OutOfStock as exc:
        print("buy raised OutOfStock: %s (only %d %s left)" % (exc, exc.available, exc.item))


def oneway_error(shop):
    shop.restock("apples", -3)
    print("a oneway call that fails on the server raises nothing here; apples are still in stock:",
          shop.buy("apples", 1))


def main():
    parser = argparse.ArgumentParser(description="remote exceptions")
    parser.add_argument("uri", nargs="?", help="uri of the shop (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the shop: ").strip()
    Pyro4.util.SerializerBase.register_dict_to_class("stockerrors.OutOfStock", rebuild_out_of_stock)
    sys.excepthook = Pyro4.util.excepthook  # uncaught remote errors print both tracebacks
    with Pyro4.Proxy(uri) as shop:
        builtin_errors(shop)
        remote_traceback(shop)
        application_error(shop)
        oneway_error(shop)
    print("done")


if __name__ == "__main__":
    main()
