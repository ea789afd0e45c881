"""Notebooks for logged-in users: the login happens in the connect handshake, per connection."""

import collections
import hashlib
import hmac
import os
import threading

import Pyro4

DEMO_ACCOUNTS = {"alice": "wonderland", "bob": "builder"}


class Accounts(object):
    """User names with salted password hashes (a real server would keep these in a database)."""

    def __init__(self, passwords):
        self._hashes = {user: self._hash(password, os.urandom(16)) for user, password in passwords.items()}

    @staticmethod
    def _hash(password, salt):
        return salt, hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 10000)

    def check(self, user, password):
        if user not in self._hashes:
            return False
        salt, expected = self._hashes[user]
        return hmac.compare_digest(self._hash(password, salt)[1], expected)


class LoginDaemon(Pyro4.Daemon):
    def __init__(self, accounts, **kwargs):
        super(LoginDaemon, self).__init__(**kwargs)
        self.accounts = accounts

    def validateHandshake(self, conn, data):
        """Runs once per new connection, before any call; raising refuses the connection."""
        if not isinstance(data, dict) or not self.accounts.check(data.get("user"), data.get("password")):
            raise ValueError("wrong user name or password")
        conn.pyro_user = data["user"]  # remembered on the connection for every call that follows
        return "welcome, %s" % data["user"]


NOTES = collections.defaultdict(list)  # user -> notes, shared by all connections of that user
NOTES_LOCK = threading.Lock()


@Pyro4.expose
@Pyro4.behavior(instance_mode="session")  # a Notebook per connection
class Notebook(object):
    def __init__(self):
        self.calls_on_this_connection = 0

    @staticmethod
    def _user():
        return Pyro4.current_context.client.pyro_user

    def whoami(self):
        self.calls_on_this_connection += 1
        return self._user(), self.calls_on_this_connection

    def add(self, note):
        self.calls_on_this_connection += 1
        with NOTES_LOCK:
            NOTES[self._user()].append(note)

    def notes(self):
        self.calls_on_this_connection += 1
        with NOTES_LOCK:
            return list(NOTES[self._user()])


def main():
    with LoginDaemon(Accounts(DEMO_ACCOUNTS)) as daemon:
        uri = daemon.register(Notebook, "example.usersession.notebook")
        print("accounts:", ", ".join(sorted(DEMO_ACCOUNTS)))
        print("notebook ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
