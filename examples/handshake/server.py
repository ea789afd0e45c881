"""A daemon that only lets in clients that know the passphrase, and knows who each client is."""

import argparse

import Pyro4

PROTOCOL_VERSION = 2


class GatekeeperDaemon(Pyro4.Daemon):
    def __init__(self, passphrase, **kwargs):
        super(GatekeeperDaemon, self).__init__(**kwargs)
        self.passphrase = passphrase
        self.users = {}  # connection -> user name

    def validateHandshake(self, conn, data):
        if not isinstance(data, dict) or data.get("passphrase") != self.passphrase:
            raise ValueError("wrong passphrase")
        user = data.get("user") or "anonymous"
        self.users[conn] = user
        print("let in %s" % user, flush=True)
        return {"greeting": "welcome, %s" % user, "version": PROTOCOL_VERSION}

    def clientDisconnect(self, conn):
        print("%s left" % self.users.pop(conn, "someone"), flush=True)


@Pyro4.expose
class Vault(object):
    def who_am_i(self):
        return "you are %s" % self._pyroDaemon.users[Pyro4.current_context.client]


def main():
    parser = argparse.ArgumentParser(description="a server with a passphrase handshake")
    parser.add_argument("--passphrase", default="open sesame", help="what clients must send to get in")
    options = parser.parse_args()
    with GatekeeperDaemon(options.passphrase) as daemon:
        uri = daemon.register(Vault, "example.handshake.vault")
        print("vault ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
