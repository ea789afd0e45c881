"""Sends Money objects to the accountant with several serializers and gets Money back."""

import argparse

import money

import Pyro4
import Pyro4.errors

SERIALIZERS = ["serpent", "json", "marshal"]


def totals_per_serializer(accountant):
    amounts = [money.Money("12.50", "EUR"), money.Money("0.75", "EUR"), money.Money("100", "EUR")]
    for serializer in SERIALIZERS:
        accountant._pyroSerializer = serializer  # per proxy; the default is Pyro4.config.SERIALIZER
        total = accountant.total(*amounts)  # separate arguments: marshal converts only top-level values
        print("%-8s total: %r (a %s)" % (serializer, total, type(total).__name__))
    accountant._pyroSerializer = None  # back to the configured default


def mixed_currencies(accountant):
    try:
        accountant.total(money.Money("1", "EUR"), money.Money("1", "USD"))
    except ValueError as exc:
        print("mixed currencies refused by the server:", exc)


def without_dict_converter(accountant):
    money.unregister_dict_converter()
    try:
        accountant.total(money.Money("2", "GBP"))
    except Pyro4.errors.SerializeError as exc:
        print("without a dict-to-class converter the reply can't be read:", exc)
    finally:
        money.register_converters()


def main():
    parser = argparse.ArgumentParser(description="custom class serialization")
    parser.add_argument("uri", nargs="?", help="uri of the accountant (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the accountant: ").strip()
    money.register_converters()
    with Pyro4.Proxy(uri) as accountant:
        totals_per_serializer(accountant)
        mixed_currencies(accountant)
        without_dict_converter(accountant)


if __name__ == "__main__":
    main()
