"""One node of the ring: it adds its name to a message's trail and hands the message to the next node."""

import argparse

import Pyro4

PREFIX = "example.circular."


@Pyro4.expose
@Pyro4.behavior(instance_mode="single")
class Node(object):
    def __init__(self, name, next_name):
        self.name = name
        self.next_name = next_name

    def pass_on(self, message, rounds, trail):
        trail.append(self.name)
        if trail.count(trail[0]) > rounds:
            # back at the first node once too often: the message has made all its rounds
            return trail
        print("passing %r on to %s" % (message, self.next_name), flush=True)
        with Pyro4.Proxy("PYRONAME:" + PREFIX + self.next_name) as next_node:
            return next_node.pass_on(message, rounds, trail)


def main():
    parser = argparse.ArgumentParser(description="a node in a ring of Pyro servers")
    parser.add_argument("name", help="this node's name")
    parser.add_argument("next", help="name of the node that messages are passed on to")
    options = parser.parse_args()
    with Pyro4.Daemon() as daemon, Pyro4.locateNS() as ns:
        uri = daemon.register(Node(options.name, options.next))
        ns.register(PREFIX + options.name, uri)
        print("node %s ready, passes on to %s" % (options.name, options.next), flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
