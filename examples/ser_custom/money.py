"""An amount of money in one currency, and the converters that let Pyro's serializers carry it.

Both the client and the server import this module and call register_converters(), because the
sending side needs the class-to-dict converter and the receiving side the dict-to-class one.
"""

import decimal

from Pyro4.util import SerializerBase

CLASS_TAG = "money.Money"


class Money(object):
    def __init__(self, amount, currency):
        self.amount = decimal.Decimal(amount)
        self.currency = currency

    def __add__(self, other):
        if other.currency != self.currency:
            raise ValueError("cannot add %s to %s" % (other.currency, self.currency))
        return Money(self.amount + other.amount, self.currency)

    def __repr__(self):
        return "Money(%r, %r)" % (str(self.amount), self.currency)


def money_to_dict(money):
    # a string keeps the Decimal exact in every serializer (json, for one, has no decimal type)
    return {"__class__": CLASS_TAG, "amount": str(money.amount), "currency": money.currency}


def dict_to_money(classname, data):
    return Money(data["amount"], data["currency"])


def register_converters():
    SerializerBase.register_class_to_dict(Money, money_to_dict)
    SerializerBase.register_dict_to_class(CLASS_TAG, dict_to_money)


def unregister_dict_converter():
    SerializerBase.unregister_dict_to_class(CLASS_TAG)
