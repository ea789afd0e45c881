"""Finds the banks in the name server and does the same business with each of them."""

import argparse

import Pyro4

PREFIX = "example.banks."


def find_banks():
    with Pyro4.locateNS() as ns:
        names = sorted(ns.list(prefix=PREFIX))
    print("banks found:", ", ".join(names))
    return [Pyro4.Proxy("PYRONAME:" + name) for name in names]


def do_business(bank, pause):
    print("--- at", bank.name())
    for holder in ("Ada", "Bert"):
        bank.open_account(holder)
    print("Ada deposits 250, balance", bank.deposit("Ada", 250))
    print("Bert deposits 30, balance", bank.deposit("Bert", 30))
    try:
        print("Bert withdraws 80, balance", bank.withdraw("Bert", 80))
    except ValueError as exc:
        print("refused:", exc)
    pause()
    try:
        bank.open_account("Ada")
    except ValueError as exc:
        print("refused:", exc)
    print("balances:", sorted(bank.balances().items()))


def clean_up(bank):
    for holder in sorted(bank.balances()):
        bank.close_account(holder)


def main():
    parser = argparse.ArgumentParser(description="uses every bank registered in the name server")
    parser.add_argument("--demo", action="store_true", help="don't wait for enter between the banks")
    options = parser.parse_args()
    pause = (lambda: None) if options.demo else (lambda: input("(press enter) "))
    for bank in find_banks():
        with bank:
            do_business(bank, pause)
            clean_up(bank)  # so that the client can be run again against the same server
    print("done")


if __name__ == "__main__":
    main()
