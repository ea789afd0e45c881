"""Connects to the vault with the right passphrase, a wrong one, and with demands the server won't meet."""

import argparse

import Pyro4


class VaultProxy(Pyro4.Proxy):
    """A proxy that logs in with a user name and passphrase, and checks the server's answer."""

    def __init__(self, uri, user, passphrase, required_version=2):
        super(VaultProxy, self).__init__(uri)
        self._pyroHandshake = {"user": user, "passphrase": passphrase}
        # attributes set the normal way would be sent to the remote object; this one stays local
        self.__dict__["_required_version"] = required_version

    def _pyroValidateHandshake(self, response):
        print("  the server answered the handshake with:", response["greeting"])
        if response["version"] < self._required_version:
            raise Pyro4.errors.CommunicationError("server speaks version %d, we need %d"
                                                  % (response["version"], self._required_version))


def attempt(uri, user, passphrase, required_version=2):
    print("%s tries to get in" % user)
    with VaultProxy(uri, user, passphrase, required_version) as vault:
        try:
            print("  the vault says:", vault.who_am_i())
        except Pyro4.errors.CommunicationError as exc:
            print("  no connection:", exc)


def main():
    parser = argparse.ArgumentParser(description="client of the passphrase handshake server")
    parser.add_argument("uri", nargs="?", help="uri of the vault (asked for when left out)")
    parser.add_argument("--passphrase", default="open sesame", help="the passphrase to log in with")
    parser.add_argument("--demo", action="store_true", help="no questions")
    options = parser.parse_args()
    uri = options.uri or input("uri of the vault: ").strip()
    attempt(uri, "ann", options.passphrase)
    attempt(uri, "mallory", "let me in")
    attempt(uri, "bob", options.passphrase, required_version=3)
    print("done")


if __name__ == "__main__":
    main()
