"""An accountant that adds up Money objects sent to it with any of several serializers."""

import functools

import money

import Pyro4

# the daemon captures the accepted serializers when it is created
Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal"}


@Pyro4.expose
class Accountant(object):
    def total(self, *amounts):
        kinds = sorted({type(amount).__name__ for amount in amounts})
        print("received %d amounts of type %s" % (len(amounts), ", ".join(kinds)), flush=True)
        return functools.reduce(lambda a, b: a + b, amounts)


def main():
    money.register_converters()
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(Accountant, "example.ser_custom.accountant")
        print("accountant ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
