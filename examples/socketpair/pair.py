"""A spell checker served over one end of a socketpair, called through a proxy on the other end."""

import argparse
import socket
import threading

import Pyro4

KNOWN_WORDS = set(
    """a an and are call calls do is me network no objects over pair pyro remote socket
    the this to works without you""".split()
)
DEMO_SENTENCES = ["Pyro works over a socket pair", "this is a tset without teh network"]


@Pyro4.expose
class SpellChecker(object):
    def unknown_words(self, sentence):
        return [word for word in sentence.split() if word.lower() not in KNOWN_WORDS]


def serve(server_end):
    with Pyro4.Daemon(connected_socket=server_end) as daemon:
        daemon.register(SpellChecker, "speller")
        print("daemon location:", daemon.locationStr)
        daemon.requestLoop()  # returns when the client end is closed
    print("daemon thread: the other end closed, request loop ended")


def sentences(demo):
    if demo:
        return DEMO_SENTENCES
    lines = []
    while True:
        line = input("sentence (empty line stops): ").strip()
        if not line:
            return lines
        lines.append(line)


def main():
    parser = argparse.ArgumentParser(description="Pyro over socket.socketpair()")
    parser.add_argument("--demo", action="store_true", help="check built-in sentences, no questions")
    options = parser.parse_args()
    client_end, server_end = socket.socketpair()
    server_thread = threading.Thread(target=serve, args=(server_end,))
    server_thread.start()
    try:
        with Pyro4.Proxy("speller", connected_socket=client_end) as speller:
            print("proxy uri:", speller._pyroUri)
            for sentence in sentences(options.demo):
                print("%r -> unknown words: %s" % (sentence, speller.unknown_words(sentence)))
    finally:
        client_end.close()
        server_thread.join(10)
        server_end.close()
    print("done")


if __name__ == "__main__":
    main()
