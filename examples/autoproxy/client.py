"""Gets counters from the factory and works with the proxies Pyro made for them."""

import argparse

import Pyro4


def use_counters(factory):
    apples = factory.create("apples")
    pears = factory.create("pears")
    print("the factory returned a", type(apples).__name__, "for", apples._pyroUri.object)
    for _ in range(3):
        apples.increment()
    pears.increment(10)
    print(apples.describe())
    print(pears.describe())
    print("totals kept by the server:", sorted(factory.totals().items()))
    return apples, pears


def send_proxy_back(factory, counter):
    print(factory.discard(counter))
    print("totals now:", sorted(factory.totals().items()))
    try:
        counter.increment()
    except Pyro4.errors.DaemonError as exc:
        print("the discarded counter is gone:", exc)


def main():
    parser = argparse.ArgumentParser(description="automatic proxies for returned Pyro objects")
    parser.add_argument("uri", nargs="?", help="uri of the counter factory (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="run without asking anything")
    options = parser.parse_args()
    uri = options.uri or input("uri of the counter factory: ").strip()
    with Pyro4.Proxy(uri) as factory:
        apples, pears = use_counters(factory)
        send_proxy_back(factory, pears)
        apples._pyroRelease()
        pears._pyroRelease()
    print("done")


if __name__ == "__main__":
    main()
