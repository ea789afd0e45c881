"""Two banks with different rules, registered in the name server."""

import Pyro4

PREFIX = "example.banks."


@Pyro4.expose
class Bank(object):
    overdraft_limit = 0

    def __init__(self, name):
        self._name = name
        self._balances = {}

    def name(self):
        return self._name

    def open_account(self, holder):
        if holder in self._balances:
            raise ValueError("%s already has an account at %s" % (holder, self._name))
        self._balances[holder] = 0

    def close_account(self, holder):
        return self._balances.pop(holder)

    def deposit(self, holder, amount):
        self._balances[holder] += amount
        return self._balances[holder]

    def withdraw(self, holder, amount):
        if self._balances[holder] - amount < -self.overdraft_limit:
            # a builtin exception type: clients can recreate it without knowing this module
            raise ValueError("%s cannot withdraw %d from %s" % (holder, amount, self._name))
        self._balances[holder] -= amount
        return self._balances[holder]

    def balances(self):
        return dict(self._balances)


class CreditBank(Bank):
    """Lets account holders go into debt, up to a limit."""
    overdraft_limit = 100


def main():
    banks = {"harbour": Bank("Harbour Savings"), "hilltop": CreditBank("Hilltop Credit")}
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        for short_name, bank in banks.items():
            uri = daemon.register(bank)
            ns.register(PREFIX + short_name, uri)
        print("banks registered:", ", ".join(PREFIX + name for name in sorted(banks)), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
