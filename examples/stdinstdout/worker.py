"""A factorizing worker that serves Pyro calls over its own stdin/stdout; started by client.py."""

import os
import socket
import sys

import Pyro4


@Pyro4.expose
class Factorizer(object):
    def factorize(self, number):
        factors, divisor = [], 2
        while divisor * divisor <= number:
            while number % divisor == 0:
                factors.append(divisor)
                number //= divisor
            divisor += 1
        if number > 1:
            factors.append(number)
        return factors

    def pid(self):
        return os.getpid()


def connection_from_stdin():
    try:
        return socket.socket(fileno=os.dup(sys.stdin.fileno()))
    except OSError:
        sys.exit("worker.py: stdin is not a socket; run client.py, which starts this worker")


def main():
    connection = connection_from_stdin()
    # from here on, fd 1 must never carry anything but Pyro messages: send print() output to stderr
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    print("worker %d: serving on my stdin/stdout" % os.getpid(), flush=True)
    with Pyro4.Daemon(connected_socket=connection) as daemon:
        daemon.register(Factorizer, "factorizer")
        daemon.requestLoop()
    connection.close()
    print("worker %d: parent closed the connection, exiting" % os.getpid(), flush=True)


if __name__ == "__main__":
    main()
