"""Signs the guestbook, reaching it through a uri made from nothing but a host and a port."""

import argparse

import Pyro4

OBJECT_ID = "example.guestbook"


def guestbook_uri(options):
    if options.uri:
        return options.uri
    return "PYRO:%s@%s:%d" % (OBJECT_ID, options.host, options.port)


def visitors(options):
    if options.demo:
        return [("Ada", "nice place"), ("Linus", "no name server needed")]
    return [(input("your name: ").strip(), input("your message: ").strip())]


def main():
    parser = argparse.ArgumentParser(description="guestbook client without a name server")
    parser.add_argument("--host", default="localhost", help="host of the server (default localhost)")
    parser.add_argument("--port", type=int, default=9191, help="port of the server (default 9191)")
    parser.add_argument("--uri", help="the full uri instead of host and port")
    parser.add_argument("--demo", action="store_true", help="sign with made-up visitors, no questions")
    options = parser.parse_args()
    uri = guestbook_uri(options)
    print("using uri", uri)
    with Pyro4.Proxy(uri) as guestbook:
        for name, message in visitors(options):
            number = guestbook.sign(name, message)
            print("%s signed as entry number %d" % (name, number))
        entries = guestbook.entries()
    print("the guestbook has %d entries:" % len(entries))
    for stamp, name, message in entries:
        print("  [%s] %s: %s" % (stamp, name, message))


if __name__ == "__main__":
    main()
