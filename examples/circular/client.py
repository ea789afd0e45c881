"""Sends a message into the ring and shows the trail it left."""

import argparse

import Pyro4


def send_around(rounds):
    with Pyro4.Proxy("PYRONAME:example.circular.a") as first:
        trail = first.pass_on("hello ring", rounds, [])
    print("%d round(s), trail: %s" % (rounds, " -> ".join(trail)))


def main():
    parser = argparse.ArgumentParser(description="sends a message around the ring of nodes")
    parser.add_argument("--demo", action="store_true", help="1 and 3 rounds, no questions")
    options = parser.parse_args()
    if options.demo:
        for rounds in (1, 3):
            send_around(rounds)
    else:
        send_around(int(input("how many rounds? ")))
    print("done")


if __name__ == "__main__":
    main()
