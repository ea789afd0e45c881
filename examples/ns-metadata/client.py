"""Finds printers in the name server by their metadata instead of by their names."""

import argparse

import Pyro4

PREFIX = "example.printers."


def show(title, registrations):
    print(title)
    for name in sorted(registrations):
        print("   ", name)


def queries(ns):
    show("printers that do color and duplex:", ns.list(metadata_all={"printer", "color", "duplex"}))
    show("printers on floor 0 or floor -1:", ns.list(metadata_any={"floor:0", "floor:-1"}))
    uri, tags = ns.lookup(PREFIX + "design", return_metadata=True)
    print("lookup with metadata: %s has tags %s" % (uri.object, sorted(tags)))
    with_tags = ns.list(prefix=PREFIX, return_metadata=True)
    a3 = [name for name, (uri, tags) in with_tags.items() if "paper:a3" in tags]
    print("filtered on the client side, the printers with A3 paper:", a3)


def any_color_printer():
    # PYROMETA: the name server picks one of the registrations that have all these tags
    with Pyro4.Proxy("PYROMETA:printer,color,available") as printer:
        print("a PYROMETA proxy found one:", printer.print_page("hello in color"))


def jam(ns):
    with Pyro4.Proxy("PYRONAME:" + PREFIX + "office") as office:
        office.jam()
    show(
        "after the office printer jammed, available color printers:",
        ns.list(metadata_all={"printer", "color", "available"}),
    )


def main():
    parser = argparse.ArgumentParser(description="name server metadata queries")
    parser.add_argument("--demo", action="store_true", help="no questions (there are none anyway)")
    parser.parse_args()
    with Pyro4.locateNS() as ns:
        queries(ns)
        any_color_printer()
        jam(ns)
        any_color_printer()


if __name__ == "__main__":
    main()
