"""Uses a Flame server: remote expressions, modules, builtins, a sent module, files and a console."""

import argparse
import os

import Pyro4
import Pyro4.utils.flame

GREETER_SOURCE = '''
import os

def greet(name):
    return "hello %s, from process %d" % (name, os.getpid())
'''


def evaluate_and_execute(flame):
    print("remote sum(range(10)) =", flame.evaluate("sum(range(10))"))
    flame.execute("import sys\nremote_version = '%d.%d' % sys.version_info[:2]")
    print("a variable made by execute():", flame.evaluate("remote_version"))


def modules_and_builtins(flame):
    remote_os = flame.module("os")
    print("the server's pid differs from ours:", remote_os.getpid() != os.getpid())
    print("remote os.path.join:", remote_os.path.join("a", "b"))
    remote_len = flame.builtin("len")
    print("remote len([1, 2, 3]) =", remote_len([1, 2, 3]))


def send_a_module(flame):
    flame.sendmodule("flamedemo.greeter", GREETER_SOURCE)
    greeting = flame.module("flamedemo.greeter").greet("flame client")
    print("the module we sent says:", greeting.split(",")[0])


def copy_files(flame):
    path = flame.module("os.path").join(flame.module("tempfile").gettempdir(), "flame-example-%d.txt" % os.getpid())
    flame.sendfile(path, b"sent over by Flame\n")
    print("the file came back as:", flame.getfile(path))
    flame.module("os").remove(path)


def remote_console(flame):
    print("opening the remote console (end it with ctrl-D)")
    with flame.console() as console:
        console.interact()


def main():
    parser = argparse.ArgumentParser(description="a Flame client")
    parser.add_argument("location", nargs="?", help="host:port of the flame server (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions; console lines come from stdin")
    options = parser.parse_args()
    location = options.location or input("location of the flame server (host:port): ").strip()
    Pyro4.config.SERIALIZER = "pickle"  # Flame works with pickle only
    with Pyro4.utils.flame.connect(location) as flame:
        evaluate_and_execute(flame)
        modules_and_builtins(flame)
        send_a_module(flame)
        copy_files(flame)
        remote_console(flame)
    print("done")


if __name__ == "__main__":
    main()
