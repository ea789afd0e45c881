"""Tries out everything the built-in echo server offers, found through the name server."""

import argparse
import math

import Pyro4
import Pyro4.util


def echo_values(echo):
    for value in ("hello", 42, [1, 2.5, "three"], {"key": (1, 2)}):
        print("echo(%r) -> %r" % (value, echo.echo(value)))
    print("nan() is nan:", math.isnan(echo.nan()), "- inf() is", echo.inf())
    print("dunder methods may be called:", echo.__dunder__())


def remote_errors(echo):
    try:
        echo.error()
    except ValueError as exc:
        print("error() raised ValueError:", exc)
        # the server's side of the story travels along with the exception
        remote_part = "".join(Pyro4.util.getPyroTraceback())
        print("the remote traceback mentions the server's code:", "Remote traceback:" in remote_part)


def other_calls(echo, slow):
    print("generator() streams:", list(echo.generator()))
    print("oneway_echo() returns", echo.oneway_echo("nobody waits for this"), "(the reply is never sent)")
    echo.verbose = True
    print("verbose property set to", echo.verbose)
    echo.verbose = False
    if slow:
        print("slow() takes 5 seconds...")
        print("slow() ->", echo.slow())


def main():
    parser = argparse.ArgumentParser(description="client of Pyro4's test echo server")
    parser.add_argument("--shutdown", action="store_true", help="stop the echo server afterwards")
    parser.add_argument("--demo", action="store_true", help="skip the slow call")
    options = parser.parse_args()
    with Pyro4.Proxy("PYRONAME:test.echoserver") as echo:
        echo_values(echo)
        remote_errors(echo)
        other_calls(echo, slow=not options.demo)
        if options.shutdown:
            echo.shutdown()
            print("asked the echo server to shut down")
    print("done")


if __name__ == "__main__":
    main()
