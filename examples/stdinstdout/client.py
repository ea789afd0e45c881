"""Starts worker.py as a child process and calls it with Pyro over the child's stdin/stdout."""

import argparse
import os
import socket
import subprocess
import sys

import Pyro4

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
DEMO_NUMBERS = [360, 9973, 600851475143]


def start_worker():
    parent_end, child_end = socket.socketpair()
    with child_end:
        child = subprocess.Popen([sys.executable, WORKER], stdin=child_end, stdout=child_end)
    return child, parent_end


def numbers(demo):
    if demo:
        return DEMO_NUMBERS
    wanted = []
    while True:
        line = input("number to factorize (empty line stops): ").strip()
        if not line:
            return wanted
        wanted.append(int(line))


def main():
    parser = argparse.ArgumentParser(description="Pyro over a child process's stdin/stdout")
    parser.add_argument("--demo", action="store_true", help="factorize built-in numbers, no questions")
    options = parser.parse_args()
    child, connection = start_worker()
    try:
        with Pyro4.Proxy("factorizer", connected_socket=connection) as factorizer:
            print("talking to worker process", factorizer.pid(), "- my own pid is", os.getpid())
            for number in numbers(options.demo):
                print("%d = %s" % (number, " * ".join(str(f) for f in factorizer.factorize(number))))
    finally:
        connection.close()  # the worker's request loop ends and the worker exits
        status = child.wait(10)
    print("worker exited with status", status)


if __name__ == "__main__":
    main()
