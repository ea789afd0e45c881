"""Customers who fill a cart at the shop, change their minds and check out."""

import argparse

import Pyro4
import Pyro4.errors

SHOP = "PYRONAME:example.shoppingcart.shop"


def money(cents):
    return "%d.%02d" % (cents // 100, cents % 100)


def drop_what_is_short(shop, cart):
    stock = shop.stock()
    for item, quantity in cart.contents().items():
        if quantity > stock[item]:
            print("  putting back the %s (only %d left)" % (item, stock[item]))
            cart.remove(item)


def shop_for(shop, customer, shopping_list):
    cart = shop.new_cart(customer)
    print("%s got a cart: %s" % (customer, cart._pyroUri.object))
    with cart:
        for item, quantity in shopping_list:
            try:
                cart.add(item, quantity)
            except KeyError as exc:
                print("  the shop says:", exc.args[0])
        print("  cart holds %s, total %s" % (cart.contents(), money(cart.total())))
        try:
            print("  " + cart.checkout())
        except ValueError as exc:
            print("  checkout refused:", exc)
            drop_what_is_short(shop, cart)
            print("  " + cart.checkout())
        try:
            cart.contents()
        except Pyro4.errors.DaemonError as exc:
            print("  using the cart after checkout:", exc)


def shopping_lists(demo):
    if demo:
        return [("Alice", [("apple", 6), ("bread", 1), ("caviar", 1)]), ("Bob", [("cheese", 2), ("coffee", 4)])]
    name = input("your name: ").strip()
    wanted = []
    while True:
        line = input("item and quantity, for example 'apple 3' (empty line to check out): ").split()
        if not line:
            return [(name, wanted)]
        wanted.append((line[0], int(line[1]) if len(line) > 1 else 1))


def main():
    parser = argparse.ArgumentParser(description="shopping with carts that live in the server")
    parser.add_argument("--demo", action="store_true", help="two made-up customers, no questions")
    options = parser.parse_args()
    with Pyro4.Proxy(SHOP) as shop:
        print("stock before:", shop.stock())
        for customer, shopping_list in shopping_lists(options.demo):
            shop_for(shop, customer, shopping_list)
        print("stock after:", shop.stock())


if __name__ == "__main__":
    main()
