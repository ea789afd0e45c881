"""Stores and fetches notes of growing size to show what the size limits do on both sides."""

import argparse

import Pyro4
import Pyro4.errors

CLIENT_LIMIT = 2048  # half of what the server allows, so some replies get through there but not here


def attempt(what, call, *args):
    try:
        result = call(*args)
    except Pyro4.errors.CommunicationError as exc:
        print("%s: failed with %s: %s" % (what, type(exc).__name__, exc))
    else:
        print("%s: ok, %s" % (what, result))


def without_own_limit(notes):
    print("-- this client has no limit of its own (MAX_MESSAGE_SIZE = 0)")
    attempt("store a 100 character note", notes.store, "small", "s" * 100)
    # the server reads the header, sees the size and hangs up without a reply
    attempt("store a 10000 character note", notes.store, "big", "b" * 10000)
    attempt("fetch the small note again (the proxy reconnects)", lambda: len(notes.fetch("small")))
    # the server itself cannot build a reply over its limit, so it drops the connection as well
    attempt("ask for a 10000 character reply", lambda: len(notes.padded("small", 10000)))


def with_own_limit(notes, limit):
    Pyro4.config.MAX_MESSAGE_SIZE = limit
    print("-- this client now has a limit of its own: %d bytes" % limit)
    # refused before anything is sent: the connection stays usable
    attempt("store a 10000 character note", notes.store, "big", "b" * 10000)
    attempt("still connected", lambda: notes._pyroConnection is not None)
    # within the server's limit, so the server sends it, but over ours: refused on arrival
    attempt("ask for a 3000 character reply", lambda: len(notes.padded("small", 3000)))
    attempt("ask for a 500 character reply", lambda: len(notes.padded("small", 500)))


def main():
    parser = argparse.ArgumentParser(description="message size limits")
    parser.add_argument("uri", nargs="?", help="uri of the note store (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the note store: ").strip()
    with Pyro4.Proxy(uri) as notes:
        without_own_limit(notes)
        with_own_limit(notes, CLIENT_LIMIT)


if __name__ == "__main__":
    main()
