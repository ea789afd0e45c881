"""Logs in to the notebook server as different users and shows whose notes each connection sees."""

import argparse
import getpass

import Pyro4
import Pyro4.errors


class LoginProxy(Pyro4.Proxy):
    def __init__(self, uri, user, password):
        super(LoginProxy, self).__init__(uri)
        self._pyroHandshake = {"user": user, "password": password}  # sent when the proxy connects

    def _pyroValidateHandshake(self, response):
        print("  server said:", response)


def session(uri, user, password, notes_to_add=()):
    print("%s connects" % user)
    try:
        with LoginProxy(uri, user, password) as notebook:
            name, calls = notebook.whoami()
            print("  logged in as %s (call %d on this connection)" % (name, calls))
            for note in notes_to_add:
                notebook.add(note)
            print("  %s's notes: %s" % (name, notebook.notes()))
            print("  calls on this connection: %d" % notebook.whoami()[1])
    except Pyro4.errors.CommunicationError as exc:
        print("  refused:", exc)


def demo(uri):
    session(uri, "alice", "wonderland", ["buy tea", "find the rabbit"])
    session(uri, "bob", "builder", ["fix the roof"])
    session(uri, "alice", "wonderland")  # a new connection, the same user: her notes are still there
    session(uri, "mallory", "guess")


def main():
    parser = argparse.ArgumentParser(description="per-user sessions via the connect handshake")
    parser.add_argument("uri", nargs="?", help="uri of the notebook (asked for when left out)")
    parser.add_argument("--demo", action="store_true", help="log in as made-up users, no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the notebook: ").strip()
    if options.demo:
        demo(uri)
    else:
        user = input("user name: ").strip()
        session(uri, user, getpass.getpass("password: "), [input("a note to add: ").strip()])


if __name__ == "__main__":
    main()
