"""Pokes at the thermostat's exposed and hidden members."""

import argparse

import Pyro4


def show_metadata(thermostat):
    thermostat._pyroBind()  # connecting fetches the metadata
    print("remote methods:", sorted(thermostat._pyroMethods))
    print("remote attributes:", sorted(thermostat._pyroAttrs))


def use_properties(thermostat):
    print("target is", thermostat.target)
    thermostat.target = 21.5
    print("target set to", thermostat.target)
    print("one step warmer:", thermostat.warmer())
    try:
        thermostat.target = 99
    except ValueError as exc:
        print("the setter refused: %s" % exc)
    try:
        thermostat.history = []
    except AttributeError as exc:
        print("read-only property:", exc)


def try_hidden_members(thermostat):
    for name in ("serial_number", "calibrate", "_reset"):
        try:
            getattr(thermostat, name)
            print(name, "was reachable?!")
        except AttributeError as exc:
            print("no access to %s: %s" % (name, exc))


def values_are_copies(thermostat):
    history = thermostat.history
    history.append(-273.15)
    print("local copy of the history:", history)
    print("server's history is unchanged:", thermostat.history)


def main():
    parser = argparse.ArgumentParser(description="remote attribute access")
    parser.add_argument("uri", nargs="?", help="uri of the thermostat (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="run without asking anything")
    options = parser.parse_args()
    uri = options.uri or input("uri of the thermostat: ").strip()
    with Pyro4.Proxy(uri) as thermostat:
        show_metadata(thermostat)
        use_properties(thermostat)
        try_hidden_members(thermostat)
        values_are_copies(thermostat)
    print("done")


if __name__ == "__main__":
    main()
