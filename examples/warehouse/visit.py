"""Visitors who bring things to the warehouse and take other things away."""

import argparse

import Pyro4
import Pyro4.util

WAREHOUSE = "PYRONAME:example.warehouse"


class Visitor(object):
    """Lives in the client; it only holds a proxy to the warehouse."""

    def __init__(self, name, warehouse):
        self.name = name
        self.warehouse = warehouse

    def bring(self, *items):
        for item in items:
            self.warehouse.store(self.name, item)
            print("%s stored a %s" % (self.name, item))

    def take(self, *items):
        for item in items:
            try:
                self.warehouse.collect(self.name, item)
                print("%s collected a %s" % (self.name, item))
            except LookupError as exc:
                print("%s could not collect a %s: %s" % (self.name, item, exc))
                # the exception carries the server's traceback; the last lines show where it was raised
                remote_lines = "".join(Pyro4.util.getPyroTraceback()).rstrip().splitlines()
                print("  remote traceback, last lines:")
                for line in remote_lines[-4:]:
                    print("   ", line)


def demo_visits(warehouse):
    ann, joe = Visitor("Ann", warehouse), Visitor("Joe", warehouse)
    ann.bring("bicycle", "tent")
    joe.take("ladder", "tent")
    joe.take("tent")
    ann.take("toolbox")


def interactive_visit(warehouse):
    visitor = Visitor(input("your name: ").strip(), warehouse)
    print("the warehouse holds:", warehouse.contents())
    visitor.bring(*input("what do you bring (separated by spaces)? ").split())
    visitor.take(*input("what do you take (separated by spaces)? ").split())


def main():
    parser = argparse.ArgumentParser(description="visit the warehouse")
    parser.add_argument("--demo", action="store_true", help="two made-up visitors, no questions")
    options = parser.parse_args()
    with Pyro4.Proxy(WAREHOUSE) as warehouse:
        if options.demo:
            demo_visits(warehouse)
        else:
            interactive_visit(warehouse)
        print("the warehouse now holds:", sorted(warehouse.contents().items()))
        print("what happened there:", "; ".join(warehouse.history()))


if __name__ == "__main__":
    main()
